-- Tickets created per region, channel and category in this period and the
-- previous one of equal length, so the largest movers can be named.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

-- not materialized: each use scans and filters the table itself, far cheaper
-- than writing every selected ticket to a temporary result first.
periods as not materialized (
    select
        *,
        case when created_at >= $start then 'current' else 'previous' end as period
    from tickets
    where created_at >= $previous_start and created_at < $end
),

long as (
    select 'region' as dimension, coalesce(region, '(none)') as value, period from periods
    union all
    select 'channel', coalesce(channel, '(none)'), period from periods
    union all
    select 'category', coalesce(category, '(none)'), period from periods
),

final as (
    select
        dimension,
        value,
        count(*) filter (where period = 'current') as current,
        count(*) filter (where period = 'previous') as previous,
        count(*) filter (where period = 'current')
            - count(*) filter (where period = 'previous') as change
    from long
    group by dimension, value
    order by abs(change) desc, dimension, value
)

select * from final
