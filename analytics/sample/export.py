"""The sample written out: ``tickets.csv`` as a Zendesk ticket export and
``events.csv``, the truth the simulator injected.

The same seed and parameters give byte-identical files.

Example
-------
>>> files = write_sample(Path("data/sample"), years=1.0, scale=0.2)  # doctest: +SKIP
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics.sample.desk import (
    BUSINESS_END_MIN,
    BUSINESS_START_MIN,
    CATEGORIES,
    CHANNELS,
    PRIORITIES,
    REGIONS,
    SUBJECTS,
    TEAMS,
    TICKET_TYPE,
    TIMEZONES,
)
from analytics.sample.run import SimResult, simulate, to_utc
from analytics.sample.story import SimConfig

# Zendesk writes times in the account's time zone, not UTC.
ACCOUNT_TZ = "Europe/Paris"
ZENDESK_COLUMNS = (
    "Id",
    "Requester",
    "Requester id",
    "Requester email",
    "Submitter",
    "Assignee",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Via",
    "Ticket type",
    "Created at",
    "Updated at",
    "Assigned at",
    "Organization",
    "Due date",
    "Initially assigned at",
    "Solved at",
    "Resolution time",
    "Satisfaction Score",
    "Group stations",
    "Assignee stations",
    "Reopens",
    "Replies",
    "First reply time in minutes",
    "First reply time in minutes within business hours",
    "First resolution time in minutes",
    "First resolution time in minutes within business hours",
    "Full resolution time in minutes",
    "Full resolution time in minutes within business hours",
    "Agent wait time in minutes",
    "Agent wait time in minutes within business hours",
    "Requester wait time in minutes",
    "Requester wait time in minutes within business hours",
    "On hold time in minutes",
    "On hold time in minutes within business hours",
    "Region [list]",
    "Category [list]",
)
# The share of solved tickets whose requester answers the survey, and the
# first-reply wait (hours) after which Good and Bad are as likely.
SURVEY_ANSWERED = 0.25
SURVEY_EVEN_HOURS = 24.0
# Tickets written per piece: the export's frame, a few hundred bytes a ticket
# in pandas, is built a piece at a time, so that a run of ten million tickets
# writes in the memory of a run of one.
CHUNK_TICKETS = 500_000


@dataclass(frozen=True)
class SampleFiles:
    """Where :func:`write_sample` put the export and the story."""

    tickets_csv: Path
    events_csv: Path


def write_sample(
    out_dir: Path,
    *,
    start: date = date(2023, 1, 2),
    years: float = 3.0,
    scale: float = 1.0,
    seed: int = 42,
) -> SampleFiles:
    """Simulate the default story and write it as a Zendesk export plus its events.

    Returns
    -------
    SampleFiles
        Paths of ``out_dir/tickets.csv`` (Zendesk ticket export format) and
        ``out_dir/events.csv`` (the truth the simulator injected).
    """
    result = simulate(SimConfig(start=start, years=years, scale=scale, seed=seed))
    return write_result(result, out_dir)


def write_result(result: SimResult, out_dir: Path) -> SampleFiles:
    """Write a simulation as ``tickets.csv`` (Zendesk export) and ``events.csv``.

    Returns
    -------
    SampleFiles
        The two paths, inside ``out_dir`` (created if missing).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = SampleFiles(out_dir / "tickets.csv", out_dir / "events.csv")
    piece = out_dir / "tickets.csv.piece"
    con = duckdb.connect()
    try:
        with files.tickets_csv.open("wb") as out:
            for first, chunk in enumerate(export_chunks(result)):
                # DuckDB writes a million rows in a fraction of what pandas needs,
                # quotes only when a value requires it (RFC 4180) and keeps row order.
                con.from_df(chunk).write_csv(
                    str(piece), sep=",", quotechar='"', escapechar='"', na_rep="", header=True
                )
                with piece.open("rb") as src:
                    if first:
                        src.readline()  # the header, written once
                    shutil.copyfileobj(src, out)
    finally:
        con.close()
        piece.unlink(missing_ok=True)
    result.events.to_csv(files.events_csv, index=False, lineterminator="\n")
    return files


def format_account_time(t0: pd.Timestamp, minutes: np.ndarray) -> np.ndarray:
    """Format times as Zendesk does: account time zone with its offset, '' when absent."""
    utc = to_utc(t0, minutes)
    local = utc.tz_convert(ACCOUNT_TZ)
    naive = local.tz_localize(None)
    offset_min = ((naive - utc.tz_localize(None)) / pd.Timedelta(minutes=1)).to_numpy()
    text = np.datetime_as_string(naive.to_numpy().astype("datetime64[s]"), unit="s")
    text = np.char.replace(text, "T", " ")
    sign = np.where(offset_min < 0, "-", "+")
    off = np.abs(np.nan_to_num(offset_min)).astype(np.int64)
    suffix = np.char.add(
        np.char.add(" ", sign), np.char.zfill((off // 60 * 100 + off % 60).astype(str), 4)
    )
    out = np.char.add(text.astype(str), suffix)
    return np.where(np.isnan(np.asarray(minutes, dtype=float)), "", out).astype(object)


def business_clock(t0: pd.Timestamp, minutes: np.ndarray, tz: str) -> np.ndarray:
    """Return business minutes (Mon-Fri 09:00-18:00 local) elapsed since a fixed epoch."""
    local = to_utc(t0, minutes).tz_convert(tz).tz_localize(None).to_numpy()
    ok = ~np.isnat(local)
    out = np.full(len(local), np.nan)
    day = local[ok].astype("datetime64[D]")
    minute = (local[ok] - day).astype("timedelta64[s]").astype(np.float64) / 60.0
    full_days = np.busday_count(np.datetime64("2000-01-03"), day)
    open_day = np.is_busday(day)
    today = np.where(open_day, np.clip(minute, BUSINESS_START_MIN, BUSINESS_END_MIN), 0.0)
    today = np.where(open_day, today - BUSINESS_START_MIN, 0.0)
    out[ok] = full_days * (BUSINESS_END_MIN - BUSINESS_START_MIN) + today
    return out


def _int_column(values: np.ndarray) -> pd.Series:
    """Return minutes rounded to whole numbers, nulls where absent."""
    return pd.Series(np.round(values), dtype="Int64")


def zendesk_export(result: SimResult) -> pd.DataFrame:
    """Return the tickets as a Zendesk export frame, columns in export order.

    Minutes columns are integers (calendar minutes, and minutes within the
    team's business hours); absent values are nulls.
    """
    return next(export_chunks(result, max(len(result.tickets), 1)))


def export_chunks(result: SimResult, tickets: int = CHUNK_TICKETS) -> Iterator[pd.DataFrame]:
    """Yield :func:`zendesk_export`'s frame ``tickets`` rows at a time, in order.

    The random draws of the whole run (requesters, satisfaction) are made
    first, so the rows are the same whatever the size of the pieces.
    """
    draws = _Draws.of(result)
    for start in range(0, max(len(result.tickets), 1), tickets):
        yield _export_rows(result, draws, start, min(start + tickets, len(result.tickets)))


@dataclass(frozen=True)
class _Draws:
    """The run's random draws the export makes: one value (or two) per ticket."""

    customer: np.ndarray
    answered: np.ndarray
    good: np.ndarray

    @classmethod
    def of(cls, result: SimResult) -> _Draws:
        seed, df = result.config.seed, result.tickets
        customer = _customer_ids(seed, len(df), df["region"].to_numpy())
        answered, good = _satisfaction_draws(seed, len(df))
        return cls(customer, answered, good)


def _export_rows(result: SimResult, draws: _Draws, start: int, stop: int) -> pd.DataFrame:
    """Return the export's rows of tickets ``start`` to ``stop`` (excluded)."""
    df = result.tickets.iloc[start:stop].reset_index(drop=True)
    n = len(df)
    zones = np.array([TIMEZONES[r] for r in REGIONS])[df["region"].to_numpy()]
    part = slice(start, stop)
    out = {
        "Id": pd.Series(np.arange(start + 1, stop + 1) + 10000),
        **_people(result, df, draws.customer[part]),
        **_description(df),
        **_timestamps(df, result.t0),
        **_resolution_minutes(df, result.t0, zones),
        **_wait_minutes(result, zones, start, stop),
        "Organization": None,
        "Due date": None,
        "Satisfaction Score": _satisfaction(df, draws.answered[part], draws.good[part]),
        "Group stations": pd.Series(np.ones(n, dtype=np.int64)),
        "Reopens": pd.Series(df["reopened"].to_numpy().astype(np.int64)),
        "Replies": df["replies"],
        "On hold time in minutes": pd.Series(np.zeros(n, dtype=np.int64)),
        "On hold time in minutes within business hours": pd.Series(np.zeros(n, dtype=np.int64)),
    }
    frame = pd.DataFrame({c: out[c] for c in ZENDESK_COLUMNS})
    for col in ("Created at", "Updated at", "Assigned at", "Initially assigned at", "Solved at"):
        frame[col] = frame[col].replace("", None)
    return frame


def _people(result: SimResult, df: pd.DataFrame, customer: np.ndarray) -> dict:
    """Return the requester, assignee and group columns of the tickets ``df``."""
    region = df["region"].to_numpy()
    customer_text = pd.Series(customer.astype(str))
    names = np.array(
        [name for r in REGIONS for name in result.agent_names.get(r, [])] + [""], dtype=object
    )
    offsets = np.cumsum([0] + [len(result.agent_names.get(r, [])) for r in REGIONS])[region]
    last_agent = df["last_agent"].to_numpy()
    assignee = np.where(
        last_agent >= 0, names[np.where(last_agent >= 0, offsets + last_agent, -1)], ""
    )
    return {
        "Requester": "Customer " + customer_text,
        "Requester id": pd.Series(customer + 360_000_000_000),
        "Requester email": "customer" + customer_text + "@example.com",
        "Submitter": "Customer " + customer_text,
        "Assignee": pd.Series(assignee, dtype=object).replace("", None),
        "Group": pd.Series(np.array([TEAMS[r] for r in REGIONS], dtype=object)[region]),
        "Assignee stations": pd.Series(
            np.where(last_agent < 0, 0, 1 + (df["first_agent"] != last_agent)).astype(np.int64)
        ),
    }


def _description(df: pd.DataFrame) -> dict:
    """Return what the ticket is about: subject, tags, status, priority, channel, type, lists."""
    category = df["category"].to_numpy()
    categories = np.array(CATEGORIES, dtype=object)[category]
    regions = np.array(REGIONS, dtype=object)[df["region"].to_numpy()]
    channel = np.array(CHANNELS, dtype=object)[df["channel"].to_numpy()]
    subject_pick = np.minimum((df["created"].to_numpy() * 7919).astype(np.int64) % 3, 2)
    subjects = np.array([SUBJECTS[c][0] for c in CATEGORIES] + [SUBJECTS[c][1] for c in CATEGORIES]
                        + [SUBJECTS[c][2] for c in CATEGORIES], dtype=object)  # fmt: skip
    tag = pd.Series(categories).str.lower().str.replace(" ", "_")
    return {
        "Subject": pd.Series(subjects[subject_pick * len(CATEGORIES) + category]),
        "Tags": tag + " " + pd.Series(regions).str.lower().str.replace(" ", "_") + " " + channel,
        "Status": df["status"],
        "Priority": pd.Series(np.array(PRIORITIES, dtype=object)[df["priority"].to_numpy()]),
        "Via": pd.Series(channel),
        "Ticket type": pd.Series(np.array(TICKET_TYPE, dtype=object)[category]),
        "Region [list]": pd.Series(regions),
        "Category [list]": pd.Series(categories),
    }


def _timestamps(df: pd.DataFrame, t0: pd.Timestamp) -> dict:
    """Return the timestamp columns (account time) and the resolution time in hours."""
    created = df["created"].to_numpy()
    solved_at = df["solved"].to_numpy()
    assigned_at = df["first_reply"].where(df["last_agent"] >= 0).to_numpy()
    return {
        "Created at": format_account_time(t0, created),
        "Updated at": format_account_time(t0, df["updated"].to_numpy()),
        "Assigned at": format_account_time(t0, assigned_at),
        "Initially assigned at": format_account_time(t0, assigned_at),
        "Solved at": format_account_time(t0, solved_at),
        "Resolution time": _int_column((solved_at - created) / 60.0),
    }


def _business(t0: pd.Timestamp, zones: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """Return :func:`business_clock` of each time in its own team's zone (``zones``)."""
    out = np.full(len(minutes), np.nan)
    for tz in TIMEZONES.values():
        sel = zones == tz
        if sel.any():
            out[sel] = business_clock(t0, minutes[sel], tz)
    return out


def _resolution_minutes(df: pd.DataFrame, t0: pd.Timestamp, zones: np.ndarray) -> dict:
    """Return first reply, first and full resolution in calendar and business minutes."""
    created = df["created"].to_numpy()
    start = _business(t0, zones, created)
    out = {}
    for column, name in (
        ("first_reply", "First reply time"),
        ("first_solved", "First resolution time"),
        ("solved", "Full resolution time"),
    ):
        later = df[column].to_numpy()
        cal = later - created
        # Wall-clock arithmetic gains an hour across a spring DST change; cap at calendar.
        bus = np.fmin(_business(t0, zones, later) - start, cal)
        out[f"{name} in minutes"] = _int_column(cal)
        out[f"{name} in minutes within business hours"] = _int_column(bus)
    return out


def _wait_minutes(result: SimResult, zones: np.ndarray, start: int, stop: int) -> dict:
    """Return the requester's wait (queued and handled) and the agent's wait (pending on
    the customer) of tickets ``start`` to ``stop``, summed over each ticket's touches, in
    calendar and business minutes; ``zones`` are those tickets' time zones."""
    t0, n = result.t0, stop - start
    # Touches are ordered by ticket: the piece's touches are one slice of them.
    tickets = result.touches["ticket"].to_numpy()
    first, last = np.searchsorted(tickets, [start, stop])
    items = result.touches.iloc[first:last]
    pending = items[items["prev_finish"].notna() & ~items["reopen"]]
    out = {}
    for name, touches, since, until in (
        ("Agent wait time", pending, "prev_finish", "ready"),
        ("Requester wait time", items, "ready", "finish"),
    ):
        rows = touches["ticket"].to_numpy() - start
        cal = np.bincount(rows, touches[until] - touches[since], minlength=n)
        bus = np.bincount(
            rows,
            _business(t0, zones[rows], touches[until].to_numpy())
            - _business(t0, zones[rows], touches[since].to_numpy()),
            minlength=n,
        )
        out[f"{name} in minutes"] = _int_column(cal)
        out[f"{name} in minutes within business hours"] = _int_column(bus)
    return out


def _customer_ids(seed: int, n: int, region: np.ndarray) -> np.ndarray:
    """Return fake requester ids; a few customers write often, most once or twice."""
    rng = np.random.default_rng([seed, 1])
    return (region.astype(np.int64) * 1_000_000 + rng.zipf(1.6, n) % 400_000).astype(np.int64)


def _satisfaction_draws(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the two uniform draws per ticket that :func:`_satisfaction` reads.

    They come from a generator of their own, seeded from the run's seed, so
    the rest of the sample is the same whatever the survey does.
    """
    rng = np.random.default_rng([seed, 2])
    return rng.random(n), rng.random(n)


def good_rating_chance(wait_h: np.ndarray) -> np.ndarray:
    """Return the chance a rating is Good after a first reply ``wait_h`` hours after creation.

    Logistic in the logarithm of the wait: 90% at one hour (more when
    faster), 50% at a day, about a third at three days.
    """
    slope = np.log(9.0) / np.log(SURVEY_EVEN_HOURS)
    logit = np.log(9.0) - slope * np.log(np.maximum(wait_h, 1.0 / 60.0))
    return 1.0 / (1.0 + np.exp(-logit))


def _satisfaction(df: pd.DataFrame, answered: np.ndarray, good: np.ndarray) -> pd.Series:
    """Return Zendesk satisfaction scores: a solved ticket's survey is offered, and
    answered about one time in four; slow first replies make Good rarer."""
    solved = df["status"].isin(["solved", "closed"]).to_numpy()
    wait_h = np.nan_to_num((df["first_reply"] - df["created"]).to_numpy() / 60.0)
    answered = answered < SURVEY_ANSWERED
    is_good = good < good_rating_chance(wait_h)
    score = np.where(answered, np.where(is_good, "Good", "Bad"), "Offered")
    return pd.Series(np.where(solved, score, None), dtype=object)
