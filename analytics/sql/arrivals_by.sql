-- Tickets created and resolved per local day or hour of $tz in [$start, $end),
-- for the whole selection ('total') and per value of $dimension (region,
-- channel or category; 'total' alone when $dimension is 'total'). Every
-- period appears for every series, with zeros, so a forecaster sees the gaps.
-- Hours are local wall-clock hours: the spring DST change leaves one hour
-- empty and the autumn one counts two hours in one.
with

tickets as not materialized (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

labelled as not materialized (
    select
        created_at,
        resolved_at,
        coalesce(
            case $dimension
                when 'region' then region
                when 'channel' then channel
                when 'category' then category
            end,
            '(none)'
        ) as value
    from tickets
),

periods as (
    select generate_series as period
    from generate_series(
        date_trunc($grain, timezone($tz, $start::timestamptz)),
        date_trunc($grain, timezone($tz, $end::timestamptz - interval 1 microsecond)),
        case $grain when 'hour' then interval 1 hour else interval 1 day end
    )
),

series_names as (
    select 'total' as series
    union all
    select distinct value from labelled where $dimension <> 'total'
),

-- Arrivals and resolutions summed per tick of $zone_step_us (an hour, or a
-- quarter hour in zones offset by fractions of an hour: local hours and
-- midnights fall on ticks), so that only these keys, not every ticket, go
-- through the slow time-zone conversion.
ticks as (
    select epoch_us(created_at) // $zone_step_us as tick, value, count(*) as created, 0 as resolved
    from labelled
    where created_at >= $start and created_at < $end
    group by all
    union all
    select epoch_us(resolved_at) // $zone_step_us, value, 0, count(*)
    from labelled
    where resolved_at >= $start and resolved_at < $end
    group by all
),

counts as (
    select
        date_trunc($grain, timezone($tz, to_timestamp(tick * $zone_step_us / 1000000))) as period,
        value as series,
        created,
        resolved
    from ticks
),

per_series as (
    select period, series, sum(created) as created, sum(resolved) as resolved
    from counts
    where $dimension <> 'total'
    group by all
    union all
    select period, 'total', sum(created), sum(resolved)
    from counts
    group by all
),

final as (
    select
        periods.period,
        series_names.series,
        coalesce(per_series.created, 0)::bigint as created,
        coalesce(per_series.resolved, 0)::bigint as resolved
    from periods
    cross join series_names
    left join per_series using (period, series)
    order by series_names.series, periods.period
)

select * from final
