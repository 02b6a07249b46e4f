-- Per agent or team ($by: 'assignee' or 'team') and ISO week of $tz: tickets
-- handled (created that week and assigned to them) and their median first
-- response in hours, by creation date (cohort). A null name is the
-- unassigned tickets.
with

-- Each ticket's local week from its instant plus $tz's offset then, as in
-- response_time_trend.sql (zone_offset_us, defined for $zone_changes).
cohort as (
    select
        case $by when 'assignee' then assignee when 'team' then team end as name,
        date_trunc(
            'week',
            make_timestamp(
                epoch_us(created_at)
                + zone_offset_us(
                    epoch_us(created_at), $zone_changes::bigint[], $zone_offsets::bigint[]
                )
            )
        )::date as week,
        frt_s
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
    where created_at >= $start and created_at < $end
),

final as (
    select
        name,
        week,
        count(*) as handled,
        median(frt_s) / 3600 as frt_median_h
    from cohort
    group by all
    order by name nulls last, week
)

select * from final
