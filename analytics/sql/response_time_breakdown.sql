-- Response figures per value of one dimension ($dimension: region, team,
-- channel, category or priority), by creation date (cohort).
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

cohort as (
    select
        coalesce(
            case $dimension
                when 'region' then region
                when 'team' then team
                when 'channel' then channel
                when 'category' then category
                when 'priority' then priority
            end,
            '(none)'
        ) as value,
        frt_s,
        resolution_s,
        age_s,
        first_response_at,
        coalesce(
            $sla_targets[list_position($sla_priorities, priority)], $sla_default_s
        ) as target_s
    from tickets
    where created_at >= $start and created_at < $end
),

final as (
    select
        value,
        count(*) as created,
        median(frt_s) / 3600 as frt_median_h,
        quantile_cont(frt_s, 0.9) / 3600 as frt_p90_h,
        median(resolution_s) / 3600 as resolution_median_h,
        100.0 * count(*) filter (where frt_s <= target_s)
            / nullif(
                count(*) filter (
                    where frt_s is not null or (first_response_at is null and age_s > target_s)
                ),
                0
            ) as sla_pct
    from cohort
    group by value
    order by created desc, value
)

select * from final
