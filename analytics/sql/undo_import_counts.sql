-- How many tickets the undo takes away (the import added them) and how many it
-- puts back as they were (the import changed them), from _undo_changes.
with

undone as (
    select change from _undo_changes
),

final as (
    select
        count(*) filter (where change = 'added') as tickets_removed,
        count(*) filter (where change <> 'added') as tickets_restored
    from undone
)

select * from final
