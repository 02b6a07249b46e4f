-- The sources whose tickets or ratings were inserted, deleted or updated
-- between two snapshots (both included): the copy joins the two.
with

ticket_changes as (
    select distinct source
    from ducklake_table_changes(current_database(), 'main', 'tickets', $since, $until)
),

rating_changes as (
    select distinct source
    from ducklake_table_changes(current_database(), 'main', 'ratings', $since, $until)
),

final as (
    select source from ticket_changes
    union
    select source from rating_changes
)

select * from final
