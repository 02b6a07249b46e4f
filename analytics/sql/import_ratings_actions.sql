-- What importing the ratings of _rated (_rec, ticket_id, csat_score,
-- csat_raw, csat_at) into source $source would do to each rated ticket:
-- insert (no stored rating), update (the stored rating differs) or
-- unchanged. A ticket rated twice in one file keeps its later answer.
with

incoming as (
    select *
    from _rated
    qualify row_number() over (partition by ticket_id order by _rec desc) = 1
),

stored as (
    select * from ratings where source = $source
),

final as (
    select
        incoming._rec,
        incoming.ticket_id,
        incoming.csat_score,
        incoming.csat_raw,
        incoming.csat_at,
        case
            when stored.ticket_id is null then 'insert'
            when row(incoming.csat_score, incoming.csat_raw, incoming.csat_at)
                is distinct from row(stored.csat_score, stored.csat_raw, stored.csat_at)
                then 'update'
            else 'unchanged'
        end as action
    from incoming
    left join stored using (ticket_id)
)

select * from final
