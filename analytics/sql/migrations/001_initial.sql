-- The canonical store. Table and column names of `tickets` are a public
-- contract: scripts query the database file directly.

create sequence if not exists import_id_seq start 1;

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

-- Bumped by every write so that cached query results can key on it.
create table store_meta (
    data_version bigint not null
);
insert into store_meta values (0);
