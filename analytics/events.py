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

from analytics import access, exports, store

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
        row = {k.strip().lower(): exports.restore(v or "").strip() for k, v in raw.items() if k}
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


def import_events_csv(
    con: duckdb.DuckDBPyConnection, path: str | Path, *, actor: access.User = access.SYSTEM
) -> int:
    """Add or replace the events of a CSV file (keyed on name, region, start); return the count.

    ``actor`` must be allowed to edit events; the import is recorded in the audit log.
    """
    access.require(actor, "edit_events")
    path = Path(path)
    if path.stat().st_size > MAX_EVENTS_FILE_BYTES:
        raise EventsError(f"{path.name} is larger than an events calendar can be")
    rows = parse_events_csv(path.read_text(encoding="utf-8-sig"))
    with store.transaction(con) as cur:
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
        access.record(cur, actor, "edit_events", path.name, {"imported": len(rows)})
    return len(rows)


EDITOR_COLUMNS = ("event_id", "name", "kind", "region", "starts_on", "ends_on", "notes")


def all_events(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return the whole calendar (``event_id, name, kind, region, starts_on, ends_on, notes``)."""
    with con.cursor() as cur:
        return cur.execute(store.load_sql("events_all")).df()


def export_events_csv(con: duckdb.DuckDBPyConnection) -> str:
    """Return the calendar as CSV text that :func:`import_events_csv` reads back unchanged.

    Text that a spreadsheet would run as a formula is neutralised
    (:mod:`analytics.exports`); the import undoes it.
    """
    frame = all_events(con)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "kind", "region", "start", "end", "notes"])
    for row in frame.itertuples():
        writer.writerow(
            [
                exports.neutralise(row.name),
                row.kind,
                exports.neutralise(row.region),
                pd.Timestamp(row.starts_on).date().isoformat(),
                "" if pd.isna(row.ends_on) else pd.Timestamp(row.ends_on).date().isoformat(),
                "" if pd.isna(row.notes) else exports.neutralise(row.notes),
            ]
        )
    return out.getvalue()


def _as_date(value) -> date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return None
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    return pd.Timestamp(value).date()


def validate_events(frame: pd.DataFrame) -> list[dict]:
    """Return the rows of an edited calendar table, validated, or raise naming the first bad row.

    ``frame`` has the :data:`EDITOR_COLUMNS` (``event_id`` empty for new rows).
    Fully empty rows are skipped. Rows are numbered from 1 as the editor shows them.

    Raises
    ------
    EventsError
        On a missing name or start, an unknown kind, a bad date, an end
        before the start, or two events with the same name, region and start.
    """
    rows, seen = [], set()
    for number, raw in enumerate(frame.to_dict("records"), start=1):
        values = {k: raw.get(k) for k in EDITOR_COLUMNS}
        text = {
            k: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip()
            for k, v in values.items()
            if k in ("name", "kind", "region", "notes")
        }
        if not any(text.values()) and _as_date(values["starts_on"]) is None:
            continue
        if not text["name"]:
            raise EventsError(f"row {number}: an event needs a name")
        kind = text["kind"].lower()
        if kind not in KINDS:
            raise EventsError(f"row {number}: kind {kind!r} is not one of: {', '.join(KINDS)}")
        try:
            starts_on = _as_date(values["starts_on"])
            ends_on = _as_date(values["ends_on"])
        except ValueError as exc:
            raise EventsError(f"row {number}: dates must be YYYY-MM-DD ({exc})") from exc
        if starts_on is None:
            raise EventsError(f"row {number}: an event needs a start date")
        if ends_on and ends_on < starts_on:
            raise EventsError(f"row {number}: the event ends before it starts")
        region = text["region"] or "all"
        key = (text["name"], region, starts_on)
        if key in seen:
            raise EventsError(
                f"row {number}: {text['name']!r} ({region}, {starts_on}) is there twice"
            )
        seen.add(key)
        event_id = values["event_id"]
        rows.append(
            {
                "event_id": None if event_id is None or pd.isna(event_id) else int(event_id),
                "name": text["name"],
                "kind": kind,
                "region": region,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "notes": text["notes"] or None,
            }
        )
    return rows


def save_events(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, *, actor: access.User = access.SYSTEM
) -> dict[str, int]:
    """Make the calendar equal to an edited table; return ``added, changed, deleted`` counts.

    One transaction: the table is validated first (:func:`validate_events`),
    and nothing is written if any row is invalid. ``actor`` must be allowed
    to edit events; the change is recorded in the audit log.
    """
    access.require(actor, "edit_events")
    rows = validate_events(frame)
    counts = {"added": 0, "changed": 0, "deleted": 0}
    with store.transaction(con) as cur:
        before = cur.execute(store.load_sql("events_all")).df().set_index("event_id")
        kept = {r["event_id"] for r in rows if r["event_id"] is not None}
        for event_id in before.index.difference(list(kept)):
            cur.execute("delete from events where event_id = ?", [int(event_id)])
            counts["deleted"] += 1
        # Changed rows are rewritten after the deletions, so a renamed pair never collides.
        for row in rows:
            fields_ = {
                k: row[k] for k in ("name", "kind", "region", "starts_on", "ends_on", "notes")
            }
            if row["event_id"] is None or row["event_id"] not in before.index:
                cur.execute(
                    "insert into events (name, kind, region, starts_on, ends_on, notes) "
                    "values ($name, $kind, $region, $starts_on, $ends_on, $notes)",
                    fields_,
                )
                counts["added"] += 1
                continue
            old = before.loc[row["event_id"]]
            old_fields = {
                "name": old["name"],
                "kind": old["kind"],
                "region": old["region"],
                "starts_on": _as_date(old["starts_on"]),
                "ends_on": _as_date(old["ends_on"]),
                "notes": None if pd.isna(old["notes"]) else old["notes"],
            }
            if old_fields != fields_:
                cur.execute(
                    "update events set name = $name, kind = $kind, region = $region, "
                    "starts_on = $starts_on, ends_on = $ends_on, notes = $notes "
                    "where event_id = $event_id",
                    {**fields_, "event_id": row["event_id"]},
                )
                counts["changed"] += 1
        access.record(cur, actor, "edit_events", "calendar", counts)
    return counts


def public_holidays(
    country: str, years: range | list[int], subdiv: str | None = None
) -> list[dict]:
    """Return the public holidays of ``country`` (ISO code) as event rows of kind ``holiday``.

    Examples
    --------
    >>> public_holidays("FR", [2024])[0]["name"]
    "New Year's Day"
    """
    import holidays as holiday_calendars

    try:
        calendar = holiday_calendars.country_holidays(country, subdiv=subdiv, years=list(years))
    except NotImplementedError as exc:
        raise EventsError(f"the holidays package knows no country {country!r}") from exc
    return [
        {"name": str(name), "kind": "holiday", "starts_on": day, "ends_on": None}
        for day, name in sorted(calendar.items())
    ]


def add_public_holidays(
    con: duckdb.DuckDBPyConnection,
    country: str,
    region: str,
    years: range | list[int],
    subdiv: str | None = None,
    *,
    actor: access.User = access.SYSTEM,
) -> int:
    """Add ``country``'s public holidays for ``years`` to the calendar for ``region``; return the count.

    Re-adding the same holidays changes nothing (events are keyed on name,
    region and start). ``actor`` must be allowed to edit events (audited).
    """
    access.require(actor, "edit_events")
    rows = public_holidays(country, years, subdiv)
    with store.transaction(con) as cur:
        for row in rows:
            cur.execute(
                "insert into events (name, kind, region, starts_on, ends_on, notes) "
                "values ($name, $kind, $region, $starts_on, $ends_on, $notes) "
                "on conflict do nothing",
                {**row, "region": region or "all", "notes": f"Public holiday ({country})"},
            )
        access.record(
            cur, actor, "edit_events", f"holidays {country}", {"region": region, "rows": len(rows)}
        )
    return len(rows)
