-- The canonical store, a DuckLake: tables here, rows in Parquet files (small
-- tables inlined in the catalog). Table and column names of `tickets` are a
-- public contract: scripts query it directly.
--
-- DuckLake has no primary keys, unique constraints or sequences. Keys are
-- kept unique by the code that writes them, and ids are handed out by
-- `store_meta` (db.next_id): updating its one row makes two writers that
-- commit at once conflict, so one retries instead of both taking an id.

create table tickets (
    source              varchar not null,
    ticket_id           varchar not null,
    created_at          timestamptz not null,
    first_response_at   timestamptz,
    resolved_at         timestamptz,
    closed_at           timestamptz,
    status              varchar,
    status_raw          varchar,
    channel             varchar,
    channel_raw         varchar,
    team                varchar,
    region              varchar,
    category            varchar,
    priority            varchar,
    priority_raw        varchar,
    assignee            varchar,
    reopens             integer,
    replies             integer,
    -- computed once at import so that no query recomputes them
    first_response_s    bigint,
    resolution_s        bigint,
    flags               varchar[],
    import_id           integer not null
);

create table imports (
    import_id       integer not null,
    source          varchar not null,
    file_name       varchar not null,
    sha256          varchar not null,
    preset          varchar not null,
    mapping         json not null,
    options         json not null,
    rows_read       bigint not null,
    rows_inserted   bigint not null,
    rows_updated    bigint not null,
    rows_unchanged  bigint not null,
    rows_rejected   bigint not null,
    rows_flagged    bigint not null,
    started_at      timestamptz not null,
    finished_at     timestamptz not null,
    outcome         varchar not null
);

create table rejects (
    import_id   integer not null,
    line        bigint,
    reason      varchar not null,
    raw         varchar
);

-- One row: the next id of each kind.
create table store_meta (
    next_import_id  integer not null,
    next_event_id   integer not null,
    next_effect_id  integer not null,
    next_audit_id   integer not null
);
insert into store_meta values (1, 1, 1, 1);

-- The events calendar: what happened (or will happen) that moves ticket
-- volumes or response times. An event belongs to one source, or to every
-- source (source null). (source, name, region, starts_on) is unique, with
-- every-source events counted as one source.
create table events (
    event_id    integer not null,
    source      varchar,
    name        varchar not null,
    kind        varchar not null,
    region      varchar not null default 'all',
    starts_on   date not null,
    ends_on     date,
    notes       varchar
);

-- Measured effects of past events, kept so that the forecast can apply the
-- effect of a past event to a planned event of the same kind. One row per
-- (source, event, metric, method); re-estimating replaces it. The event is
-- copied by value (name, kind, region, dates) because the calendar can be
-- edited after the estimate was made.
create table event_effects (
    effect_id       integer not null,
    source          varchar not null,
    event_id        integer,
    event_name      varchar not null,
    kind            varchar not null,
    region          varchar not null,
    starts_on       date not null,
    ends_on         date not null,
    metric          varchar not null,   -- 'arrivals' or 'first_response_h'
    method          varchar not null,   -- 'intervention' or 'staggered_did'
    model           varchar not null,   -- plain words: shape, errors, how it was chosen
    shape           varchar,            -- step, box, pulse, ramp_decay, pulse+step, ...
    decay_days      double,
    effect_pct      double,             -- arrivals: mean uplift over the window, in %
    low_pct         double,
    high_pct        double,
    effect_abs      double,             -- arrivals: tickets/day; first response: hours
    low_abs         double,
    high_abs        double,
    baseline        double,             -- counterfactual mean over the window, same unit
    duration_days   integer,
    estimated_at    timestamptz not null
);

-- The effect day by day from the event's start (day_offset 0): for arrivals
-- the relative change (0.25 = +25% on the counterfactual), for first
-- response the change in hours; low/high bound the 95% interval.
create table event_effect_profile (
    effect_id   integer not null,
    day_offset  integer not null,
    effect      double not null,
    low         double,
    high        double
);

-- Who did what: every write to the store (imports, deletes, events, effects,
-- staffing plans, users) records its actor in the same transaction, so the
-- log can never disagree with the data. Sign-ins are recorded too.
create table audit_log (
    audit_id    integer not null,
    occurred_at timestamptz not null,
    actor       varchar not null,   -- user name or e-mail; 'cli:<os user>' from the command line
    role        varchar not null,   -- the actor's role at the time
    via         varchar not null,   -- 'oidc', 'local', 'single-user', 'cli', 'library'
    action      varchar not null,   -- e.g. 'import', 'delete_source', 'edit_events'
    target      varchar,            -- what it acted on: a source, a user, a file
    detail      json                -- counts and options, never ticket content
);

-- The staffing plan a team works to, per source: agents per team and weekday
-- on the queue (forms, email) and on the live desk (chat, phone) between a
-- start and end hour. Saving replaces the whole plan of a source.
create table staffing_plans (
    source          varchar not null,
    team            varchar not null,
    weekday         varchar not null,
    start_hour      integer not null,
    end_hour        integer not null,
    queue_agents    integer not null,
    live_agents     integer not null,
    saved_by        varchar not null,
    saved_at        timestamptz not null
);
