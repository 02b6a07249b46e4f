-- The events calendar of source $source (its own events and every source's;
-- $source null: the whole calendar), in date order, for the editor and the
-- models. source reads 'all' for an event of every source.
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
        ends_on,
        notes
    from events
    order by starts_on, name, region, source
)

select * from final
