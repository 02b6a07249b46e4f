-- Tickets open at $at by calendar age, and how many of them still await a
-- first response.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

open_tickets as (
    select
        epoch($at::timestamptz) - epoch(created_at) as age_s,
        first_response_at is null or first_response_at > $at as awaiting
    from tickets
    where created_at <= $at and (done_at is null or done_at > $at)
),

bucketed as (
    select
        case
            when age_s < 86400 then 1
            when age_s < 2 * 86400 then 2
            when age_s < 3 * 86400 then 3
            when age_s < 7 * 86400 then 4
            when age_s < 14 * 86400 then 5
            else 6
        end as bucket_order,
        awaiting
    from open_tickets
),

labels as (
    select * from (values
        (1, '< 1 day'), (2, '1-2 days'), (3, '2-3 days'), (4, '3-7 days'), (5, '7-14 days'),
        (6, '14 days+')
    ) as t(bucket_order, age)
),

final as (
    select
        labels.age,
        count(bucketed.bucket_order) as open,
        count(*) filter (where bucketed.awaiting) as awaiting_first_response
    from labels
    left join bucketed using (bucket_order)
    group by labels.bucket_order, labels.age
    order by labels.bucket_order
)

select * from final
