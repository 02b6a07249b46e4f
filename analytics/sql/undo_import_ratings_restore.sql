-- Write back, as they were at snapshot $before, the ratings of source $source
-- that the import replaced (_undo_rating_changes); those it added had none.
insert into ratings by name

with

undone as (
    select ticket_id from _undo_rating_changes
),

before as (
    select * from ratings at (version => $before)
    where source = $source
        and ticket_id in (select ticket_id from undone)
)

select * from before
order by ticket_id
