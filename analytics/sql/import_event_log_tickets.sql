-- Event log (one row per ticket activity) -> one row per ticket.
-- Input: temp table _parsed with one row per valid event. Ticket-level
-- columns (created_at, priority...) repeat on every event when the export has
-- them; the latest event's values win.
with

events as (
    select
        *,
        lower(trim(activity)) as activity_key
    from _parsed
    where _reason is null
),

latest as (
    select *
    from events
    qualify row_number() over (
        partition by ticket_id
        order by sequence desc nulls last, timestamp desc, _rec desc
    ) = 1
),

activity_times as (
    select
        ticket_id,
        min(timestamp) as first_event_at,
        max(_rec) as last_rec,
        min(timestamp) filter (
            where case
                when $fr_mode = 'in' then list_contains($fr_activities, activity_key)
                when $fr_mode = 'not_in' then not list_contains($fr_activities, activity_key)
                else false
            end
        ) as first_activity_response_at,
        max(timestamp) filter (where list_contains($resolved_activities, activity_key))
            as last_resolution_at,
        count(*) filter (where list_contains($resolved_activities, activity_key))
            as resolutions,
        count(*) filter (
            where $fr_mode = 'in' and list_contains($fr_activities, activity_key)
        ) as response_events
    from events
    group by ticket_id
),

final as (
    select
        activity_times.last_rec as _rec,
        latest.ticket_id,
        coalesce(latest.created_at, activity_times.first_event_at) as created_at,
        activity_times.first_activity_response_at as first_response_at,
        coalesce(latest.resolved_at, activity_times.last_resolution_at) as resolved_at,
        latest.closed_at,
        coalesce(latest.status, latest.activity) as status,
        latest.channel,
        latest.team,
        latest.region,
        latest.category,
        latest.priority,
        latest.assignee,
        coalesce(latest.reopens, greatest(activity_times.resolutions - 1, 0)) as reopens,
        coalesce(latest.replies, nullif(activity_times.response_events, 0)) as replies,
        latest.csat_score,
        latest.csat_raw,
        latest.csat_at
    from latest
    join activity_times using (ticket_id)
)

select * from final
