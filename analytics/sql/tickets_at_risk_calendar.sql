-- The selected tickets open at $now whose first-response or resolution clock
-- passes its target within $within_s seconds after $now (state 'at_risk'),
-- or had passed it by $now (state 'breached'): one row per ticket and state,
-- with its soonest such clock, soonest first. Clocks run in calendar hours
-- from creation; hours_left is negative for a breached clock.
--
-- Targets in seconds: a priority's own ($*_priorities, $*_targets_s), else
-- the default ($*_default_s). A clock with no target at all (empty lists, a
-- null default) is not watched.
with

-- open at $now: created by then and not done (resolved, else closed) by then
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
        created_at + to_microseconds(round(target_s * 1000000)::bigint) as due_at,
        left_s / 3600 as hours_left
    from watched
    order by state, left_s, ticket_id
)

select * from final
