-- Write the new and changed tickets of _actions (the changed ones were just
-- deleted by import_delete_changed), so no conflict can arise and none is
-- checked. Rows are stored in creation order so that each row group covers a
-- short span of created_at and a date-range filter skips the others (DuckDB's
-- zone maps).
insert into tickets by name
select
    $source as source,
    ticket_id,
    created_at,
    first_response_at,
    resolved_at,
    closed_at,
    status,
    status_raw,
    channel,
    channel_raw,
    team,
    region,
    category,
    priority,
    priority_raw,
    assignee,
    reopens,
    replies,
    first_response_s,
    resolution_s,
    flags,
    $import_id as import_id
from _actions
where action <> 'unchanged'
order by created_at
