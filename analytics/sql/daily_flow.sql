-- Per local day of $tz in [$start, $end): tickets created (by creation date),
-- resolved (by resolution date), and the open backlog at the end of the day.
-- The backlog is a running sum of +1 at creation and -1 at resolution, started
-- from the level at $start: no ticket is joined against every day.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

days as (
    select generate_series::date as day
    from generate_series(
        timezone($tz, $start::timestamptz)::date,
        timezone($tz, $end::timestamptz - interval 1 microsecond)::date,
        interval 1 day
    )
),

opening as (
    select count(*) as level
    from tickets
    where created_at < $start and (done_at is null or done_at >= $start)
),

created as (
    select timezone($tz, created_at)::date as day, count(*) as created
    from tickets
    where created_at >= $start and created_at < $end
    group by all
),

resolved as (
    select timezone($tz, resolved_at)::date as day, count(*) as resolved
    from tickets
    where resolved_at >= $start and resolved_at < $end
    group by all
),

done as (
    select timezone($tz, done_at)::date as day, count(*) as done
    from tickets
    where done_at >= $start and done_at < $end
    group by all
),

final as (
    select
        days.day,
        coalesce(created.created, 0) as created,
        coalesce(resolved.resolved, 0) as resolved,
        opening.level + sum(coalesce(created.created, 0) - coalesce(done.done, 0)) over (
            order by days.day
        ) as backlog
    from days
    cross join opening
    left join created using (day)
    left join resolved using (day)
    left join done using (day)
    order by days.day
)

select * from final
