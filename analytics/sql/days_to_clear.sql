-- Backlog at $at divided by the mean daily resolutions of the 28 days before:
-- how long the queue would take to empty with no new tickets.
with

tickets as (
    select *
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

figures as (
    select
        count(*) filter (
            where created_at <= $at and (done_at is null or done_at > $at)
        ) as backlog_open,
        count(*) filter (
            where done_at > $at::timestamptz - interval 28 day and done_at <= $at
        ) / 28.0 as resolved_per_day
    from tickets
),

final as (
    select
        backlog_open,
        resolved_per_day,
        backlog_open / nullif(resolved_per_day, 0) as days_to_clear
    from figures
)

select * from final
