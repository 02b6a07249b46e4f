-- Scheduled jobs (analytics/jobs): what ran, when, and what it delivered.
--
-- One row per run of a job: by its schedule (slot: the cron time it ran
-- for), by "Run now" or the command line (slot null). `delivered` lists what
-- went to whom ({"channel", "to", "status"}); addresses are shown to admins
-- only, and no secret is ever written here.
create table job_runs (
    run_id      integer not null,
    job         varchar not null,
    kind        varchar not null,   -- 'import', 'report' or 'alert'
    slot        timestamptz,
    trigger     varchar not null,   -- 'schedule', 'manual' or 'retry'
    started_at  timestamptz not null,
    finished_at timestamptz,
    outcome     varchar not null,   -- 'running', 'ok', 'nothing to do', 'retrying', 'failed'
    message     varchar,
    delivered   json
);

-- The last schedule slot each job was claimed for: a restarted worker runs
-- a missed slot once and never a claimed one twice. Claiming a slot updates
-- this row, so two workers claiming at once conflict and one gives way.
create table job_state (
    job         varchar not null,
    last_slot   timestamptz not null
);

-- What an alert job last sent for one wave (a surge, a breach wave, a growth
-- spell): it is sent again only when its severity worsens.
create table alerts_sent (
    job         varchar not null,
    wave        varchar not null,
    severity    double not null,
    sent_at     timestamptz not null,
    run_id      integer
);

alter table store_meta add column next_run_id integer default 1;
