-- The tickets as the process's copy holds them: every column of `tickets`,
-- then the ticket's rating (csat_score, csat_at; null when unrated), for the
-- sources $sources (all of them when $sources is null).
with

tickets_of as (
    select *
    from tickets
    where $sources is null or list_contains($sources, source)
),

ratings_of as (
    select
        source,
        ticket_id,
        csat_score,
        csat_at
    from ratings
    where $sources is null or list_contains($sources, source)
),

final as (
    select
        tickets_of.*,
        ratings_of.csat_score,
        ratings_of.csat_at
    from tickets_of
    left join ratings_of using (source, ticket_id)
    -- kept in creation order: a period filter skips whole row groups
    order by tickets_of.created_at
)

select * from final
