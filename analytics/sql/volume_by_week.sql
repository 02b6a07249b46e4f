-- Tickets created and median first response per ISO week (local days of
-- $tz) in [$start, $end), by creation date (cohort), with the number of days
-- of the week inside the period so partial weeks compare per day.
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

weeks as (
    select
        isoyear(day) as year,
        weekofyear(day) as week,
        min(day) as first_day,
        count(*) as days
    from days
    group by all
),

-- Each ticket's local day: its instant plus $tz's UTC offset then
-- (zone_offset_us, as in response_time_trend.sql), never the slow time-zone
-- conversion per ticket.
local_days as (
    select
        make_timestamp(
            epoch_us(created_at)
            + zone_offset_us(epoch_us(created_at), $zone_changes::bigint[], $zone_offsets::bigint[])
        )::date as day,
        frt_s
    from tickets
    where created_at >= $start and created_at < $end
),

counted as (
    select
        isoyear(day) as year,
        weekofyear(day) as week,
        count(*) as created,
        median(frt_s) / 3600 as frt_median_h
    from local_days
    group by all
),

final as (
    select
        weeks.year,
        weeks.week,
        weeks.first_day,
        weeks.days,
        coalesce(counted.created, 0) as created,
        coalesce(counted.created, 0) / weeks.days as created_per_day,
        counted.frt_median_h
    from weeks
    left join counted using (year, week)
    order by weeks.year, weeks.week
)

select * from final
