-- Satisfaction ratings, one row per rated ticket: the survey's answer
-- normalised to 0-100 (good = 100, bad = 0; 1-5 and 1-10 scales mapped
-- linearly), the raw answer, and when it was given. Kept beside `tickets`
-- rather than as new columns of it: surveys arrive after the ticket, often in
-- a file of their own, and DuckLake readers already open when a table's
-- columns change can fail on its inlined rows (docs/decisions/ratings-beside-tickets.md).
-- (source, ticket_id) is unique, kept so by the importer; a rating always
-- belongs to a stored ticket. Metric queries read them joined to the
-- tickets, as the tickets' csat_score and csat_at.
create table ratings (
    source      varchar not null,
    ticket_id   varchar not null,
    csat_score  double not null,
    csat_raw    varchar,
    csat_at     timestamptz,
    import_id   integer not null
);
