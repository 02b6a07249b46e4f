-- Rewrite calendar event $event_id with the edited values.
update events
set
    source = $source,
    name = $name,
    kind = $kind,
    region = $region,
    starts_on = $starts_on,
    ends_on = $ends_on,
    notes = $notes
where event_id = $event_id
