-- The tickets created in the period that waited longest for a first
-- response; unanswered ones count with their age so far. Times are local
-- wall-clock times of $tz, converted after the limit: only those rows go
-- through the time-zone conversion.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

slowest as (
    select
        ticket_id,
        created_at,
        first_response_at,
        resolved_at,
        region,
        team,
        channel,
        category,
        priority,
        first_response_at is null as unanswered,
        case when first_response_at is null then age_s else frt_s end / 3600 as wait_h,
        resolution_s / 3600 as resolution_h
    from tickets
    where created_at >= $start
        and created_at < $end
        and (first_response_at is null or frt_s is not null)
    order by wait_h desc nulls last, ticket_id
    limit $limit
),

final as (
    select
        ticket_id,
        timezone($tz, created_at) as created_at,
        timezone($tz, first_response_at) as first_response_at,
        timezone($tz, resolved_at) as resolved_at,
        region,
        team,
        channel,
        category,
        priority,
        unanswered,
        wait_h,
        resolution_h
    from slowest
    order by wait_h desc nulls last, ticket_id
)

select * from final
