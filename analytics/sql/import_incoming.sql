-- Parsed tickets -> the rows to store: one per ticket id, values normalised,
-- durations computed once, suspicious rows flagged (kept, never dropped);
-- the satisfaction rating rides along for import_ratings_actions.
-- Input: _tickets (canonical columns, _rec = record number; a view of the valid
-- rows of _parsed, or for event logs a table) and _value_map (field, raw_key,
-- normalised).
with

tickets as (
    select * from _tickets
),

ranked as (
    -- A ticket listed twice in one export: the later row is the newer state.
    select
        *,
        -- One window (same partition and order) serves both: one sort, not two.
        count(*) over latest_first as copies,
        row_number() over latest_first as copy_rank
    from tickets
    window latest_first as (
        partition by ticket_id
        order by _rec desc
        rows between unbounded preceding and unbounded following
    )
),

deduplicated as (
    select * from ranked where copy_rank = 1
),

normalised as (
    select
        deduplicated.*,
        coalesce(status_map.normalised, lower(trim(deduplicated.status))) as status_norm,
        coalesce(channel_map.normalised, lower(trim(deduplicated.channel))) as channel_norm,
        coalesce(priority_map.normalised, lower(trim(deduplicated.priority))) as priority_norm,
        epoch(deduplicated.first_response_at)::bigint - epoch(deduplicated.created_at)::bigint
            as first_response_s,
        epoch(deduplicated.resolved_at)::bigint - epoch(deduplicated.created_at)::bigint
            as resolution_s
    from deduplicated
    left join _value_map as status_map
        on status_map.field = 'status'
        and status_map.raw_key = lower(trim(deduplicated.status))
    left join _value_map as channel_map
        on channel_map.field = 'channel'
        and channel_map.raw_key = lower(trim(deduplicated.channel))
    left join _value_map as priority_map
        on priority_map.field = 'priority'
        and priority_map.raw_key = lower(trim(deduplicated.priority))
),

final as (
    select
        _rec,
        copies,
        ticket_id,
        created_at,
        first_response_at,
        resolved_at,
        closed_at,
        status_norm as status,
        status as status_raw,
        channel_norm as channel,
        channel as channel_raw,
        team,
        region,
        category,
        priority_norm as priority,
        priority as priority_raw,
        assignee,
        reopens,
        replies,
        first_response_s,
        resolution_s,
        csat_score,
        csat_raw,
        csat_at,
        list_filter(
            [
                case when first_response_s < 0 then 'response_before_creation' end,
                case when resolution_s < 0 then 'resolution_before_creation' end,
                case when closed_at < created_at then 'closed_before_creation' end,
                case
                    when first_response_s > 366 * 86400 or resolution_s > 366 * 86400
                        then 'duration_over_a_year'
                end,
                case when copies > 1 then 'duplicate_in_file' end
            ],
            lambda flag: flag is not null
        ) as flags
    from normalised
)

select * from final
