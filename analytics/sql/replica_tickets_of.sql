-- The tickets as the process's copy holds them (as replica_tickets.sql), for
-- the keys in the temporary table changed_tickets (replica_changed_tickets.sql)
-- only; a ticket deleted since is in none of them.
with

tickets_of as (
    select tickets.*
    from tickets
    semi join changed_tickets using (source, ticket_id)
),

ratings_of as (
    select
        ratings.source,
        ratings.ticket_id,
        ratings.csat_score,
        ratings.csat_at
    from ratings
    semi join changed_tickets using (source, ticket_id)
),

final as (
    select
        tickets_of.*,
        ratings_of.csat_score,
        ratings_of.csat_at
    from tickets_of
    left join ratings_of using (source, ticket_id)
    order by tickets_of.created_at
)

select * from final
