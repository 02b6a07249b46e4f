-- Per local weekday of $tz (1 = Monday): tickets created per day and the
-- median first response of that day's tickets, summarised across the weeks
-- of [$start, $end) as a mean and quantiles, so a manager sees the spread,
-- not just the average. Days without tickets count as 0.
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

-- Each ticket's local day: its instant plus $tz's UTC offset then
-- (zone_offset_us, as in response_time_trend.sql), never the slow time-zone
-- conversion per ticket.
counted as (
    select
        make_timestamp(
            epoch_us(created_at)
            + zone_offset_us(epoch_us(created_at), $zone_changes::bigint[], $zone_offsets::bigint[])
        )::date as day,
        count(*) as created,
        median(frt_s) / 3600 as frt_median_h
    from tickets
    where created_at >= $start and created_at < $end
    group by all
),

per_day as (
    select
        isodow(days.day) as weekday,
        coalesce(counted.created, 0) as created,
        counted.frt_median_h
    from days
    left join counted using (day)
),

final as (
    select
        weekday,
        count(*) as weeks,
        avg(created) as created_mean,
        quantile_cont(created, 0.1) as created_p10,
        quantile_cont(created, 0.25) as created_p25,
        quantile_cont(created, 0.5) as created_median,
        quantile_cont(created, 0.75) as created_p75,
        quantile_cont(created, 0.9) as created_p90,
        quantile_cont(frt_median_h, 0.1) as frt_p10_h,
        quantile_cont(frt_median_h, 0.5) as frt_median_h,
        quantile_cont(frt_median_h, 0.9) as frt_p90_h
    from per_day
    group by weekday
    order by weekday
)

select * from final
