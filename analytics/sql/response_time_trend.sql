-- Median and p90 of first response and resolution per day or week of $tz,
-- by creation date (cohort).
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

cohort as (
    select
        epoch_us(created_at) // $zone_step_us as tick,
        frt_s,
        resolution_s
    from tickets
    where created_at >= $start and created_at < $end
),

-- Only the distinct ticks of $zone_step_us (an hour, or a quarter hour in
-- zones offset by fractions of an hour) go through the slow time-zone
-- conversion; local midnights fall on ticks.
periods as (
    select
        tick,
        date_trunc(
            $grain, timezone($tz, to_timestamp(tick * $zone_step_us / 1000000))
        )::date as period
    from (select distinct tick from cohort)
),

figures as (
    select
        periods.period,
        count(*) as created,
        count(cohort.frt_s) as answered,
        quantile_cont(cohort.frt_s, [0.5, 0.9]) as frt_q,
        quantile_cont(cohort.resolution_s, [0.5, 0.9]) as resolution_q
    from cohort
    join periods using (tick)
    group by periods.period
),

final as (
    select
        period,
        created,
        answered,
        frt_q[1] / 3600 as frt_median_h,
        frt_q[2] / 3600 as frt_p90_h,
        resolution_q[1] / 3600 as resolution_median_h,
        resolution_q[2] / 3600 as resolution_p90_h
    from figures
    order by period
)

select * from final
