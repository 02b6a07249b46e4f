-- The quality metrics' rules (docs/metrics.md), written once for every query
-- that counts them: the overview, the weekly report, the Agents and teams
-- page and the command line. Each takes a selected ticket's columns; each is
-- null when the export does not say, and a null is left out of a rate's
-- numerator and denominator alike, never guessed. Defined per cursor with
-- selected_tickets.

-- resolved and reopened at least once (reopens unknown: null)
create or replace temp macro was_reopened(reopens) as
    reopens >= 1;

-- resolved with exactly one agent reply (replies unknown: null)
create or replace temp macro one_touch(replies) as
    replies = 1;

-- resolved at the first contact: one agent reply and never reopened; null
-- when either is unknown
-- (spelled out: SQL's `null and false` is false, not null)
create or replace temp macro first_contact(replies, reopens) as
    case when replies is not null and reopens is not null then replies = 1 and reopens = 0 end;

-- a good rating: 75 or more of 100, so 4 and 5 of 5, 8 to 10 of 10, "good"
create or replace temp macro good_rating(csat_score) as
    csat_score >= 75;
