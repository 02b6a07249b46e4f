-- Write back, as they were at snapshot $before, the tickets of source $source
-- that the import changed (_undo_changes), in creation order like an import.
insert into tickets by name

with

undone as (
    select ticket_id from _undo_changes
    where change <> 'added'
),

before as (
    select * from tickets at (version => $before)
    where source = $source
        and ticket_id in (select ticket_id from undone)
)

select * from before
order by created_at
