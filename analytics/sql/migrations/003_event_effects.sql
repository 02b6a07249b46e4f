-- Measured effects of past events, kept so that the forecast can apply the
-- effect of a past event to a planned event of the same kind. One row per
-- (source, event, metric, method); re-estimating replaces it. The event is
-- copied by value (name, kind, region, dates) because the calendar can be
-- edited after the estimate was made.

create sequence if not exists event_effect_id_seq start 1;

create table event_effects (
    effect_id       integer primary key default nextval('event_effect_id_seq'),
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
    estimated_at    timestamptz not null,
    unique (source, event_id, metric, method)
);

-- The effect day by day from the event's start (day_offset 0): for arrivals
-- the relative change (0.25 = +25% on the counterfactual), for first
-- response the change in hours; low/high bound the 95% interval.
create table event_effect_profile (
    effect_id   integer not null,
    day_offset  integer not null,
    effect      double not null,
    low         double,
    high        double,
    primary key (effect_id, day_offset)
);
