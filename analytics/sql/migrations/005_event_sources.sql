-- An event belongs to one source, or to every source (source null). The
-- calendar used to be global, so the built-in sample's story and seasons
-- drew their bands on imported data too.
--
-- What existing events become:
-- - the sample's own events, when the store holds a source named 'sample':
--   they were imported from the simulator's events file by `make run`, and
--   carry its descriptions word for word (listed below). They belong to
--   'sample' from now on.
-- - every other event stays an event of every source, as it was. The
--   migration cannot tell which source an analyst meant, and an event that
--   vanished from a chart would be a silent loss; narrowing one is a click in
--   the Events page's editor.
--
-- DuckDB cannot drop a table's unique constraint, so the table is rebuilt.
-- event_id values are kept: saved effects (event_effects) refer to them.
-- Uniqueness is on (source, name, region, start) with every-source events
-- counted as one source, which a plain unique constraint would not do
-- (nulls are distinct), hence the unique index on an expression.

create table events_scoped (
    event_id    integer primary key default nextval('event_id_seq'),
    source      varchar,            -- null: the event concerns every source
    name        varchar not null,
    kind        varchar not null,
    region      varchar not null default 'all',
    starts_on   date not null,
    ends_on     date,
    notes       varchar
);

insert into events_scoped (event_id, source, name, kind, region, starts_on, ends_on, notes)
select
    event_id,
    case
        when notes in (
            'New-interface tickets ramp up for a week then decay; a small residue stays.',
            'No chat; a third of would-be chats come by web form instead; chat agents work the queue.',
            'Weekend head count multiplied by peak_multiplier.',
            'September peak of renewals, transfers and hosting; about +35% on the year''s mean.',
            'Arrivals dip; agents on leave too.'
        )
        and (
            exists (select 1 from tickets where source = 'sample')
            or exists (select 1 from imports where source = 'sample')
        )
        then 'sample'
    end as source,
    name,
    kind,
    region,
    starts_on,
    ends_on,
    notes
from events;

drop table events;

alter table events_scoped rename to events;

create unique index events_key on events ((coalesce(source, '')), name, region, starts_on);
