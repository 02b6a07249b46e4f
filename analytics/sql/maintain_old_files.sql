-- Delete the files scheduled for deletion before $older_than (merged away, or
-- needed only by expired snapshots), or with $dry_run only list them; return
-- their paths.
with

removed as (
    select path
    from ducklake_cleanup_old_files(
        current_database(), older_than => $older_than, dry_run => $dry_run
    )
),

final as (
    select path from removed
)

select * from final
