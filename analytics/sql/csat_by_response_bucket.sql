-- CSAT per first-response bucket of the tickets resolved in [$start, $end):
-- bucket, rated (tickets with a rating), good (rated 75 or more, good_rating),
-- csat_pct (good / rated; null without a rating). The buckets are those of
-- response_time_trend.sql, on the selection's clock: 0-1 h, 1-4 h, 4-8 h,
-- 8-24 h, 24 h+ and not answered; a first response recorded before creation (a
-- data error) is in none. Every bucket has its row, in that order, rated or not.
with

buckets as (
    select
        unnest(['0-1 h', '1-4 h', '4-8 h', '8-24 h', '24 h+', 'not answered']) as bucket,
        unnest([1, 2, 3, 4, 5, 6]) as position
),

rated as (
    select
        case
            when tickets.first_response_at is null then 'not answered'
            when tickets.frt_s < 3600 then '0-1 h'
            when tickets.frt_s < 4 * 3600 then '1-4 h'
            when tickets.frt_s < 8 * 3600 then '4-8 h'
            when tickets.frt_s < 24 * 3600 then '8-24 h'
            when tickets.frt_s >= 24 * 3600 then '24 h+'
        end as bucket,
        good_rating(tickets.csat_score) as good
    from selected_tickets(
        $source, $regions, $teams, $channels, $categories, $priorities, $as_of
    ) as tickets
    where tickets.resolved_at >= $start
        and tickets.resolved_at < $end
        and tickets.csat_score is not null
),

counts as (
    select
        bucket,
        count(*) as rated,
        count_if(good) as good
    from rated
    where bucket is not null
    group by bucket
),

final as (
    select
        buckets.bucket,
        coalesce(counts.rated, 0)::bigint as rated,
        coalesce(counts.good, 0)::bigint as good,
        100.0 * counts.good / nullif(counts.rated, 0) as csat_pct
    from buckets
    left join counts using (bucket)
    order by buckets.position
)

select * from final
