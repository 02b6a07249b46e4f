-- Response figures per value of every dimension (region, team, channel,
-- category, priority), by creation date (cohort): the five breakdowns of
-- response_time_breakdown.sql in one pass over the cohort. It holds every
-- duration once per dimension, so it suits short periods (see
-- analytics.metrics.response_time_breakdowns).
with

sla_targets as (
    select
        unnest($sla_priorities::varchar[]) as priority,
        unnest($sla_targets::double[]) as target_s
),

-- a join against the few targets, much cheaper than a list lookup per ticket
cohort as (
    select
        coalesce(tickets.region, '(none)') as region,
        coalesce(tickets.team, '(none)') as team,
        coalesce(tickets.channel, '(none)') as channel,
        coalesce(tickets.category, '(none)') as category,
        coalesce(tickets.priority, '(none)') as priority,
        tickets.frt_s,
        tickets.resolution_s,
        tickets.frt_s <= coalesce(sla_targets.target_s, $sla_default_s) as met,
        tickets.frt_s is not null
            or (
                tickets.first_response_at is null
                and tickets.age_s > coalesce(sla_targets.target_s, $sla_default_s)
            ) as evaluated
    from selected_tickets(
        $source, $regions, $teams, $channels, $categories, $priorities, $as_of
    ) as tickets
    left join sla_targets using (priority)
    where tickets.created_at >= $start and tickets.created_at < $end
),

-- grouping sets: one scan feeds the five groupings
figures as (
    select
        case
            when grouping(region) = 0 then 'region'
            when grouping(team) = 0 then 'team'
            when grouping(channel) = 0 then 'channel'
            when grouping(category) = 0 then 'category'
            else 'priority'
        end as dimension,
        coalesce(region, team, channel, category, priority) as value,
        count(*) as created,
        quantile_cont(frt_s, [0.5, 0.9]) as frt_q,
        median(resolution_s) as resolution_median_s,
        count(*) filter (where met) as met,
        count(*) filter (where evaluated) as evaluated
    from cohort
    group by grouping sets ((region), (team), (channel), (category), (priority))
),

final as (
    select
        dimension,
        value,
        created,
        frt_q[1] / 3600 as frt_median_h,
        frt_q[2] / 3600 as frt_p90_h,
        resolution_median_s / 3600 as resolution_median_h,
        100.0 * met / nullif(evaluated, 0) as sla_pct
    from figures
    order by dimension, created desc, value
)

select * from final
