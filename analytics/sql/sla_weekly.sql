-- SLA attainment per ISO week of $tz, by creation date (cohort): answered
-- within target / tickets whose target has been evaluated; a ticket still
-- unanswered past its target is breached.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

cohort as (
    select
        date_trunc('week', timezone($tz, created_at))::date as week,
        frt_s,
        age_s,
        coalesce(
            $sla_targets[list_position($sla_priorities, priority)], $sla_default_s
        ) as target_s
    from tickets
    where created_at >= $start and created_at < $end
),

final as (
    select
        week,
        count(*) filter (where frt_s <= target_s) as met,
        count(*) filter (where frt_s is not null or age_s > target_s) as evaluated,
        100.0 * count(*) filter (where frt_s <= target_s)
            / nullif(count(*) filter (where frt_s is not null or age_s > target_s), 0) as sla_pct
    from cohort
    group by week
    order by week
)

select * from final
