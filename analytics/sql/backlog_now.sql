-- The backlog at $at (the period's end, or the export's last event if
-- sooner): open tickets by calendar age with how many still await a first
-- response, and the days it would take to clear at the mean daily
-- resolutions of the 28 days before (with no new tickets).
with

-- The tickets open at $at or done in the 28 days before: a small set, read once.
near as materialized (
    select
        created_at,
        done_at,
        first_response_at,
        created_at <= $at and (done_at is null or done_at > $at) as open
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
    -- both kinds are not done 28 days before $at: a constant bound that lets
    -- DuckDB skip the row groups of tickets all done before then
    where open_at(resolved_at, closed_at, $at::timestamptz - interval 28 day)
        and (
            (created_at <= $at and open_at(resolved_at, closed_at, $at))
            or done_at <= $at
        )
),

figures as (
    select
        count(*) filter (where open) as backlog_open,
        count(*) filter (
            where done_at > $at::timestamptz - interval 28 day and done_at <= $at
        ) / 28.0 as resolved_per_day
    from near
),

bucketed as (
    select
        case
            when epoch($at::timestamptz) - epoch(created_at) < 86400 then 1
            when epoch($at::timestamptz) - epoch(created_at) < 2 * 86400 then 2
            when epoch($at::timestamptz) - epoch(created_at) < 3 * 86400 then 3
            when epoch($at::timestamptz) - epoch(created_at) < 7 * 86400 then 4
            when epoch($at::timestamptz) - epoch(created_at) < 14 * 86400 then 5
            else 6
        end as bucket_order,
        first_response_at is null or first_response_at > $at as awaiting
    from near
    where open
),

labels as (
    select * from (values
        (1, '< 1 day'), (2, '1-2 days'), (3, '2-3 days'), (4, '3-7 days'), (5, '7-14 days'),
        (6, '14 days+')
    ) as t(bucket_order, age)
),

by_age as (
    select
        labels.bucket_order,
        labels.age,
        count(bucketed.bucket_order) as open,
        count(*) filter (where bucketed.awaiting) as awaiting_first_response
    from labels
    left join bucketed using (bucket_order)
    group by labels.bucket_order, labels.age
),

final as (
    select
        by_age.age,
        by_age.open,
        by_age.awaiting_first_response,
        figures.backlog_open,
        figures.resolved_per_day,
        figures.backlog_open / nullif(figures.resolved_per_day, 0) as days_to_clear
    from by_age
    cross join figures
    order by by_age.bucket_order
)

select * from final
