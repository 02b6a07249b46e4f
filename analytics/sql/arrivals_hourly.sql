-- Tickets created and their median first response per local hour of $tz in
-- [$start, $end), by creation date (cohort). Every hour is present; a local
-- hour repeated at the autumn DST change is counted once, with both halves.
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

final as (
    select
        hours.hour,
        coalesce(counted.created, 0) as created,
        counted.frt_median_h
    from hours
    left join counted using (hour)
    order by hours.hour
)

select * from final
