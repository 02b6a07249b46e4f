-- Share of tickets created in the period by first-response time bucket;
-- tickets not answered yet form their own bucket.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

bucketed as (
    select
        case
            when first_response_at is null then 6
            when frt_s < 3600 then 1
            when frt_s < 4 * 3600 then 2
            when frt_s < 8 * 3600 then 3
            when frt_s < 24 * 3600 then 4
            else 5
        end as bucket_order
    from tickets
    where created_at >= $start
        and created_at < $end
        -- a first response recorded before creation is a data error: no bucket
        and (first_response_at is null or frt_s is not null)
),

labels as (
    select * from (values
        (1, '0-1 h'), (2, '1-4 h'), (3, '4-8 h'), (4, '8-24 h'), (5, '24 h+'), (6, 'not answered')
    ) as t(bucket_order, bucket)
),

-- counted before the join, so the join meets six rows, not every ticket
counts as (
    select bucket_order, count(*) as tickets
    from bucketed
    group by bucket_order
),

final as (
    select
        labels.bucket,
        coalesce(counts.tickets, 0) as tickets,
        100.0 * coalesce(counts.tickets, 0) / nullif(sum(counts.tickets) over (), 0) as share_pct
    from labels
    left join counts using (bucket_order)
    order by labels.bucket_order
)

select * from final
