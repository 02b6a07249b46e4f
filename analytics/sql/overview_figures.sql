-- The overview's headline figures for one period [$start, $end).
-- Created, response times and SLA count tickets by creation date (cohort);
-- resolved counts tickets by the date they were resolved; backlog is taken
-- at the end of the period (or at $as_of, the export's last event, if sooner).
with

-- not materialized: each use scans and filters the table itself, far cheaper
-- than writing every selected ticket to a temporary result first.
tickets as not materialized (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

sla_targets as (
    select
        unnest($sla_priorities::varchar[]) as priority,
        unnest($sla_targets::double[]) as target_s
),

-- a join against the few targets, much cheaper than a list lookup per ticket
cohort as (
    select
        tickets.*,
        coalesce(sla_targets.target_s, $sla_default_s) as target_s
    from tickets
    left join sla_targets using (priority)
    where tickets.created_at >= $start and tickets.created_at < $end
),

cohort_figures as (
    select
        count(*) as created,
        quantile_cont(frt_s, [0.5, 0.9]) as frt_q,
        median(resolution_s) / 3600 as resolution_median_h,
        count(*) filter (where frt_s <= target_s) as sla_met,
        count(*) filter (
            where frt_s is not null or (first_response_at is null and age_s > target_s)
        ) as sla_evaluated
    from cohort
),

solved as (
    select count(*) as resolved
    from tickets
    where resolved_at >= $start and resolved_at < $end
),

backlog as (
    select
        count(*) filter (
            where created_at <= least($end, $as_of::timestamptz)
                and (done_at is null or done_at > least($end, $as_of::timestamptz))
        ) as backlog_open,
        count(*) filter (
            where created_at <= least($end, $as_of::timestamptz)
                and (done_at is null or done_at > least($end, $as_of::timestamptz))
                and (
                    first_response_at is null
                    or first_response_at > least($end, $as_of::timestamptz)
                )
        ) as backlog_awaiting_first_response
    from tickets
),

final as (
    select
        cohort_figures.created,
        solved.resolved,
        cohort_figures.frt_q[1] / 3600 as frt_median_h,
        cohort_figures.frt_q[2] / 3600 as frt_p90_h,
        cohort_figures.resolution_median_h,
        100.0 * cohort_figures.sla_met / nullif(cohort_figures.sla_evaluated, 0) as sla_pct,
        cohort_figures.sla_evaluated,
        backlog.backlog_open,
        backlog.backlog_awaiting_first_response
    from cohort_figures, solved, backlog
)

select * from final
