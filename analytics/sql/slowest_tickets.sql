-- The tickets created in the period that waited longest for a first
-- response; unanswered ones count with their age so far. The ranking reads
-- only the few columns it sorts on; the kept rows' other columns are then
-- fetched by row id, so the text columns of the other tickets are never read.
-- Times are local wall-clock times of $tz, converted for those rows only.
with

waits as (
    select
        row_id,
        ticket_id,
        case when first_response_at is null then age_s else frt_s end as wait_s,
        resolution_s
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
    where created_at >= $start
        and created_at < $end
        and (first_response_at is null or frt_s is not null)
),

slowest as (
    select row_id, wait_s, resolution_s
    from waits
    order by wait_s desc nulls last, ticket_id
    limit $limit
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
)

select * from final
