-- The latest $limit snapshots of the store, newest first: when, who (its
-- author), what (its commit message, the audit action), on what (its extra
-- info, the action's target), and the rows it added to or removed from each
-- table, in words ("imports added, tickets changed"). Sign-ins and sign-outs
-- write the audit log, so they are snapshots too: left out unless
-- $include_sessions. The audit log and the id counters change with every
-- write, so their rows go unmentioned.
with

snapshots as (
    select
        snapshot_id,
        snapshot_time,
        author,
        commit_message as action,
        commit_extra_info as target,
        changes
    from ducklake_snapshots(current_database())
),

shown as (
    select * from snapshots
    where $include_sessions
        or coalesce(action, '') not in ('sign_in', 'sign_in_failed', 'sign_out')
    order by snapshot_id desc
    limit $limit
),

table_names as (
    select
        table_id::varchar as table_ref,
        replace(table_name, '_', ' ') as table_name
    from ducklake_table_info(current_database())
    where table_name not in ('audit_log', 'store_meta', 'schema_version')
),

-- DuckLake names each change by kind, with the ids of the tables it touched.
entries as (
    select
        snapshot_id,
        unnest(map_entries(changes)) as entry
    from shown
),

changed as (
    select
        snapshot_id,
        entry.key as kind,
        unnest(entry.value) as table_ref
    from entries
),

-- Moving rows from the catalog to files writes files of rows and of deletions
-- that change no data: such a snapshot says so, and nothing more.
flushes as (
    select distinct snapshot_id from changed
    where kind = 'flushed_inlined'
),

row_changes as (
    select
        changed.snapshot_id,
        table_names.table_name,
        bool_or(changed.kind in ('tables_inserted_into', 'inlined_insert')) as added,
        bool_or(changed.kind in ('tables_deleted_from', 'inlined_delete')) as removed
    from changed
    join table_names using (table_ref)
    where changed.kind in
        ('tables_inserted_into', 'inlined_insert', 'tables_deleted_from', 'inlined_delete')
        and changed.snapshot_id not in (select snapshot_id from flushes)
    group by all
),

phrases as (
    select
        snapshot_id,
        table_name || case
            when added and removed then ' changed'
            when added then ' added'
            else ' removed'
        end as phrase
    from row_changes
    union
    select
        snapshot_id,
        case kind
            when 'schemas_created' then 'store created'
            when 'tables_created' then 'tables created'
            when 'tables_altered' then 'tables altered'
            when 'tables_dropped' then 'tables dropped'
            when 'flushed_inlined' then 'small writes moved to files'
            when 'merge_adjacent' then 'files merged'
            when 'rewrite_delete' then 'files rewritten'
        end as phrase
    from changed
    where phrase is not null
),

summaries as (
    select
        snapshot_id,
        string_agg(phrase, ', ' order by phrase) as changes
    from phrases
    group by snapshot_id
),

final as (
    select
        shown.snapshot_id,
        shown.snapshot_time,
        shown.author,
        shown.action,
        shown.target,
        coalesce(summaries.changes, '') as changes
    from shown
    left join summaries using (snapshot_id)
    order by shown.snapshot_id desc
)

select * from final
