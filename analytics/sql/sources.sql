-- One row per source: what it holds and the span it covers.
with

tickets as (
    select * from tickets
),

last_import as (
    select
        source,
        max(finished_at) as last_import_at,
        count(*) as imports
    from imports
    group by source
),

per_source as (
    select
        source,
        count(*) as tickets,
        count(*) filter (where resolved_at is null and closed_at is null) as open_tickets,
        min(created_at) as first_created_at,
        max(created_at) as last_created_at
    from tickets
    group by source
),

final as (
    select
        per_source.*,
        last_import.imports,
        last_import.last_import_at
    from per_source
    left join last_import using (source)
    order by source
)

select * from final
