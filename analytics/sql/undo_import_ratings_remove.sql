-- Remove the current ratings the undo puts back (_undo_rating_changes): those
-- the import wrote, and those it replaced.
with

undone as (
    select ticket_id from _undo_rating_changes
)

delete from ratings
where source = $source
    and ticket_id in (select ticket_id from undone)
