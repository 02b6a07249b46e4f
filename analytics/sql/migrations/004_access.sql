-- Who did what: every write to the store (imports, deletes, events, effects,
-- staffing plans, users) records its actor in the same transaction, so the
-- log can never disagree with the data. Sign-ins are recorded too.

create sequence if not exists audit_id_seq start 1;

create table audit_log (
    audit_id    integer primary key default nextval('audit_id_seq'),
    occurred_at timestamptz not null default current_timestamp,
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
    saved_at        timestamptz not null,
    primary key (source, team, weekday)
);
