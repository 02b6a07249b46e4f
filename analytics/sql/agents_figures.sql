-- Figures per agent or per team ($by: 'assignee' or 'team') over [$start, $end):
-- tickets handled (created in the period and assigned to them), first response
-- and resolution times, SLA attainment (by creation date, as the overview);
-- the open backlog they own at the period's end (or at $as_of, the export's
-- last event, if sooner); reopen, one-touch and good-rating rates over the
-- tickets resolved in the period, each leaving out the tickets whose input
-- the export lacks (quality_macros.sql). Names are compared as stored: two
-- spellings are two rows. A null name is the unassigned tickets' row.
with

tickets as not materialized (
    select
        case $by when 'assignee' then assignee when 'team' then team end as name,
        *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

cohort as (
    select
        name,
        count(*) as handled,
        quantile_cont(frt_s, [0.5, 0.9]) as frt_q,
        median(resolution_s) / 3600 as resolution_median_h,
        count(*) filter (
            where frt_s <= sla_target_s(priority, $sla_priorities, $sla_targets, $sla_default_s)
        ) as sla_met,
        count(*) filter (
            where frt_s is not null
                or (
                    first_response_at is null
                    and age_s > sla_target_s(priority, $sla_priorities, $sla_targets, $sla_default_s)
                )
        ) as sla_evaluated
    from tickets
    where created_at >= $start and created_at < $end
    group by name
),

-- count() of a rule counts the tickets it is known for; count_if() those it holds for
solved as (
    select
        name,
        count(*) as resolved,
        count(was_reopened(reopens)) as reopen_known,
        count_if(was_reopened(reopens)) as reopened,
        count(one_touch(replies)) as one_touch_known,
        count_if(one_touch(replies)) as one_touch,
        count(good_rating(csat_score)) as ratings,
        count_if(good_rating(csat_score)) as good_ratings
    from tickets
    where resolved_at >= $start and resolved_at < $end
    group by name
),

backlog as (
    select
        name,
        count(*) as backlog_open
    from tickets
    where created_at <= least($end, $as_of::timestamptz)
        and open_at(resolved_at, closed_at, least($end, $as_of::timestamptz))
    group by name
),

names as (
    select name from cohort
    union
    select name from solved
    union
    select name from backlog
),

final as (
    select
        names.name,
        coalesce(cohort.handled, 0) as handled,
        cohort.frt_q[1] / 3600 as frt_median_h,
        cohort.frt_q[2] / 3600 as frt_p90_h,
        cohort.resolution_median_h,
        100.0 * cohort.sla_met / nullif(cohort.sla_evaluated, 0) as sla_pct,
        coalesce(backlog.backlog_open, 0) as backlog_open,
        coalesce(solved.resolved, 0) as resolved,
        100.0 * solved.reopened / nullif(solved.reopen_known, 0) as reopen_pct,
        100.0 * solved.one_touch / nullif(solved.one_touch_known, 0) as one_touch_pct,
        100.0 * solved.good_ratings / nullif(solved.ratings, 0) as csat_pct,
        coalesce(solved.ratings, 0) as ratings
    from names
    left join cohort on cohort.name is not distinct from names.name
    left join solved on solved.name is not distinct from names.name
    left join backlog on backlog.name is not distinct from names.name
    order by handled desc, backlog_open desc, names.name nulls last
)

select * from final
