-- The ids of the snapshots taken before $older_than, never the latest: those
-- maintenance expires. Chosen here, where times compare as times: DuckLake's
-- own `older_than` compares them as text in a SQLite catalog.
with

snapshots as (
    select
        snapshot_id,
        snapshot_time
    from ducklake_snapshots(current_database())
),

final as (
    select coalesce(list(snapshot_id order by snapshot_id), []) as versions
    from snapshots
    where snapshot_time < $older_than
        and snapshot_id < (select max(snapshot_id) from snapshots)
)

select * from final
