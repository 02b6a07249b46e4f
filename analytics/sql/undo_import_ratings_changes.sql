-- The tickets of source $source whose rating differs between snapshot $before
-- (the store just before the import being undone) and now, kept in a
-- temporary table for the rest of the undo's transaction: whole rows are
-- compared, so whatever the import wrote, and nothing else, is put back.
create or replace temporary table _undo_rating_changes as

with

before as (
    select * from ratings at (version => $before)
    where source = $source
),

current as (
    select * from ratings
    where source = $source
),

differing as (
    select ticket_id from (select * from before except all select * from current)
    union
    select ticket_id from (select * from current except all select * from before)
),

final as (
    select distinct ticket_id from differing
)

select * from final
