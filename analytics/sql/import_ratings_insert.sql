-- Write the new and changed ratings of _rating_actions into source $source
-- (the changed ones were just deleted by import_ratings_delete_changed).
insert into ratings by name
select
    $source as source,
    ticket_id,
    csat_score,
    csat_raw,
    csat_at,
    $import_id as import_id
from _rating_actions
where action <> 'unchanged'
order by ticket_id
