-- Remove the current rows of the tickets the undo puts back (_undo_changes):
-- those the import added and those it changed.
with

undone as (
    select ticket_id from _undo_changes
)

delete from tickets
where source = $source
    and ticket_id in (select ticket_id from undone)
