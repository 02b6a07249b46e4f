-- The selected tickets open at $now whose first-response or resolution clock
-- passes its target within $within_s business seconds after $now (state
-- 'at_risk'), or had passed it by $now (state 'breached'): one row per
-- ticket and state, with its soonest such clock, soonest first. A clock runs
-- only in its team's schedule: it is due when the ticket's business seconds
-- since creation reach the target, and hours_left counts business hours
-- (negative for a breached clock). Needs the business-hours cursor's
-- _calendar (schedule, starts, ends, cum_before) and _team_schedules.
--
-- Targets in seconds: a priority's own ($*_priorities, $*_targets_s), else
-- the default ($*_default_s). A clock with no target at all (empty lists, a
-- null default) is not watched.
with

-- open at $now: created by then and not done (resolved, else closed) by then;
-- age_s is in business seconds up to $now
open_tickets as (
    select
        ticket_id,
        team,
        priority,
        channel,
        assignee,
        created_at,
        first_response_at,
        age_s
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $now)
    where created_at <= $now
        and open_at(resolved_at, closed_at, $now)
),

clocks as (
    select
        *,
        'first_response' as clock,
        sla_target_s(priority, $fr_priorities, $fr_targets_s, $fr_default_s) as target_s
    from open_tickets
    -- a first response recorded after $now had not happened yet at $now
    where first_response_at is null or first_response_at > $now

    union all

    select
        *,
        'resolution' as clock,
        sla_target_s(priority, $res_priorities, $res_targets_s, $res_default_s) as target_s
    from open_tickets
),

watched as (
    select
        *,
        target_s - age_s as left_s,
        case when target_s - age_s <= 0 then 'breached' else 'at_risk' end as state
    from clocks
    where target_s is not null
        and target_s - age_s <= $within_s
    qualify row_number() over (
        partition by ticket_id, state order by target_s - age_s, clock
    ) = 1
),

-- each schedule's business seconds from the calendar's start up to $now
now_reading as (
    select
        schedule,
        arg_max(
            cum_before + least(
                greatest(epoch($now::timestamptz) - epoch(starts), 0),
                epoch(ends) - epoch(starts)
            ),
            starts
        ) as business_s
    from _calendar
    where starts <= $now::timestamptz
    group by schedule
),

-- the reading at which each clock falls due
due_readings as (
    select
        watched.*,
        coalesce(team_schedules.schedule, 'default') as schedule,
        coalesce(now_reading.business_s, 0) + watched.left_s as due_s
    from watched
    left join _team_schedules as team_schedules using (team)
    left join now_reading
        on now_reading.schedule = coalesce(team_schedules.schedule, 'default')
),

-- the due instant: inside the last interval starting before that reading
-- (strictly: a clock due at an interval's end is due then, not at the next start)
due as (
    select
        due_readings.*,
        case
            when due_readings.due_s - intervals.cum_before
                <= epoch(intervals.ends) - epoch(intervals.starts)
                then intervals.starts + to_microseconds(
                    round((due_readings.due_s - intervals.cum_before) * 1000000)::bigint
                )
        end as due_at
    from due_readings
    asof left join _calendar as intervals
        on due_readings.schedule = intervals.schedule
        and due_readings.due_s > intervals.cum_before
),

final as (
    select
        ticket_id,
        team,
        priority,
        channel,
        assignee,
        clock,
        state,
        created_at,
        due_at,
        left_s / 3600 as hours_left
    from due
    order by state, left_s, ticket_id
)

select * from final
