-- Write the tickets of _actions into a source that holds none yet: every
-- row is new, so no conflict can arise and none is checked.
insert into tickets
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
