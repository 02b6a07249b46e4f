-- Median and p90 of first response and resolution, SLA attainment, and the
-- tickets in each first-response bucket, per day or ISO week of $tz ($grain),
-- by creation date (cohort). SLA: answered within target / tickets whose
-- target has been evaluated; a ticket still unanswered past its target is
-- breached. Buckets: 0-1 h, 1-4 h, 4-8 h, 8-24 h, 24 h+, not answered; a first
-- response recorded before creation (a data error) is in none. Counts add up
-- over periods, so the period's bucket shares come from this query too.
with

-- Each ticket's local day or week: its instant plus $tz's UTC offset then,
-- from the few instants in the period at which the offset changes
-- ($zone_changes, $zone_offsets; zone_offset_us is defined on the cursor for
-- their number, metrics.zone_offset_macro). The slow time-zone conversion is
-- never applied per ticket.
cohort as (
    select
        date_trunc(
            $grain,
            make_timestamp(
                epoch_us(tickets.created_at)
                + zone_offset_us(
                    epoch_us(tickets.created_at),
                    $zone_changes::bigint[],
                    $zone_offsets::bigint[]
                )
            )
        )::date as period,
        tickets.frt_s,
        tickets.resolution_s,
        tickets.first_response_at is null as unanswered,
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
        period,
        count(*) as created,
        count(frt_s) as answered,
        quantile_cont(frt_s, [0.5, 0.9]) as frt_q,
        quantile_cont(resolution_s, [0.5, 0.9]) as resolution_q,
        count_if(met) as met,
        count_if(evaluated) as evaluated,
        count_if(frt_s < 3600) as frt_0_1h,
        count_if(frt_s >= 3600 and frt_s < 4 * 3600) as frt_1_4h,
        count_if(frt_s >= 4 * 3600 and frt_s < 8 * 3600) as frt_4_8h,
        count_if(frt_s >= 8 * 3600 and frt_s < 24 * 3600) as frt_8_24h,
        count_if(frt_s >= 24 * 3600) as frt_24h_plus,
        count_if(unanswered) as not_answered
    from cohort
    group by period
),

-- count_if, cheaper than count(*) filter (where ...) for eight counts, is
-- NULL when all its inputs are (a period without an answered ticket), and a
-- HUGEINT, which pandas would take as a float: cast back to whole counts.
final as (
    select
        period,
        created,
        answered,
        frt_q[1] / 3600 as frt_median_h,
        frt_q[2] / 3600 as frt_p90_h,
        resolution_q[1] / 3600 as resolution_median_h,
        resolution_q[2] / 3600 as resolution_p90_h,
        coalesce(met, 0)::bigint as met,
        evaluated::bigint as evaluated,
        100.0 * coalesce(met, 0) / nullif(evaluated, 0) as sla_pct,
        coalesce(frt_0_1h, 0)::bigint as frt_0_1h,
        coalesce(frt_1_4h, 0)::bigint as frt_1_4h,
        coalesce(frt_4_8h, 0)::bigint as frt_4_8h,
        coalesce(frt_8_24h, 0)::bigint as frt_8_24h,
        coalesce(frt_24h_plus, 0)::bigint as frt_24h_plus,
        not_answered::bigint as not_answered
    from figures
    order by period
)

select * from final
