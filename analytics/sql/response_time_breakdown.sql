-- Response figures per value of every dimension (region, team, channel,
-- category, priority), by creation date (cohort): one row per
-- (dimension, value), the five breakdowns in one round trip.
with

sla_targets as (
    select
        unnest($sla_priorities::varchar[]) as priority,
        unnest($sla_targets::double[]) as target_s
),

-- not materialized: each breakdown scans and filters the table itself, far
-- cheaper than writing every ticket of a long period to a temporary result.
cohort as not materialized (
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

-- One aggregate per dimension (a single one over five copies of the cohort is slower).
figures as (
    select
        'region' as dimension,
        region as value,
        count(*) as created,
        quantile_cont(frt_s, [0.5, 0.9]) as frt_q,
        median(resolution_s) as resolution_median_s,
        count(*) filter (where met) as met,
        count(*) filter (where evaluated) as evaluated
    from cohort
    group by region
    union all
    select
        'team',
        team,
        count(*),
        quantile_cont(frt_s, [0.5, 0.9]),
        median(resolution_s),
        count(*) filter (where met),
        count(*) filter (where evaluated)
    from cohort
    group by team
    union all
    select
        'channel',
        channel,
        count(*),
        quantile_cont(frt_s, [0.5, 0.9]),
        median(resolution_s),
        count(*) filter (where met),
        count(*) filter (where evaluated)
    from cohort
    group by channel
    union all
    select
        'category',
        category,
        count(*),
        quantile_cont(frt_s, [0.5, 0.9]),
        median(resolution_s),
        count(*) filter (where met),
        count(*) filter (where evaluated)
    from cohort
    group by category
    union all
    select
        'priority',
        priority,
        count(*),
        quantile_cont(frt_s, [0.5, 0.9]),
        median(resolution_s),
        count(*) filter (where met),
        count(*) filter (where evaluated)
    from cohort
    group by priority
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
