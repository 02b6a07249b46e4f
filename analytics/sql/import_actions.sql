-- What importing _incoming into a source would do to each ticket:
-- insert (new id), update (stored row differs) or unchanged.
with

incoming as (
    select * from _incoming
),

stored as (
    select * from tickets where source = $source
),

final as (
    select
        incoming.*,
        case
            when stored.ticket_id is null then 'insert'
            when row(
                incoming.created_at, incoming.first_response_at, incoming.resolved_at,
                incoming.closed_at, incoming.status, incoming.status_raw, incoming.channel,
                incoming.channel_raw, incoming.team, incoming.region, incoming.category,
                incoming.priority, incoming.priority_raw, incoming.assignee,
                incoming.reopens, incoming.replies, incoming.flags
            ) is distinct from row(
                stored.created_at, stored.first_response_at, stored.resolved_at,
                stored.closed_at, stored.status, stored.status_raw, stored.channel,
                stored.channel_raw, stored.team, stored.region, stored.category,
                stored.priority, stored.priority_raw, stored.assignee,
                stored.reopens, stored.replies, stored.flags
            ) then 'update'
            else 'unchanged'
        end as action
    from incoming
    left join stored using (ticket_id)
)

select * from final
