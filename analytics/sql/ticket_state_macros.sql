-- Whether a ticket is done (resolved, else closed) after an instant, written
-- on the stored columns rather than on coalesce(resolved_at, closed_at):
-- DuckDB then checks each row group's min/max and skips the groups whose
-- tickets were all done long before. Defined per cursor with selected_tickets.
create or replace temp macro done_after(resolved_at, closed_at, t) as
    resolved_at > t or (resolved_at is null and closed_at > t);

-- not done at t: done after it, or never
create or replace temp macro open_at(resolved_at, closed_at, t) as
    resolved_at > t or (resolved_at is null and (closed_at is null or closed_at > t));

-- A ticket's first-response target in seconds: its priority's target, else
-- the default. A map lookup per ticket, cheaper than joining the tickets to
-- a table of the few targets.
create or replace temp macro sla_target_s(priority, p_priorities, p_targets, p_default) as
    coalesce(
        map_from_entries(list_zip(p_priorities::varchar[], p_targets::double[]))[priority],
        p_default
    );
