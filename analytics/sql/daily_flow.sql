-- Per local day of $tz in [$start, $end): tickets created (by creation date),
-- resolved (by resolution date), and the open backlog at the end of the day.
-- The backlog is a running sum of +1 at creation and -1 when done, started
-- from the level at $start: no ticket is joined against every day.
with

-- not materialized: each use scans and filters the table itself, far cheaper
-- than writing every selected ticket to a temporary result first.
tickets as not materialized (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

days as (
    select generate_series::date as day
    from generate_series(
        timezone($tz, $start::timestamptz)::date,
        timezone($tz, $end::timestamptz - interval 1 microsecond)::date,
        interval 1 day
    )
),

-- The level at an instant t counts tickets created at or before t and not
-- done at t, so an event at exactly a midnight belongs to the day it ends.
opening as (
    select count(*) as level
    from tickets
    where created_at <= $start and open_at(resolved_at, closed_at, $start)
),

-- Cohort counts by the local day of the event, backlog changes by the day
-- they end: each summed per tick of $zone_step_us first (an hour, or a
-- quarter hour in zones offset by fractions of an hour: local midnights fall
-- on ticks), so that only those keys go through the slow time-zone conversion.
events as (
    select epoch_us(created_at) // $zone_step_us as tick, 1 as created, 0 as resolved, 0 as change
    from tickets
    where created_at >= $start and created_at < $end
    union all
    select epoch_us(resolved_at) // $zone_step_us, 0, 1, 0
    from tickets
    where resolved_at >= $start and resolved_at < $end
    union all
    select (epoch_us(created_at) - 1) // $zone_step_us, 0, 0, 1
    from tickets
    where created_at > $start and created_at <= $end
    union all
    select (epoch_us(done_at) - 1) // $zone_step_us, 0, 0, -1
    from tickets
    where done_after(resolved_at, closed_at, $start) and done_at <= $end
),

ticks as (
    select
        tick,
        sum(created) as created,
        sum(resolved) as resolved,
        sum(change) as change
    from events
    group by tick
),

by_day as (
    select
        timezone($tz, to_timestamp(tick * $zone_step_us / 1000000))::date as day,
        sum(created) as created,
        sum(resolved) as resolved,
        sum(change) as change
    from ticks
    group by all
),

final as (
    select
        days.day,
        coalesce(by_day.created, 0)::bigint as created,
        coalesce(by_day.resolved, 0)::bigint as resolved,
        (opening.level + sum(coalesce(by_day.change, 0)) over (order by days.day))::bigint
            as backlog
    from days
    cross join opening
    left join by_day using (day)
    order by days.day
)

select * from final
