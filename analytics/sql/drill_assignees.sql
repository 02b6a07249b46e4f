-- The distinct agents (assignee, as stored) of the selected tickets: what a
-- pseudonym shown on a chart is mapped back from.
with

tickets as (
    select assignee
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
    where assignee is not null
),

final as (
    select distinct assignee
    from tickets
    order by assignee
)

select * from final
