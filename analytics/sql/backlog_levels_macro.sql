-- Open and awaiting-first-response backlog at the end of every hour or of
-- every local day of p_tz in a range (p_grain 'hour' or 'day'; bucket: its
-- local start), as a running sum of +1/-1 events. Defined per cursor as a
-- table macro because the series feeds both the backlog chart and the
-- weekday x hour heatmap.
create or replace temp macro backlog_levels(
    p_source, p_regions, p_teams, p_channels, p_categories, p_priorities, p_as_of,
    p_start, p_end, p_tz, p_zone_step_us, p_grain
) as table

with

-- The level at an instant t counts tickets created at or before t and not
-- done at t. Only tickets created by p_end and not done by p_start are ever
-- open in the range: read once, a small set unless the range is long.
relevant as materialized (
    select
        created_at,
        -- done "before" creation (a data error): the ticket is never open
        case when done_at is not null then greatest(created_at, done_at) end as done_at,
        -- waiting for a first reply ends at the reply or when done, never before creation
        case
            when coalesce(first_response_at, done_at) is not null
                then greatest(created_at, least(first_response_at, done_at))
        end as awaiting_end
    from selected_tickets(
        p_source, p_regions, p_teams, p_channels, p_categories, p_priorities, p_as_of
    )
    where created_at <= p_end
        and open_at(resolved_at, closed_at, p_start)
),

-- Events at or before p_start are moved to p_start, so they land in the
-- bucket just before the range: the opening level. An event at exactly a
-- bucket's end belongs to that bucket.
events as (
    select greatest(created_at, p_start::timestamptz) as event_at, 1 as open_change,
        1 as awaiting_change
    from relevant
    union all
    select done_at, -1, 0
    from relevant
    where done_at <= p_end
    union all
    select greatest(awaiting_end, p_start::timestamptz), 0, -1
    from relevant
    where awaiting_end <= p_end
),

-- Events are summed per tick of p_zone_step_us first (an hour, or a quarter
-- hour in zones offset by fractions of an hour: local hours start on ticks),
-- so that only those few keys go through the slow time-zone conversion.
ticks as materialized (
    select
        (epoch_us(event_at) - 1) // p_zone_step_us as tick,
        sum(open_change) as open_change,
        sum(awaiting_change) as awaiting_change
    from events
    group by all
),

-- Buckets are numbered from p_start: real hours (a DST day has 23 or 25 of
-- them, the repeated hour labelled twice) or local days of p_tz; -1 is the
-- opening level. The branch of the other grain is constant false: the
-- planner drops it.
bounds as (
    select
        timezone(p_tz, p_start::timestamptz)::date as first_day,
        (epoch_us(p_end::timestamptz) - epoch_us(p_start::timestamptz)) // 3600000000 as hours,
        date_diff(
            'day',
            timezone(p_tz, p_start::timestamptz)::date,
            timezone(p_tz, p_end::timestamptz - interval 1 microsecond)::date
        ) + 1 as days
),

changes as (
    select
        'hour' as grain,
        greatest(
            (tick * p_zone_step_us - epoch_us(p_start::timestamptz)) // 3600000000, -1
        ) as bucket_index,
        sum(open_change) as open_change,
        sum(awaiting_change) as awaiting_change
    from ticks
    where p_grain = 'hour'
    group by all
    union all
    select
        'day',
        greatest(
            date_diff(
                'day',
                bounds.first_day,
                timezone(p_tz, to_timestamp(tick * p_zone_step_us / 1000000))::date
            ),
            -1
        ),
        sum(open_change),
        sum(awaiting_change)
    from ticks
    cross join bounds
    where p_grain = 'day'
    group by all
),

grid as (
    select
        'hour' as grain,
        bucket_index,
        timezone(p_tz, p_start::timestamptz + bucket_index * interval 1 hour) as bucket
    from (select unnest(range(hours)) as bucket_index from bounds)
    where p_grain = 'hour'
    union all
    select
        'day',
        bucket_index,
        (first_day + bucket_index::integer)::timestamp
    from (select unnest(range(days)) as bucket_index, first_day from bounds)
    where p_grain = 'day'
),

final as (
    select
        grid.grain,
        grid.bucket_index,
        grid.bucket,
        (sum(coalesce(changes.open_change, 0)) over running)::bigint as open,
        (sum(coalesce(changes.awaiting_change, 0)) over running)::bigint
            as awaiting_first_response
    from grid
    full join changes using (grain, bucket_index)
    window running as (partition by grain order by bucket_index)
    qualify grid.bucket_index is not null
)

select * from final
