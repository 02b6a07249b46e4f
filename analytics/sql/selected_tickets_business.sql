-- The tickets of one source that match the sidebar filters, with durations
-- in business seconds of their team's schedule. Business time up to an
-- instant is read from the calendar (_calendar: schedule, starts, ends,
-- cum_before) with an ASOF join; a duration is a difference of two readings.
create or replace temp macro selected_tickets(
    p_source, p_regions, p_teams, p_channels, p_categories, p_priorities, p_as_of
) as table

with

filtered as (
    select
        tickets.*,
        -- a stable handle for fetching a few rows' other columns afterwards
        tickets.rowid as row_id,
        coalesce(team_schedules.schedule, 'default') as schedule
    from main.tickets
    left join _team_schedules as team_schedules using (team)
    where source = p_source
        and (len(p_regions) = 0 or list_contains(p_regions, region))
        and (len(p_teams) = 0 or list_contains(p_teams, team))
        and (len(p_channels) = 0 or list_contains(p_channels, channel))
        and (len(p_categories) = 0 or list_contains(p_categories, category))
        and (len(p_priorities) = 0 or list_contains(p_priorities, priority))
),

as_of_reading as (
    select
        schedule,
        arg_max(
            cum_before + least(
                greatest(epoch(p_as_of::timestamptz) - epoch(starts), 0),
                epoch(ends) - epoch(starts)
            ),
            starts
        ) as business_s
    from _calendar
    where starts <= p_as_of::timestamptz
    group by schedule
),

readings as (
    select
        filtered.*,
        at_created.cum_before + least(
            greatest(epoch(filtered.created_at) - epoch(at_created.starts), 0),
            epoch(at_created.ends) - epoch(at_created.starts)
        ) as b_created,
        at_response.cum_before + least(
            greatest(epoch(filtered.first_response_at) - epoch(at_response.starts), 0),
            epoch(at_response.ends) - epoch(at_response.starts)
        ) as b_response,
        at_resolved.cum_before + least(
            greatest(epoch(filtered.resolved_at) - epoch(at_resolved.starts), 0),
            epoch(at_resolved.ends) - epoch(at_resolved.starts)
        ) as b_resolved
    from filtered
    asof left join _calendar as at_created
        on filtered.schedule = at_created.schedule
        and filtered.created_at >= at_created.starts
    asof left join _calendar as at_response
        on filtered.schedule = at_response.schedule
        and filtered.first_response_at >= at_response.starts
    asof left join _calendar as at_resolved
        on filtered.schedule = at_resolved.schedule
        and filtered.resolved_at >= at_resolved.starts
),

final as (
    select
        row_id,
        ticket_id,
        created_at,
        first_response_at,
        resolved_at,
        closed_at,
        coalesce(resolved_at, closed_at) as done_at,
        region,
        team,
        channel,
        category,
        priority,
        status,
        assignee,
        reopens,
        replies,
        csat_score,
        csat_at,
        case
            when first_response_s >= 0 then coalesce(b_response, 0) - coalesce(b_created, 0)
        end as frt_s,
        case
            when resolution_s >= 0 then coalesce(b_resolved, 0) - coalesce(b_created, 0)
        end as resolution_s,
        coalesce(as_of_reading.business_s, 0) - coalesce(b_created, 0) as age_s
    from readings
    left join as_of_reading using (schedule)
)

select * from final
