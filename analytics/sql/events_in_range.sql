-- Events overlapping [$first_day, $last_day] that concern source $source
-- (its own and every source's; $source null: the whole calendar) and the
-- regions $regions (empty: every region), for drawing as bands. source reads
-- 'all' for an event of every source.
with

events as (
    select * from main.events
    where $source is null or source is null or source = $source
),

final as (
    select
        event_id,
        name,
        kind,
        region,
        coalesce(source, 'all') as source,
        starts_on,
        coalesce(ends_on, starts_on) as ends_on,
        notes
    from events
    where starts_on <= $last_day
        and coalesce(ends_on, starts_on) >= $first_day
        and (len($regions) = 0 or region = 'all' or list_contains($regions, region))
    order by starts_on, name
)

select * from final
