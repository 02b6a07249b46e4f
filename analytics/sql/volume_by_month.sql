-- Tickets created and median first response per local calendar month of $tz
-- in [$start, $end), by creation date (cohort), with the number of days of
-- the month inside the period so partial months compare per day.
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

months as (
    select
        year(day) as year,
        month(day) as month,
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
        year(day) as year,
        month(day) as month,
        count(*) as created,
        median(frt_s) / 3600 as frt_median_h
    from local_days
    group by all
),

final as (
    select
        months.year,
        months.month,
        months.days,
        coalesce(counted.created, 0) as created,
        coalesce(counted.created, 0) / months.days as created_per_day,
        counted.frt_median_h
    from months
    left join counted using (year, month)
    order by months.year, months.month
)

select * from final
