-- Delete the Parquet files under the data path that the catalog does not know
-- and that were last written before $older_than (left by a write that never
-- committed), or with $dry_run only list them; return their paths.
with

removed as (
    select path
    from ducklake_delete_orphaned_files(
        current_database(), older_than => $older_than, dry_run => $dry_run
    )
),

final as (
    select path from removed
)

select * from final
