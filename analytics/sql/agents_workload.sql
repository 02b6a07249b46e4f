-- Tickets created in [$start, $end) per agent or team ($by: 'assignee' or
-- 'team') and local weekday (1 = Monday) and hour of $tz: when each one's
-- work arrives. Only the slots with tickets are listed; a null name is the
-- unassigned tickets.
with

cohort as (
    select
        case $by when 'assignee' then assignee when 'team' then team end as name,
        epoch_us(created_at) // $zone_step_us as tick
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
    where created_at >= $start and created_at < $end
),

-- The local weekday and hour of every tick of $zone_step_us in the period, as
-- in weekday_hour_heatmap.sql: only these few keys go through the slow
-- time-zone conversion, never each ticket.
local_ticks as (
    select
        tick,
        isodow(timezone($tz, to_timestamp(tick * $zone_step_us / 1000000))) as weekday,
        hour(timezone($tz, to_timestamp(tick * $zone_step_us / 1000000))) as hour
    from range(
        epoch_us($start::timestamptz) // $zone_step_us,
        (epoch_us($end::timestamptz) - 1) // $zone_step_us + 1
    ) as ticks(tick)
),

final as (
    select
        cohort.name,
        local_ticks.weekday,
        local_ticks.hour,
        count(*) as tickets
    from cohort
    join local_ticks using (tick)
    group by all
    order by cohort.name nulls last, local_ticks.weekday, local_ticks.hour
)

select * from final
