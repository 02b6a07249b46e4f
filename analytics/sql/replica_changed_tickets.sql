-- The tickets (source, ticket_id) whose row or rating was inserted, deleted
-- or updated between two snapshots (both included): the copy replaces just
-- these rows when they are few.
with

ticket_changes as (
    select source, ticket_id
    from ducklake_table_changes(current_database(), 'main', 'tickets', $since, $until)
),

rating_changes as (
    select source, ticket_id
    from ducklake_table_changes(current_database(), 'main', 'ratings', $since, $until)
),

final as (
    select source, ticket_id from ticket_changes
    union
    select source, ticket_id from rating_changes
)

select * from final
