-- Merge each table's adjacent small Parquet files into larger ones (rows keep
-- the snapshot that wrote them, so time travel still reads them); return how
-- many files were merged and how many written. The merged files are
-- scheduled for deletion.
with

merged as (
    select
        files_processed,
        files_created
    from ducklake_merge_adjacent_files(current_database())
),

final as (
    select
        coalesce(sum(files_processed), 0)::bigint as files_merged,
        coalesce(sum(files_created), 0)::bigint as files_written
    from merged
)

select * from final
