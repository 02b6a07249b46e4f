-- The tickets created in the period that waited longest for a first
-- response; unanswered ones count with their age so far; ties in ticket id
-- order. The waits are ranked alone: the $limit-th longest wait is the cut,
-- and only the tickets at or above it (ties included) are fetched by row id
-- and sorted with their ids, so no text column of the other tickets is read.
-- Times are local wall-clock times of $tz, converted for those rows only.
with

waits as materialized (
    select
        row_id,
        case when first_response_at is null then age_s else frt_s end as wait_s,
        resolution_s
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
    where created_at >= $start
        and created_at < $end
        and (first_response_at is null or frt_s is not null)
),

-- min() skips nulls: with fewer than $limit waits known, every ticket is kept
cut as (
    select min(wait_s) as wait_s
    from (select wait_s from waits order by wait_s desc nulls last limit $limit)
),

slowest as (
    select waits.row_id, waits.wait_s, waits.resolution_s
    from waits, cut
    where waits.wait_s >= cut.wait_s or waits.wait_s is null
),

final as (
    select
        tickets.ticket_id,
        timezone($tz, tickets.created_at) as created_at,
        timezone($tz, tickets.first_response_at) as first_response_at,
        timezone($tz, tickets.resolved_at) as resolved_at,
        tickets.region,
        tickets.team,
        tickets.channel,
        tickets.category,
        tickets.priority,
        tickets.first_response_at is null as unanswered,
        slowest.wait_s / 3600 as wait_h,
        slowest.resolution_s / 3600 as resolution_h
    from slowest
    join main.tickets as tickets on tickets.rowid = slowest.row_id
    order by wait_h desc nulls last, tickets.ticket_id
    limit $limit
)

select * from final
