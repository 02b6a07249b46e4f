-- Median and p90 of first response and resolution per day or week of $tz,
-- by creation date (cohort).
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

cohort as (
    select
        date_trunc($grain, timezone($tz, created_at))::date as period,
        frt_s,
        resolution_s
    from tickets
    where created_at >= $start and created_at < $end
),

final as (
    select
        period,
        count(*) as created,
        count(frt_s) as answered,
        median(frt_s) / 3600 as frt_median_h,
        quantile_cont(frt_s, 0.9) / 3600 as frt_p90_h,
        median(resolution_s) / 3600 as resolution_median_h,
        quantile_cont(resolution_s, 0.9) / 3600 as resolution_p90_h
    from cohort
    group by period
    order by period
)

select * from final
