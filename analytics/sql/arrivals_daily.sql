-- Tickets created and their median first response per local day of $tz in
-- [$start, $end), split by one dimension ($dimension: none, region, team,
-- channel, category or priority), by creation date (cohort). Every
-- (day, value) pair is present, with 0 tickets when none arrived, so the
-- series can be modelled as it is.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

-- Each ticket's local day: its instant plus $tz's UTC offset then
-- (zone_offset_us, as in response_time_trend.sql), never the slow time-zone
-- conversion per ticket.
cohort as (
    select
        make_timestamp(
            epoch_us(created_at)
            + zone_offset_us(epoch_us(created_at), $zone_changes::bigint[], $zone_offsets::bigint[])
        )::date as day,
        coalesce(
            case $dimension
                when 'none' then 'all'
                when 'region' then region
                when 'team' then team
                when 'channel' then channel
                when 'category' then category
                when 'priority' then priority
            end,
            '(none)'
        ) as value,
        frt_s
    from tickets
    where created_at >= $start and created_at < $end
),

days as (
    select generate_series::date as day
    from generate_series(
        timezone($tz, $start::timestamptz)::date,
        timezone($tz, $end::timestamptz - interval 1 microsecond)::date,
        interval 1 day
    )
),

counted as (
    select
        day,
        value,
        count(*) as created,
        median(frt_s) / 3600 as frt_median_h
    from cohort
    group by all
),

grid as (
    select
        days.day,
        values_seen.value
    from days
    cross join (select distinct value from cohort) as values_seen
),

final as (
    select
        grid.day,
        grid.value,
        coalesce(counted.created, 0) as created,
        counted.frt_median_h
    from grid
    left join counted using (day, value)
    order by grid.value, grid.day
)

select * from final
