"""How many agents: Erlang C and Erlang A for live work, a workload model with an
hourly FIFO backlog simulation for queued work.

Live channels (chat, phone) are answered in seconds: Erlang C (M/M/N) or
Erlang A (M/M/N+M, callers hang up after an exponential patience) give the
agents needed per hour for a service level such as 80% answered within
20 s. Queued work (forms, email) waits hours by design, where Erlang C
does not apply: agents per day come from the workload (volume x handling
time / productive hours), then an hourly first-in first-out simulation
adds agents until tickets get their first response within the target.

Erlang A follows O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call
center with impatient customers", Manufacturing & Service Operations
Management 4(3), 2002. Check value: 100 calls per 30 min, 180 s handling,
80% within 20 s needs 14 agents by Erlang C, 12 by Erlang A with 120 s
patience.

>>> agents_erlang_c(100, 1800, 180, 0.8, 20)
14
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
from scipy.linalg import expm

from analytics import access, i18n, store
from analytics.i18n import N_
from analytics.sample import story


def erlang_b(agents: int, traffic: float) -> float:
    """Return the Erlang B blocking probability, by the stable recursion
    ``B(n) = a B(n-1) / (n + a B(n-1))`` (no factorials, no overflow)."""
    b = 1.0
    for n in range(1, int(agents) + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(agents: int, traffic: float) -> float:
    """Return the probability that a contact waits (Erlang C); 1 when ``agents <= traffic``."""
    if agents <= traffic:
        return 1.0
    b = erlang_b(agents, traffic)
    return agents * b / (agents - traffic * (1 - b))


def service_level_c(agents: int, traffic: float, aht_s: float, answer_s: float) -> float:
    """Return the share of contacts answered within ``answer_s`` seconds (Erlang C)."""
    if agents <= traffic:
        return 0.0
    return 1.0 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * answer_s / aht_s)


def agents_erlang_c(
    contacts: float, interval_s: float, aht_s: float, service_level: float, answer_s: float
) -> int:
    """Return the fewest agents answering ``service_level`` of contacts within ``answer_s``.

    ``contacts`` arrive in ``interval_s`` seconds and take ``aht_s`` seconds each.
    """
    if contacts <= 0:
        return 0
    traffic = contacts * aht_s / interval_s
    n = max(1, math.floor(traffic) + 1)
    while service_level_c(n, traffic, aht_s, answer_s) < service_level:
        n += 1
    return n


MAX_QUEUE = 5000
MAX_QUEUE_SOLVED = 600


def _erlang_a_states(agents: int, lam: float, mu: float, theta: float) -> np.ndarray:
    """Stationary distribution of the number in system of M/M/N+M, computed in log space."""
    logs = [0.0]
    n = 0
    while True:
        n += 1
        death = min(n, agents) * mu + max(0, n - agents) * theta
        logs.append(logs[-1] + math.log(lam) - math.log(death))
        # Past the agents the chain decays geometrically; stop when negligible (or,
        # for an overloaded desk of very patient callers, after a few thousand places).
        if n > agents and (logs[-1] < max(logs) - 40 or n > agents + MAX_QUEUE):
            break
    p = np.exp(np.asarray(logs) - max(logs))
    return p / p.sum()


def service_level_a(
    agents: int,
    contacts: float,
    interval_s: float,
    aht_s: float,
    answer_s: float,
    patience_s: float,
) -> float:
    """Return the share of all contacts answered within ``answer_s`` (Erlang A).

    A contact that finds ``j`` waiting ahead is answered when ``j + 1`` places
    have freed (each at rate ``N mu`` plus the abandonment of those ahead),
    unless its own patience runs out first; answered-within-t is the
    absorption probability of that small chain by ``answer_s``.
    """
    if contacts <= 0:
        return 1.0
    lam, mu, theta = contacts / interval_s, 1.0 / aht_s, 1.0 / patience_s
    p = _erlang_a_states(agents, lam, mu, theta)
    # PASTA: an arrival sees the stationary distribution.
    served_now = p[:agents].sum()
    # Far back in a queue nobody is answered within seconds: those places count as late.
    waiting = p[agents : agents + MAX_QUEUE_SOLVED]
    k = len(waiting)
    if k == 0:
        return float(served_now)
    # Transient states: position 1..k in the queue; position i moves to i-1 at
    # rate N mu + (i-1) theta, and leaves (abandons) at rate theta.
    q = np.zeros((k + 2, k + 2))
    served, gone = k, k + 1
    for i in range(k):
        forward = agents * mu + i * theta
        q[i, served if i == 0 else i - 1] += forward
        q[i, gone] += theta
        q[i, i] = -(forward + theta)
    reach = expm(q * answer_s)[:k, served]
    return float(served_now + (waiting * reach).sum())


def agents_erlang_a(
    contacts: float,
    interval_s: float,
    aht_s: float,
    service_level: float,
    answer_s: float,
    patience_s: float,
) -> int:
    """Return the fewest agents answering ``service_level`` of contacts within ``answer_s``
    when contacts abandon after an exponential patience of mean ``patience_s``."""
    if contacts <= 0:
        return 0
    n = 1
    while service_level_a(n, contacts, interval_s, aht_s, answer_s, patience_s) < service_level:
        n += 1
    return n


def live_agents_per_hour(
    arrivals: pd.Series,
    aht_s: float,
    service_level: float,
    answer_s: float,
    patience_s: float | None = None,
) -> pd.DataFrame:
    """Return ``period, contacts, erlang_c`` (and ``erlang_a`` with a patience) per hour."""
    rows = []
    for period, contacts in arrivals.items():
        row = {
            "period": period,
            "contacts": float(contacts),
            "erlang_c": agents_erlang_c(contacts, 3600, aht_s, service_level, answer_s),
        }
        if patience_s:
            row["erlang_a"] = agents_erlang_a(
                contacts, 3600, aht_s, service_level, answer_s, patience_s
            )
        rows.append(row)
    return pd.DataFrame(rows)


def workload_agents(
    tickets: float, handling_min: float, productive_hours: float, shrinkage: float
) -> float:
    """Return the agents a day's ``tickets`` keep busy (fractional): workload / net hours."""
    return tickets * handling_min / 60.0 / (productive_hours * (1.0 - shrinkage))


def fifo_backlog(
    arrivals: np.ndarray, capacity: np.ndarray, open_backlog: float = 0.0
) -> pd.DataFrame:
    """Return the hourly backlog and first-response waits of a first-in first-out queue.

    ``arrivals`` and ``capacity`` (tickets an hour's agents can answer) are
    per hour. Arrivals are spread evenly within their hour; the wait of the
    tickets of hour ``t`` is read from the cumulative curves: when the served
    count reaches what had arrived. Columns ``backlog`` (end of hour),
    ``wait_h`` (mean wait of that hour's arrivals, hours) and ``wait_max_h``.
    """
    arrivals = np.asarray(arrivals, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    n = len(arrivals)
    cum_in = open_backlog + np.concatenate([[0.0], np.cumsum(arrivals)])
    served = np.zeros(n + 1)
    backlog = np.zeros(n)
    level = open_backlog
    for t in range(n):
        done = min(level + arrivals[t], capacity[t])
        level = level + arrivals[t] - done
        served[t + 1] = served[t] + done
        backlog[t] = level

    def when_served(count: np.ndarray) -> np.ndarray:
        # Hour (fractional) when the served curve reaches ``count``; inf if never.
        idx = np.searchsorted(served, count, side="left")
        out = np.full(len(count), np.inf)
        ok = (idx > 0) & (idx <= n)
        i = idx[ok]
        step = served[i] - served[i - 1]
        out[ok] = (i - 1) + np.where(step > 0, (count[ok] - served[i - 1]) / step, 0.0)
        return out

    mid = when_served((cum_in[:-1] + cum_in[1:]) / 2) - (np.arange(n) + 0.5)
    last = when_served(cum_in[1:]) - (np.arange(n) + 1.0)
    horizon_left = n - np.arange(n)
    wait = np.where(np.isinf(mid), horizon_left, np.maximum(mid, 0.0))
    wait_max = np.where(np.isinf(last), horizon_left, np.maximum(last, 0.0))
    return pd.DataFrame({"backlog": backlog, "wait_h": wait, "wait_max_h": wait_max})


def queued_agents_per_day(
    arrivals: pd.Series,
    handling_min: float,
    productive_hours: float,
    shrinkage: float,
    target_h: float,
    shift: tuple[int, int] = (8, 18),
    open_backlog: float = 0.0,
) -> pd.DataFrame:
    """Return ``day, tickets, workload_agents, agents`` for hourly ``arrivals`` of queued work.

    ``agents`` is the fewest head count per day, working the ``shift`` hours
    (local), that answers every ticket arriving on shift within ``target_h``
    when the days are worked in order (a day's leftover backlog carries over);
    never below the workload.
    """
    arrivals = arrivals.astype(float)
    hours = pd.DatetimeIndex(arrivals.index)
    per_agent_hour = 60.0 / handling_min * (1.0 - shrinkage)
    on_shift = (hours.hour >= shift[0]) & (hours.hour < shift[1])
    rows, level = [], float(open_backlog)
    for day, idx in pd.Series(np.arange(len(hours)), index=hours.normalize()).groupby(level=0):
        a = arrivals.to_numpy()[idx.to_numpy()]
        shift_mask = on_shift[idx.to_numpy()]
        base = workload_agents(a.sum(), handling_min, productive_hours, shrinkage)
        n = max(0, math.ceil(base - 1e-9))
        # Only tickets arriving on shift can be answered within the target by more
        # agents; the night's tickets wait for the morning whatever the head count.
        judged = shift_mask & (np.arange(len(a)) < len(a))
        ceiling = n + 5 + math.ceil(a.sum() / max(per_agent_hour, 1e-9))
        while True:
            cap = np.where(shift_mask, n * per_agent_hour, 0.0)
            sim = fifo_backlog(a, cap, level)
            waits = sim["wait_max_h"].to_numpy()[judged]
            if (waits <= target_h).all() or n >= ceiling:
                break
            n += 1
        level = float(sim["backlog"].iat[-1])
        rows.append({"day": day, "tickets": a.sum(), "workload_agents": base, "agents": n})
    return pd.DataFrame(rows)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def live_share(channels: pd.DataFrame, live_channels: tuple[str, ...], days: int = 28) -> float:
    """Return the share of tickets on live channels (chat, phone) over the last ``days``.

    ``channels`` is a daily history split by channel (``series, period,
    created``, with a ``total`` series that is left out); 0 when empty.
    """
    if channels.empty:
        return 0.0
    recent = channels[channels["period"] >= channels["period"].max() - pd.Timedelta(days=days - 1)]
    per_channel = recent[recent["series"] != "total"].groupby("series")["created"].sum()
    live = float(per_channel[per_channel.index.isin(live_channels)].sum())
    return live / max(1.0, float(per_channel.sum()))


def plan_table(teams: dict) -> pd.DataFrame:
    """Return an editable plan ``team, weekday, start_hour, end_hour, queue_agents,
    live_agents`` from per-team :class:`analytics.sample.TeamStaffing`.

    Weekdays run 7-20 with the team's agents, weekends 10-17 with its
    weekend share of them (at least one on the live desk).
    """
    for team, staff in teams.items():
        story.check_staffing(str(team), staff)
    rows = []
    for team, staff in teams.items():
        for d, day in enumerate(WEEKDAYS):
            if d < 5:
                queue, live, hours = staff.agents - staff.live_desk, staff.live_desk, (7, 20)
            else:
                heads = max(1, round(staff.agents * staff.weekend_share))
                live = max(1, round(heads * staff.live_desk / max(staff.agents, 1)))
                queue, hours = heads - live, (10, 17)
            rows.append(
                {
                    "team": team,
                    "weekday": day,
                    "start_hour": hours[0],
                    "end_hour": hours[1],
                    "queue_agents": queue,
                    "live_agents": live,
                }
            )
    return validate_plan(pd.DataFrame(rows, columns=list(PLAN_COLUMNS)))


def planned_per_hour(plan: pd.DataFrame, hours: pd.DatetimeIndex, column: str) -> np.ndarray:
    """Return the plan's agents of ``column`` on shift in each of ``hours`` (all teams)."""
    plan = validate_plan(plan)
    out = np.zeros(len(hours))
    day = np.asarray(hours.day_of_week)
    hour = np.asarray(hours.hour)
    for row in plan.itertuples():
        d = WEEKDAYS.index(row.weekday)
        on = (day == d) & (hour >= row.start_hour) & (hour < row.end_hour)
        out += np.where(on, getattr(row, column), 0)
    return out


def planned_per_day(plan: pd.DataFrame, days: pd.DatetimeIndex, column: str) -> np.ndarray:
    """Return the plan's agents of ``column`` on each of ``days`` (its weekday's rows, all teams)."""
    plan = validate_plan(plan)
    per_weekday = plan.groupby("weekday")[column].sum()
    names = [WEEKDAYS[d] for d in pd.DatetimeIndex(days).day_of_week]
    return per_weekday.reindex(names, fill_value=0).to_numpy()


PLAN_COLUMNS = ("team", "weekday", "start_hour", "end_hour", "queue_agents", "live_agents")
# Agents on shift at once in one team, on the queue or on the live desk; teams in a plan.
MAX_AGENTS = story.MAX_AGENTS
MAX_TEAMS = 100


class PlanError(i18n.TranslatableError, ValueError):
    """An edited staffing plan is not valid; the message names the row.

    ``str(error)`` is English; :func:`describe_error` says it in another language.
    """

    def __str__(self) -> str:
        return describe_error(self, "en")


def describe_error(error: BaseException, lang: str) -> str:
    """Return the one line of a plan or what-if error in ``lang``, its numbers in the
    language's format (``10,000`` or ``10 000``); any other error as it is."""
    template = getattr(error, "template", None)
    if not isinstance(template, str):
        return str(error)
    params = {
        name: i18n.number(value, lang) if isinstance(value, int | float) else value
        for name, value in getattr(error, "params", {}).items()
    }
    return i18n.gettext(lang, template).format(**params)


def validate_plan(plan: pd.DataFrame) -> pd.DataFrame:
    """Return the plan with whole-number columns, or raise PlanError naming the first bad row.

    Hours run 0-24 with the start before the end; agents are 0 to
    :data:`MAX_AGENTS` (no real team has more on shift at once); each team has
    each weekday at most once, and a plan at most :data:`MAX_TEAMS` teams.
    """
    missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
    if missing:
        raise PlanError(N_("the plan lacks the columns {columns}"), columns=", ".join(missing))
    out = plan[list(PLAN_COLUMNS)].copy()
    for n, row in enumerate(out.itertuples(index=False), start=1):
        where = {"row": str(n), "team": row.team, "weekday": row.weekday}
        if row.weekday not in WEEKDAYS:
            raise PlanError(
                N_("row {row} ({team}, {weekday}): the weekday is one of {days}"),
                days=", ".join(WEEKDAYS),
                **where,
            )
        start, end, queue, live = _whole(
            where, row.start_hour, row.end_hour, row.queue_agents, row.live_agents
        )
        if not 0 <= start < end <= 24:
            raise PlanError(
                N_(
                    "row {row} ({team}, {weekday}): the shift runs between hours 0 and 24, "
                    "start before end"
                ),
                **where,
            )
        if not (0 <= queue <= MAX_AGENTS and 0 <= live <= MAX_AGENTS):
            raise PlanError(
                N_("row {row} ({team}, {weekday}): agents are between 0 and {most}"),
                most=MAX_AGENTS,
                **where,
            )
    if out.duplicated(["team", "weekday"]).any():
        raise PlanError(N_("a team has the same weekday twice"))
    if out["team"].nunique() > MAX_TEAMS:
        raise PlanError(N_("a plan holds at most {most} teams"), most=MAX_TEAMS)
    return out.astype(
        {c: "int64" for c in ("start_hour", "end_hour", "queue_agents", "live_agents")}
    )


def _whole(where: dict, *values) -> list[int]:
    """Return ``values`` as ints, or raise PlanError when one is not a whole number."""
    out = []
    whole = N_("row {row} ({team}, {weekday}): hours and agents are whole numbers")
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise PlanError(whole, **where) from exc
        if not (math.isfinite(number) and number == int(number)):
            raise PlanError(whole, **where)
        out.append(int(number))
    return out


def plan_rows(plan: pd.DataFrame) -> tuple[tuple, ...]:
    """Return the validated plan as hashable rows in :data:`PLAN_COLUMNS` order
    (what :func:`analytics.planning.whatif.compare` takes), or raise PlanError."""
    return tuple(validate_plan(plan).itertuples(index=False, name=None))


def save_plan(
    con: duckdb.DuckDBPyConnection,
    source: str,
    plan: pd.DataFrame,
    *,
    actor: access.User = access.SYSTEM,
) -> int:
    """Replace the saved staffing plan of ``source`` with ``plan``; return its row count.

    ``actor`` must be allowed to save staffing plans; the save is recorded
    in the audit log in the same transaction.
    """
    access.require(actor, "save_staffing")
    rows = validate_plan(plan)
    with store.transaction(con) as cur:
        cur.execute("delete from staffing_plans where source = ?", [source])
        cur.register("_plan", rows)
        cur.execute(
            "insert into staffing_plans select ?, team, weekday, start_hour, end_hour, "
            "queue_agents, live_agents, ?, now() from _plan",
            [source, actor.name],
        )
        cur.unregister("_plan")
        access.record(cur, actor, "save_staffing", source, {"rows": len(rows)})
    return len(rows)


def saved_plan(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """Return the saved plan of ``source`` (PLAN_COLUMNS, ``saved_by, saved_at``); empty if none."""
    return store.cursor(con).execute(store.load_sql("staffing_plan_saved"), {"source": source}).df()
