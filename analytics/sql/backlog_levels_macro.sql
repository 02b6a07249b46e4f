-- Open and awaiting-first-response backlog at the end of every hour or day
-- of $tz in a range (bucket: its local start), as a running sum of +1/-1 events started from the
-- level at the range start. Defined per cursor as a table macro because the
-- series feeds both the backlog chart and the weekday x hour heatmap.
create or replace temp macro backlog_levels(
    p_source, p_regions, p_teams, p_channels, p_categories, p_priorities, p_as_of,
    p_start, p_end, p_tz, p_grain, p_zone_step_us
) as table

with

-- not materialized: each use scans and filters the table itself, far cheaper
-- than writing every selected ticket to a temporary result first.
tickets as not materialized (
    select
        *,
        -- waiting for a first reply ends at the reply or at resolution, never before creation
        case
            when coalesce(first_response_at, done_at) is not null
                then greatest(created_at, least(first_response_at, done_at))
        end as awaiting_end
    from selected_tickets(
        p_source, p_regions, p_teams, p_channels, p_categories, p_priorities, p_as_of
    )
),

-- Buckets are numbered from p_start: real hours (a DST day has 23 or 25 of
-- them, the repeated hour labelled twice) or local days of p_tz.
bounds as (
    select
        timezone(p_tz, p_start::timestamptz)::date as first_day,
        case
            when p_grain = 'hour'
                then (epoch_us(p_end::timestamptz) - epoch_us(p_start::timestamptz)) // 3600000000
            else date_diff(
                'day',
                timezone(p_tz, p_start::timestamptz)::date,
                timezone(p_tz, p_end::timestamptz - interval 1 microsecond)::date
            ) + 1
        end as buckets
),

grid as (
    select
        bucket_index,
        case
            when p_grain = 'hour'
                then timezone(p_tz, p_start::timestamptz + bucket_index * interval 1 hour)
            else (first_day + bucket_index::integer)::timestamp
        end as bucket
    from (select unnest(range(buckets)) as bucket_index, first_day from bounds)
),

-- The level at an instant t counts tickets created at or before t and not
-- done at t: the level at p_start, then the events of (p_start, p_end], an
-- event at exactly a bucket's end belonging to that bucket.
opening as (
    select
        count(*) filter (where done_at is null or done_at > p_start) as open_level,
        count(*) filter (where awaiting_end is null or awaiting_end > p_start) as awaiting_level
    from tickets
    where created_at <= p_start
),

events as (
    select created_at as event_at, 1 as open_change, 1 as awaiting_change
    from tickets
    where created_at > p_start and created_at <= p_end
    union all
    select done_at, -1, 0
    from tickets
    where done_at > p_start and done_at <= p_end
    union all
    select awaiting_end, 0, -1
    from tickets
    where awaiting_end > p_start and awaiting_end <= p_end
),

-- Events are summed per tick of p_zone_step_us first (an hour, or a quarter
-- hour in zones offset by fractions of an hour: local hours start on ticks),
-- so that only those few keys go through the slow time-zone conversion.
ticks as (
    select
        (epoch_us(event_at) - 1) // p_zone_step_us as tick,
        sum(open_change) as open_change,
        sum(awaiting_change) as awaiting_change
    from events
    group by all
),

changes as (
    select
        case
            when p_grain = 'hour'
                then (tick * p_zone_step_us - epoch_us(p_start::timestamptz)) // 3600000000
            else date_diff(
                'day',
                bounds.first_day,
                timezone(p_tz, to_timestamp(tick * p_zone_step_us / 1000000))::date
            )
        end as bucket_index,
        sum(open_change) as open_change,
        sum(awaiting_change) as awaiting_change
    from ticks
    cross join bounds
    group by all
),

final as (
    select
        grid.bucket_index,
        grid.bucket,
        opening.open_level
            + sum(coalesce(changes.open_change, 0)) over (order by grid.bucket_index) as open,
        opening.awaiting_level
            + sum(coalesce(changes.awaiting_change, 0)) over (order by grid.bucket_index)
            as awaiting_first_response
    from grid
    cross join opening
    left join changes using (bucket_index)
    order by grid.bucket_index
)

select * from final
