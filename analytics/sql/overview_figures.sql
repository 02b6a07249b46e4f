-- The overview's headline figures for the period [$start, $end) and the one
-- before it, [$previous_start, $start): one row each ('current', 'previous'),
-- from one pass over the tickets. Created, response times and SLA count
-- tickets by creation date (cohort); resolved counts tickets by the date they
-- were resolved; backlog is taken at the end of each period (or at $as_of,
-- the export's last event, if sooner). $previous_start = $start asks for the
-- current period alone.
with

-- not materialized: each use scans and filters the table itself, far cheaper
-- than writing every selected ticket to a temporary result first.
tickets as not materialized (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

periods as (
    select unnest(['current', 'previous']) as period
),

cohort as (
    select
        case when tickets.created_at >= $start then 'current' else 'previous' end as period,
        tickets.frt_s,
        tickets.resolution_s,
        tickets.first_response_at,
        tickets.age_s,
        sla_target_s(tickets.priority, $sla_priorities, $sla_targets, $sla_default_s)
            as target_s
    from tickets
    where tickets.created_at >= $previous_start and tickets.created_at < $end
),

cohort_figures as (
    select
        period,
        count(*) as created,
        quantile_cont(frt_s, [0.5, 0.9]) as frt_q,
        median(resolution_s) / 3600 as resolution_median_h,
        count(*) filter (where frt_s <= target_s) as sla_met,
        count(*) filter (
            where frt_s is not null or (first_response_at is null and age_s > target_s)
        ) as sla_evaluated
    from cohort
    group by period
),

solved as (
    select
        count(*) filter (where resolved_at >= $start) as current,
        count(*) filter (where resolved_at < $start) as previous
    from tickets
    where resolved_at >= $previous_start and resolved_at < $end
),

-- Each period's backlog is taken at its end.
instants as (
    select 'current' as period, least($end, $as_of::timestamptz) as at
    union all
    select 'previous', least($start, $as_of::timestamptz)
),

backlog as (
    select
        instants.period,
        count(*) as backlog_open,
        count(*) filter (
            where tickets.first_response_at is null or tickets.first_response_at > instants.at
        ) as backlog_awaiting_first_response
    from instants
    join tickets
        on tickets.created_at <= instants.at
        and (tickets.done_at is null or tickets.done_at > instants.at)
    -- implied by the join (no instant is earlier), but constant: DuckDB skips
    -- the row groups of tickets all done before the previous period ended
    where open_at(tickets.resolved_at, tickets.closed_at, least($start, $as_of::timestamptz))
    group by instants.period
),

final as (
    select
        periods.period,
        coalesce(cohort_figures.created, 0) as created,
        case when periods.period = 'current' then solved.current else solved.previous end
            as resolved,
        cohort_figures.frt_q[1] / 3600 as frt_median_h,
        cohort_figures.frt_q[2] / 3600 as frt_p90_h,
        cohort_figures.resolution_median_h,
        100.0 * cohort_figures.sla_met / nullif(cohort_figures.sla_evaluated, 0) as sla_pct,
        coalesce(cohort_figures.sla_evaluated, 0) as sla_evaluated,
        coalesce(backlog.backlog_open, 0) as backlog_open,
        coalesce(backlog.backlog_awaiting_first_response, 0) as backlog_awaiting_first_response
    from periods
    cross join solved
    left join cohort_figures using (period)
    left join backlog using (period)
    order by periods.period
)

select * from final
