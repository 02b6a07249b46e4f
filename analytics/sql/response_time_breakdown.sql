-- Response figures per value of one dimension ($dimension: region, team,
-- channel, category or priority), by creation date (cohort).
with

cohort as (
    select
        coalesce(
            case $dimension
                when 'region' then tickets.region
                when 'team' then tickets.team
                when 'channel' then tickets.channel
                when 'category' then tickets.category
                when 'priority' then tickets.priority
            end,
            '(none)'
        ) as value,
        tickets.frt_s,
        tickets.resolution_s,
        tickets.frt_s
            <= sla_target_s(tickets.priority, $sla_priorities, $sla_targets, $sla_default_s)
            as met,
        tickets.frt_s is not null
            or (
                tickets.first_response_at is null
                and tickets.age_s
                > sla_target_s(tickets.priority, $sla_priorities, $sla_targets, $sla_default_s)
            ) as evaluated
    from selected_tickets(
        $source, $regions, $teams, $channels, $categories, $priorities, $as_of
    ) as tickets
    where tickets.created_at >= $start and tickets.created_at < $end
),

figures as (
    select
        value,
        count(*) as created,
        quantile_cont(frt_s, [0.5, 0.9]) as frt_q,
        median(resolution_s) as resolution_median_s,
        count_if(met) as met,
        count_if(evaluated) as evaluated
    from cohort
    group by value
),

final as (
    select
        value,
        created,
        frt_q[1] / 3600 as frt_median_h,
        frt_q[2] / 3600 as frt_p90_h,
        resolution_median_s / 3600 as resolution_median_h,
        -- count_if is NULL when all its inputs are (no answered ticket)
        100.0 * coalesce(met, 0) / nullif(evaluated, 0) as sla_pct
    from figures
    order by created desc, value
)

select * from final
