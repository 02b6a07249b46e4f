-- Weekday x hour of $tz in [$start, $end): mean arrivals per hour, mean open
-- backlog at the end of the hour, and median first response of the tickets
-- that arrived in that hour. The Monday-morning effect shows here.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

levels as (
    select *
    from backlog_levels(
        $source, $regions, $teams, $channels, $categories, $priorities, $as_of,
        $start, $end, $tz, 'hour'
    )
),

slots as (
    select
        isodow(bucket) as weekday,
        hour(bucket) as hour,
        count(*) as hours_in_range,
        avg(open) as backlog_mean
    from levels
    group by all
),

arrivals as (
    select
        isodow(timezone($tz, created_at)) as weekday,
        hour(timezone($tz, created_at)) as hour,
        count(*) as arrivals,
        median(frt_s) / 3600 as frt_median_h
    from tickets
    where created_at >= $start and created_at < $end
    group by all
),

final as (
    select
        slots.weekday,
        slots.hour,
        coalesce(arrivals.arrivals, 0) / slots.hours_in_range as arrivals_mean,
        slots.backlog_mean,
        arrivals.frt_median_h
    from slots
    left join arrivals using (weekday, hour)
    order by slots.weekday, slots.hour
)

select * from final
