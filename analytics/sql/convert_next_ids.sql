-- After a conversion, the next id of each kind is one past the largest the
-- store holds, so that new imports, events, effects and audit rows never
-- take an id the old store gave out.
update store_meta
set
    next_import_id = greatest(next_import_id, (select coalesce(max(import_id), 0) + 1 from imports)),
    next_event_id = greatest(next_event_id, (select coalesce(max(event_id), 0) + 1 from events)),
    next_effect_id = greatest(next_effect_id, (select coalesce(max(effect_id), 0) + 1 from event_effects)),
    next_audit_id = greatest(next_audit_id, (select coalesce(max(audit_id), 0) + 1 from audit_log))
