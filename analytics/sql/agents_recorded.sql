-- Whether one source records who handled its tickets at all: its tickets, and
-- how many name an agent (assignee) and a team, whatever the period.
with

tickets as (
    select assignee, team
    from main.tickets
    where source = $source
),

final as (
    select
        count(*) as tickets,
        count(assignee) as with_agent,
        count(team) as with_team
    from tickets
)

select * from final
