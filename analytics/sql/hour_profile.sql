-- Per local hour of day of $tz: mean tickets created in that hour over each
-- ISO week of [$start, $end), summarised across the weeks as a mean and
-- quantiles (the spread), plus the median first response of the tickets
-- created in that hour, summarised the same way.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

hours as (
    select distinct date_trunc('hour', timezone($tz, generate_series)) as hour
    from generate_series($start::timestamptz, $end::timestamptz - interval 1 hour, interval 1 hour)
),

-- Each ticket's local hour: its instant plus $tz's UTC offset then
-- (zone_offset_us, as in response_time_trend.sql), never the slow time-zone
-- conversion per ticket.
counted as (
    select
        date_trunc(
            'hour',
            make_timestamp(
                epoch_us(created_at)
                + zone_offset_us(
                    epoch_us(created_at), $zone_changes::bigint[], $zone_offsets::bigint[]
                )
            )
        ) as hour,
        count(*) as created,
        median(frt_s) / 3600 as frt_median_h
    from tickets
    where created_at >= $start and created_at < $end
    group by all
),

per_week as (
    select
        date_trunc('week', hours.hour) as week,
        hour(hours.hour) as hour_of_day,
        avg(coalesce(counted.created, 0)) as created,
        median(counted.frt_median_h) as frt_median_h
    from hours
    left join counted using (hour)
    group by all
),

final as (
    select
        hour_of_day as hour,
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
    from per_week
    group by hour_of_day
    order by hour_of_day
)

select * from final
