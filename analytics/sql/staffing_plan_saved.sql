-- The saved staffing plan of a source, in team then weekday order.
with plan as (
    select team, weekday, start_hour, end_hour, queue_agents, live_agents, saved_by, saved_at
    from staffing_plans
    where source = $source
),

final as (
    select
        *,
        list_position(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], weekday) as day_order
    from plan
)

select team, weekday, start_hour, end_hour, queue_agents, live_agents, saved_by, saved_at
from final
order by team, day_order
