-- The whole events calendar, in date order (for the editor and the models).
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
        ends_on,
        notes
    from events
    order by starts_on, name, region
)

select * from final
