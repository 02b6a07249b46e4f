-- The local ISO weeks (Mondays of $tz) in [$start, $end) in which tickets of
-- the selection were created or resolved, with how many, newest first: the
-- weeks a report can be made of.
with

tickets as (
    select
        created_at,
        resolved_at
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

moves as (
    select created_at as moved_at
    from tickets
    where created_at >= $start and created_at < $end
    union all
    select resolved_at as moved_at
    from tickets
    where resolved_at >= $start and resolved_at < $end
),

final as (
    select
        date_trunc('week', timezone($tz, moved_at))::date as monday,
        count(*) as moves
    from moves
    group by all
    order by monday desc
)

select * from final
