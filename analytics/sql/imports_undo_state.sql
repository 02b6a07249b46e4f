-- One row per import still in the store (only import $import_id when it is
-- not null), with what undoing it needs: its source and file, the snapshot
-- that wrote it, the snapshot just before (the store as it was before the
-- import), whether that snapshot is still kept and has today's schema, and
-- the latest later import of the same source, which would have to be undone
-- first.
--
-- The snapshot that wrote an import is the `snapshot_id` DuckLake keeps with
-- every row: the snapshot that inserted it. An import's row is inserted once,
-- in the import's own transaction, and never updated, and flushing or merging
-- files keeps each row's snapshot id, so this holds where the audit row or
-- the commit message could be missing or ambiguous (two imports of one
-- source). Snapshot ids count up by one per commit, so the one before is
-- that id minus one.
with

imports_written as (
    select
        import_id,
        source,
        file_name,
        snapshot_id as written_in
    from imports
),

snapshots as (
    select
        snapshot_id,
        schema_version
    from ducklake_snapshots(current_database())
),

current_schema as (
    select schema_version
    from snapshots
    order by snapshot_id desc
    limit 1
),

latest_per_source as (
    select
        source,
        max(import_id) as import_id
    from imports
    group by source
),

final as (
    select
        imports_written.import_id,
        imports_written.source,
        imports_written.file_name,
        imports_written.written_in,
        imports_written.written_in - 1 as before,
        before.snapshot_id is not null as before_kept,
        coalesce(before.schema_version = current_schema.schema_version, false) as same_schema,
        nullif(latest.import_id, imports_written.import_id) as later_import_id,
        later.file_name as later_file_name
    from imports_written
    cross join current_schema
    join latest_per_source as latest using (source)
    left join snapshots as before
        on before.snapshot_id = imports_written.written_in - 1
    left join imports as later
        on later.import_id = nullif(latest.import_id, imports_written.import_id)
    where $import_id is null or imports_written.import_id = $import_id
    order by imports_written.import_id
)

select * from final
