-- Events overlapping [$first_day, $last_day], for drawing as bands.
with

events as (
    select * from main.events
),

final as (
    select
        event_id,
        name,
        kind,
        region,
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
