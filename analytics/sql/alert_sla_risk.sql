-- The open tickets of $source whose first-response or resolution clock
-- passes its target after $now and at or before $until: one row per ticket
-- with its soonest such clock, soonest first. Tickets already past a target
-- are breached, not at risk, and left out. Clocks run in calendar hours.
--
-- Targets in seconds: a priority's own ($*_priorities, $*_targets_s), else
-- the default ($*_default_s). A clock with no target at all (empty lists, a
-- null default) is not watched. Needs the ticket_state_macros.
with

-- open at $now: created by then and not done (resolved, else closed) by then
open_tickets as (
    select
        ticket_id,
        team,
        priority,
        created_at,
        first_response_at
    from main.tickets
    where source = $source
        and created_at <= $now
        and open_at(resolved_at, closed_at, $now)
),

clocks as (
    select
        ticket_id,
        team,
        priority,
        created_at,
        'first_response' as clock,
        created_at + to_seconds(
            sla_target_s(priority, $fr_priorities, $fr_targets_s, $fr_default_s)
        ) as due_at
    from open_tickets
    -- a first response recorded after $now had not happened yet at $now
    where first_response_at is null or first_response_at > $now

    union all

    select
        ticket_id,
        team,
        priority,
        created_at,
        'resolution' as clock,
        created_at + to_seconds(
            sla_target_s(priority, $res_priorities, $res_targets_s, $res_default_s)
        ) as due_at
    from open_tickets
),

at_risk as (
    select *
    from clocks
    where due_at > $now
        and due_at <= $until
    qualify row_number() over (partition by ticket_id order by due_at, clock) = 1
),

final as (
    select
        ticket_id,
        team,
        priority,
        clock,
        created_at,
        due_at
    from at_risk
    order by due_at, ticket_id
)

select * from final
