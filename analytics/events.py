"""The events calendar: reading it, and importing or exporting it as CSV.

CSV columns are ``name, kind, region, start, end, notes`` (``end`` and
``notes`` optional; other columns, such as the simulator's injected effect
sizes, are ignored). An import is one transaction: every row is valid or
nothing is written.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from analytics import store

KINDS = (
    "interface rollout",
    "product launch",
    "marketing campaign",
    "outage",
    "channel closed",
    "staffing change",
    "holiday",
    "season",
)
MAX_EVENTS_FILE_BYTES = 5 * 1024**2


class EventsError(Exception):
    """An events file or row is invalid; the message names the line."""


def events_in_range(
    con: duckdb.DuckDBPyConnection,
    first_day: date,
    last_day: date,
    regions: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Return events overlapping the days ``first_day``..``last_day``.

    Events for region ``all`` always match; others match when ``regions`` is
    empty or contains theirs.
    """
    with con.cursor() as cur:
        return cur.execute(
            store.load_sql("events_in_range"),
            {"first_day": first_day, "last_day": last_day, "regions": list(regions)},
        ).df()


def parse_events_csv(text: str) -> list[dict]:
    """Return validated event rows from CSV text.

    Raises
    ------
    EventsError
        Naming the first bad line: missing column, unknown kind, bad date,
        end before start.
    """
    reader = csv.DictReader(io.StringIO(text))
    header = {h.strip().lower() for h in reader.fieldnames or []}
    missing = {"name", "kind", "start"} - header
    if missing:
        raise EventsError(f"events file lacks column(s): {', '.join(sorted(missing))}")
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not row.get("name"):
            raise EventsError(f"line {line}: an event needs a name")
        kind = row.get("kind", "").lower()
        if kind not in KINDS:
            raise EventsError(f"line {line}: kind {kind!r} is not one of: {', '.join(KINDS)}")
        try:
            starts_on = date.fromisoformat(row["start"])
            ends_on = date.fromisoformat(row["end"]) if row.get("end") else None
        except ValueError as exc:
            raise EventsError(f"line {line}: dates must be YYYY-MM-DD ({exc})") from exc
        if ends_on and ends_on < starts_on:
            raise EventsError(f"line {line}: the event ends before it starts")
        rows.append(
            {
                "name": row["name"],
                "kind": kind,
                "region": row.get("region") or "all",
                "starts_on": starts_on,
                "ends_on": ends_on,
                "notes": row.get("notes") or None,
            }
        )
    return rows


def import_events_csv(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Add or replace the events of a CSV file (keyed on name, region, start); return the count."""
    path = Path(path)
    if path.stat().st_size > MAX_EVENTS_FILE_BYTES:
        raise EventsError(f"{path.name} is larger than an events calendar can be")
    rows = parse_events_csv(path.read_text(encoding="utf-8-sig"))
    cur = con.cursor()
    try:
        cur.execute("begin transaction")
        for row in rows:
            cur.execute(
                "delete from events where name = $name and region = $region "
                "and starts_on = $starts_on",
                {k: row[k] for k in ("name", "region", "starts_on")},
            )
            cur.execute(
                "insert into events (name, kind, region, starts_on, ends_on, notes) "
                "values ($name, $kind, $region, $starts_on, $ends_on, $notes)",
                row,
            )
        store.bump_data_version(cur)
        cur.execute("commit")
    except Exception:
        cur.execute("rollback")
        raise
    finally:
        cur.close()
    return len(rows)
