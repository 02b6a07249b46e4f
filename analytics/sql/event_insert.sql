-- Add one event to the calendar unless the same one is there (same source,
-- name, region and start; a null $source is every source). Returns the
-- number of rows inserted: 1, or 0 when it was already there.
with

incoming as (
    select
        $event_id::integer as event_id,
        $source::varchar as source,
        $name::varchar as name,
        $kind::varchar as kind,
        $region::varchar as region,
        $starts_on::date as starts_on,
        $ends_on::date as ends_on,
        $notes::varchar as notes
),

final as (
    select * from incoming
    where not exists (
        select 1
        from main.events as known
        where known.source is not distinct from incoming.source
            and known.name = incoming.name
            and known.region = incoming.region
            and known.starts_on = incoming.starts_on
    )
)

insert into events (event_id, source, name, kind, region, starts_on, ends_on, notes)
select * from final
