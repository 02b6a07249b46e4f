-- The events calendar: what happened (or will happen) that moves ticket
-- volumes or response times. Not tied to a source: a rollout is a fact about
-- the business, whichever export the tickets came from.

create sequence if not exists event_id_seq start 1;

create table events (
    event_id    integer primary key default nextval('event_id_seq'),
    name        varchar not null,
    kind        varchar not null,
    region      varchar not null default 'all',
    starts_on   date not null,
    ends_on     date,
    notes       varchar,
    unique (name, region, starts_on)
);
