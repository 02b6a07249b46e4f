-- The tickets behind one point or bar of a managers' chart ($kind, with the
-- clicked value in $day, $value, $weekday and $hour, $at, or $names and
-- $unassigned), first created
-- first, at most $limit of them (null: all), each with the number of them
-- all (total). Each kind's condition is the one its chart counts with:
--   created_day, created_week, created_month: created on that local day, in
--     that local ISO week (its Monday, $day), in that local month (its first
--     day) of $tz, within [$start, $end) (cohort);
--   sla_week: created in that local ISO week ($day) within [$start, $end) and
--     evaluated against its first-response target (sla_weekly: answered, or
--     unanswered past the target at $as_of);
--   assignee_week, team_week: created in that local ISO week ($day) within
--     [$start, $end), assigned to one of $names (stored names; $unassigned:
--     or to nobody), as agents_trend.sql groups them;
--   resolved_day: resolved on that local day, within [$start, $end);
--   region, team, channel, category, priority: created within [$start,
--     $end) with that value ($value; '(none)' is no value);
--   frt_bucket: created within [$start, $end) in that first-response bucket
--     ($value: 0-1 h, 1-4 h, 4-8 h, 8-24 h, 24 h+, not answered);
--   weekday_hour: created within [$start, $end) at that local weekday
--     (1 = Monday) and hour of $tz;
--   rated_in_bucket: resolved within [$start, $end), rated, in that
--     first-response bucket ($value), as csat_by_response_bucket.sql counts;
--   open_at: created at or before $at and not done at $at (the backlog);
--   open_aged, answered_aged, awaiting_aged: open at $at with that calendar age
--     then ($value: < 1 day ... 14 days+), all, answered by $at, or not yet;
--   awaiting_at: open at $at and not yet answered then.
-- Times are instants (UTC); the caller shows them in $tz.
with

-- Local times as response_time_trend.sql computes them: the instant plus
-- $tz's offset then, from the instants at which the offset changes.
tickets as (
    select
        *,
        make_timestamp(
            epoch_us(created_at)
            + zone_offset_us(epoch_us(created_at), $zone_changes::bigint[], $zone_offsets::bigint[])
        ) as created_local,
        make_timestamp(
            epoch_us(resolved_at)
            + zone_offset_us(epoch_us(resolved_at), $zone_changes::bigint[], $zone_offsets::bigint[])
        ) as resolved_local,
        -- waiting for a first reply ends at the reply or when done, never
        -- before creation (backlog_levels_macro.sql)
        case
            when coalesce(first_response_at, done_at) is not null
                then greatest(created_at, least(first_response_at, done_at))
        end as awaiting_end
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

in_period as (
    select *
    from tickets
    where created_at >= $start and created_at < $end
),

cohort as (
    select *
    from in_period
    where case $kind
        when 'created_day' then created_local::date = $day::date
        when 'created_week' then date_trunc('week', created_local)::date = $day::date
        when 'created_month' then date_trunc('month', created_local)::date = $day::date
        -- the week's SLA figure counts the tickets evaluated, as response_time_trend.sql
        when 'sla_week' then date_trunc('week', created_local)::date = $day::date
            and (
                frt_s is not null
                or (
                    first_response_at is null
                    and age_s > sla_target_s(priority, $sla_priorities, $sla_targets, $sla_default_s)
                )
            )
        when 'assignee_week' then date_trunc('week', created_local)::date = $day::date
            and (
                list_contains($names::varchar[], assignee)
                or ($unassigned::boolean and assignee is null)
            )
        when 'team_week' then date_trunc('week', created_local)::date = $day::date
            and (
                list_contains($names::varchar[], team)
                or ($unassigned::boolean and team is null)
            )
        when 'region' then coalesce(region, '(none)') = $value
        when 'team' then coalesce(team, '(none)') = $value
        when 'channel' then coalesce(channel, '(none)') = $value
        when 'category' then coalesce(category, '(none)') = $value
        when 'priority' then coalesce(priority, '(none)') = $value
        -- a first response recorded before creation (a data error) is in no bucket
        when 'frt_bucket' then case $value
            when '0-1 h' then frt_s < 3600
            when '1-4 h' then frt_s >= 3600 and frt_s < 4 * 3600
            when '4-8 h' then frt_s >= 4 * 3600 and frt_s < 8 * 3600
            when '8-24 h' then frt_s >= 8 * 3600 and frt_s < 24 * 3600
            when '24 h+' then frt_s >= 24 * 3600
            when 'not answered' then first_response_at is null
            else false
        end
        when 'weekday_hour'
            then isodow(created_local) = $weekday and hour(created_local) = $hour
        else false
    end
),

resolved as (
    select *
    from tickets
    where $kind = 'resolved_day'
        and resolved_at >= $start
        and resolved_at < $end
        and resolved_local::date = $day::date
),

-- csat_by_response_bucket.sql's buckets: a first response recorded before
-- creation (a data error) is in none
rated as (
    select *
    from tickets
    where $kind = 'rated_in_bucket'
        and resolved_at >= $start
        and resolved_at < $end
        and csat_score is not null
        and case
            when first_response_at is null then 'not answered'
            when frt_s < 3600 then '0-1 h'
            when frt_s < 4 * 3600 then '1-4 h'
            when frt_s < 8 * 3600 then '4-8 h'
            when frt_s < 24 * 3600 then '8-24 h'
            when frt_s >= 24 * 3600 then '24 h+'
        end = $value
),

backlog as (
    select *
    from tickets
    where $kind in ('open_at', 'awaiting_at')
        and created_at <= $at::timestamptz
        and open_at(resolved_at, closed_at, $at::timestamptz)
        and (
            $kind = 'open_at'
            or awaiting_end is null
            or awaiting_end > $at::timestamptz
        )
),

-- backlog_now.sql's bars: open at $at (the period's end, or the export's last
-- event if sooner) by calendar age then; answered by then, or still awaiting
aged as (
    select *
    from tickets
    where $kind in ('open_aged', 'answered_aged', 'awaiting_aged')
        and created_at <= $at::timestamptz
        and open_at(resolved_at, closed_at, $at::timestamptz)
        and case
            when epoch($at::timestamptz) - epoch(created_at) < 86400 then '< 1 day'
            when epoch($at::timestamptz) - epoch(created_at) < 2 * 86400 then '1-2 days'
            when epoch($at::timestamptz) - epoch(created_at) < 3 * 86400 then '2-3 days'
            when epoch($at::timestamptz) - epoch(created_at) < 7 * 86400 then '3-7 days'
            when epoch($at::timestamptz) - epoch(created_at) < 14 * 86400 then '7-14 days'
            else '14 days+'
        end = $value
        and case $kind
            when 'awaiting_aged'
                then first_response_at is null or first_response_at > $at::timestamptz
            when 'answered_aged' then first_response_at <= $at::timestamptz
            else true
        end
),

chosen as (
    select * from cohort
    union all
    select * from resolved
    union all
    select * from rated
    union all
    select * from backlog
    union all
    select * from aged
),

final as (
    select
        ticket_id,
        created_at,
        first_response_at,
        resolved_at,
        region,
        team,
        channel,
        category,
        priority,
        assignee,
        count(*) over () as total
    from chosen
    order by created_at, ticket_id
    limit $limit
)

select * from final
