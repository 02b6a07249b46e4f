-- Open and awaiting-first-response backlog at the end of every hour or day
-- of $tz in a range, as a running sum of +1/-1 events started from the
-- level at the range start. Defined per cursor as a table macro because the
-- series feeds both the backlog chart and the weekday x hour heatmap.
create or replace temp macro backlog_levels(
    p_source, p_regions, p_teams, p_channels, p_categories, p_priorities, p_as_of,
    p_start, p_end, p_tz, p_grain
) as table

with

tickets as (
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

grid as (
    select generate_series as bucket
    from generate_series(
        date_trunc(p_grain, timezone(p_tz, p_start::timestamptz)),
        date_trunc(p_grain, timezone(p_tz, p_end::timestamptz - interval 1 microsecond)),
        case when p_grain = 'hour' then interval 1 hour else interval 1 day end
    )
),

opening as (
    select
        count(*) filter (where done_at is null or done_at >= p_start) as open_level,
        count(*) filter (where awaiting_end is null or awaiting_end >= p_start) as awaiting_level
    from tickets
    where created_at < p_start
),

events as (
    select created_at as event_at, 1 as open_change, 1 as awaiting_change
    from tickets
    where created_at >= p_start and created_at < p_end
    union all
    select done_at, -1, 0
    from tickets
    where done_at >= p_start and done_at < p_end
    union all
    select awaiting_end, 0, -1
    from tickets
    where awaiting_end >= p_start and awaiting_end < p_end
),

changes as (
    select
        date_trunc(p_grain, timezone(p_tz, event_at)) as bucket,
        sum(open_change) as open_change,
        sum(awaiting_change) as awaiting_change
    from events
    group by all
),

final as (
    select
        grid.bucket,
        opening.open_level + sum(coalesce(changes.open_change, 0)) over (order by grid.bucket)
            as open,
        opening.awaiting_level
            + sum(coalesce(changes.awaiting_change, 0)) over (order by grid.bucket)
            as awaiting_first_response
    from grid
    cross join opening
    left join changes using (bucket)
)

select * from final
