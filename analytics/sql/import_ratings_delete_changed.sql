-- Remove the stored ratings of source $source that this import replaces
-- (_rating_actions, action 'update'); import_ratings_insert writes them again.
with

changed as (
    select ticket_id from _rating_actions where action = 'update'
)

delete from ratings
where source = $source
    and ticket_id in (select ticket_id from changed)
