-- Weekday x hour of $tz in [$start, $end): mean arrivals per hour, mean open
-- backlog at the end of the hour, and median first response of the tickets
-- that arrived in that hour. The Monday-morning effect shows here.
with

levels as (
    select *
    from backlog_levels(
        $source, $regions, $teams, $channels, $categories, $priorities, $as_of,
        $start, $end, $tz, $zone_step_us, 'hour'
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

cohort as (
    select
        epoch_us(created_at) // $zone_step_us as tick,
        frt_s
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
    where created_at >= $start and created_at < $end
),

-- The local weekday and hour of every tick of $zone_step_us in the period (an
-- hour, or a quarter hour in zones offset by fractions of an hour: local
-- hours start on ticks). Generated from the period rather than read from
-- the cohort, so the cohort is read once and only these few keys go through
-- the slow time-zone conversion.
local_ticks as (
    select
        tick,
        isodow(timezone($tz, to_timestamp(tick * $zone_step_us / 1000000))) as weekday,
        hour(timezone($tz, to_timestamp(tick * $zone_step_us / 1000000))) as hour
    from range(
        epoch_us($start::timestamptz) // $zone_step_us,
        (epoch_us($end::timestamptz) - 1) // $zone_step_us + 1
    ) as ticks(tick)
),

arrivals as (
    select
        local_ticks.weekday,
        local_ticks.hour,
        count(*) as arrivals,
        median(cohort.frt_s) / 3600 as frt_median_h
    from cohort
    join local_ticks using (tick)
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
