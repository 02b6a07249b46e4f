-- The tickets of source $source that differ between snapshot $before (the
-- store just before the import being undone) and now, kept in a temporary
-- table for the rest of the undo's transaction: 'added' (not there before),
-- 'changed', or 'gone' (there before, not now). Whole rows are compared, so
-- whatever the import wrote, and nothing else, is put back.
create or replace temporary table _undo_changes as

with

before as (
    select * from tickets at (version => $before)
    where source = $source
),

current as (
    select * from tickets
    where source = $source
),

only_before as (
    select ticket_id from (select * from before except all select * from current)
),

only_now as (
    select ticket_id from (select * from current except all select * from before)
),

sides as (
    select ticket_id, 'before' as side from only_before
    union all
    select ticket_id, 'now' as side from only_now
),

final as (
    select
        ticket_id,
        case
            when count(distinct side) = 2 then 'changed'
            when any_value(side) = 'now' then 'added'
            else 'gone'
        end as change
    from sides
    group by ticket_id
)

select * from final
