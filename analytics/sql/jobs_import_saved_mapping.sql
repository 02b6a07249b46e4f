-- The preset, column mapping and reading options of a source's latest
-- import that wrote tickets: what its next scheduled import reuses, so a
-- mapping made on the Data page keeps applying. No row: never imported.
with

imports as (
    select * from imports
),

written as (
    select
        import_id,
        preset,
        mapping,
        options,
        finished_at
    from imports
    where source = $source
        and outcome in ('imported', 'imported with rejects')
),

final as (
    select
        preset,
        mapping,
        options
    from written
    order by finished_at desc, import_id desc
    limit 1
)

select * from final
