-- The quality figures of the tickets resolved in the period [$start, $end) and
-- in the one before it, [$previous_start, $start): one row each ('current',
-- 'previous'), from one pass over the tickets. Reopen, one-touch and
-- first-contact rates and CSAT follow quality_macros.sql: a ticket whose input
-- the export lacks is left out of the rate's numerator and denominator, so a
-- rate with no known input is null, never 0. The CSAT response rate (rated /
-- resolved) is null when no selected ticket, at any time, has a rating: the
-- export has none, which is not a survey nobody answered. $previous_start =
-- $start asks for the current period alone.
with

tickets as not materialized (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

periods as (
    select unnest(['current', 'previous']) as period
),

resolved as (
    select
        case when resolved_at >= $start then 'current' else 'previous' end as period,
        was_reopened(reopens) as reopened,
        one_touch(replies) as one_touch,
        first_contact(replies, reopens) as first_contact,
        good_rating(csat_score) as good
    from tickets
    where resolved_at >= $previous_start and resolved_at < $end
),

-- count() of a rule counts the tickets it is known for; count_if() those it holds for
counts as (
    select
        period,
        count(*) as resolved,
        count(reopened) as reopens_known,
        count_if(reopened) as reopened,
        count(one_touch) as replies_known,
        count_if(one_touch) as one_touch,
        count(first_contact) as first_contact_known,
        count_if(first_contact) as first_contact,
        count(good) as rated,
        count_if(good) as good
    from resolved
    group by period
),

rated_ever as (
    select
        count(csat_score) > 0 as has_ratings
    from tickets
),

-- count_if is a HUGEINT, null over no row: back to whole counts
final as (
    select
        periods.period,
        coalesce(counts.resolved, 0)::bigint as resolved,
        coalesce(counts.reopens_known, 0)::bigint as reopens_known,
        coalesce(counts.reopened, 0)::bigint as reopened,
        100.0 * counts.reopened / nullif(counts.reopens_known, 0) as reopen_rate_pct,
        coalesce(counts.replies_known, 0)::bigint as replies_known,
        coalesce(counts.one_touch, 0)::bigint as one_touch,
        100.0 * counts.one_touch / nullif(counts.replies_known, 0) as one_touch_pct,
        coalesce(counts.first_contact_known, 0)::bigint as first_contact_known,
        coalesce(counts.first_contact, 0)::bigint as first_contact,
        100.0 * counts.first_contact / nullif(counts.first_contact_known, 0)
            as first_contact_pct,
        coalesce(counts.rated, 0)::bigint as rated,
        coalesce(counts.good, 0)::bigint as good,
        100.0 * counts.good / nullif(counts.rated, 0) as csat_pct,
        case
            when rated_ever.has_ratings
                then 100.0 * coalesce(counts.rated, 0) / nullif(counts.resolved, 0)
        end as csat_response_pct
    from periods
    cross join rated_ever
    left join counts using (period)
    order by periods.period
)

select * from final
