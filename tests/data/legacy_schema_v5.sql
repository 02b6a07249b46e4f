-- The schema of a store of the format before DuckLake at its last version, 5:
-- what migrations 001 to 005 (git show 71ee6d6:analytics/sql/migrations/)
-- left in the one DuckDB file, written out as it ended up. The tests build
-- old stores from it with DuckDB 2.0.1 (tests/legacy_store.py).

create table schema_version (
    version     integer primary key,
    applied_at  timestamptz not null
);

create sequence import_id_seq start 1;
create sequence event_id_seq start 1;
create sequence event_effect_id_seq start 1;
create sequence audit_id_seq start 1;

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
    first_response_s    bigint,
    resolution_s        bigint,
    flags               varchar[],
    import_id           integer not null,
    primary key (source, ticket_id)
);

create table imports (
    import_id       integer primary key default nextval('import_id_seq'),
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

create table store_meta (
    data_version bigint not null
);
insert into store_meta values (0);

create table event_effects (
    effect_id       integer primary key default nextval('event_effect_id_seq'),
    source          varchar not null,
    event_id        integer,
    event_name      varchar not null,
    kind            varchar not null,
    region          varchar not null,
    starts_on       date not null,
    ends_on         date not null,
    metric          varchar not null,
    method          varchar not null,
    model           varchar not null,
    shape           varchar,
    decay_days      double,
    effect_pct      double,
    low_pct         double,
    high_pct        double,
    effect_abs      double,
    low_abs         double,
    high_abs        double,
    baseline        double,
    duration_days   integer,
    estimated_at    timestamptz not null,
    unique (source, event_id, metric, method)
);

create table event_effect_profile (
    effect_id   integer not null,
    day_offset  integer not null,
    effect      double not null,
    low         double,
    high        double,
    primary key (effect_id, day_offset)
);

create table audit_log (
    audit_id    integer primary key default nextval('audit_id_seq'),
    occurred_at timestamptz not null default current_timestamp,
    actor       varchar not null,
    role        varchar not null,
    via         varchar not null,
    action      varchar not null,
    target      varchar,
    detail      json
);

create table staffing_plans (
    source          varchar not null,
    team            varchar not null,
    weekday         varchar not null,
    start_hour      integer not null,
    end_hour        integer not null,
    queue_agents    integer not null,
    live_agents     integer not null,
    saved_by        varchar not null,
    saved_at        timestamptz not null,
    primary key (source, team, weekday)
);

create table events (
    event_id    integer primary key default nextval('event_id_seq'),
    source      varchar,
    name        varchar not null,
    kind        varchar not null,
    region      varchar not null default 'all',
    starts_on   date not null,
    ends_on     date,
    notes       varchar
);

create unique index events_key on events ((coalesce(source, '')), name, region, starts_on);
