-- The open backlog of $source at $now and at each of the $days instants
-- 24 hours apart before it: tickets created at or before the instant and not
-- done (resolved, else closed) at it, as docs/metrics.md defines the backlog.
-- days_before 0 is $now. Needs the ticket_state_macros.
with

instants as (
    select
        k as days_before,
        $now::timestamptz - to_days(k::integer) as level_at
    from range(0, $days + 1) as t(k)
),

-- only tickets created by $now and not done at the first instant are ever
-- open at one of them
relevant as (
    select
        created_at,
        -- done "before" creation (a data error): the ticket is never open
        case
            when coalesce(resolved_at, closed_at) is not null
                then greatest(created_at, coalesce(resolved_at, closed_at))
        end as done_at
    from main.tickets
    where source = $source
        and created_at <= $now
        and open_at(resolved_at, closed_at, $now::timestamptz - to_days($days::integer))
),

levels as (
    select
        instants.days_before,
        instants.level_at,
        count(relevant.created_at) as open
    from instants
    left join relevant
        on relevant.created_at <= instants.level_at
        and (relevant.done_at is null or relevant.done_at > instants.level_at)
    group by instants.days_before, instants.level_at
),

final as (
    select
        days_before,
        level_at,
        open
    from levels
    order by days_before
)

select * from final
