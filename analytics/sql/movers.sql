-- Tickets created per region, channel and category in this period and the
-- previous one of equal length, so the largest movers can be named.
with

periods as (
    select
        region,
        channel,
        category,
        created_at >= $start as is_current
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
    where created_at >= $previous_start and created_at < $end
),

-- counted per combination first (a few hundred groups), so the long
-- format below repeats only those rows, not every ticket three times
combinations as (
    select
        coalesce(region, '(none)') as region,
        coalesce(channel, '(none)') as channel,
        coalesce(category, '(none)') as category,
        count(*) filter (where is_current) as current,
        count(*) filter (where not is_current) as previous
    from periods
    group by all
),

long as (
    select 'region' as dimension, region as value, current, previous from combinations
    union all
    select 'channel', channel, current, previous from combinations
    union all
    select 'category', category, current, previous from combinations
),

final as (
    select
        dimension,
        value,
        sum(current)::bigint as current,
        sum(previous)::bigint as previous,
        (sum(current) - sum(previous))::bigint as change
    from long
    group by dimension, value
    order by abs(change) desc, dimension, value
)

select * from final
