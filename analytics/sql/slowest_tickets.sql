-- The tickets created in the period that waited longest for a first
-- response; unanswered ones count with their age so far.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

final as (
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
        frt_s is null as unanswered,
        coalesce(frt_s, age_s) / 3600 as wait_h,
        resolution_s / 3600 as resolution_h
    from tickets
    where created_at >= $start and created_at < $end
    order by wait_h desc nulls last, ticket_id
    limit $limit
)

select * from final
