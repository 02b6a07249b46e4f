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
        epoch_us(created_at) // $zone_step_us as tick,
        frt_s,
        age_s,
        first_response_at,
        coalesce(
            $sla_targets[list_position($sla_priorities, priority)], $sla_default_s
        ) as target_s
    from tickets
    where created_at >= $start and created_at < $end
),

-- Only the distinct ticks of $zone_step_us (an hour, or a quarter hour in
-- zones offset by fractions of an hour) go through the slow time-zone
-- conversion; local midnights fall on ticks.
weeks as (
    select
        tick,
        date_trunc(
            'week', timezone($tz, to_timestamp(tick * $zone_step_us / 1000000))
        )::date as week
    from (select distinct tick from cohort)
),

final as (
    select
        weeks.week,
        count(*) filter (where frt_s <= target_s) as met,
        count(*) filter (
            where frt_s is not null or (first_response_at is null and age_s > target_s)
        ) as evaluated,
        100.0 * count(*) filter (where frt_s <= target_s)
            / nullif(
                count(*) filter (
                    where frt_s is not null or (first_response_at is null and age_s > target_s)
                ),
                0
            ) as sla_pct
    from cohort
    join weeks using (tick)
    group by weeks.week
    order by weeks.week
)

select * from final
