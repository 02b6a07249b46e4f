"""The events calendar: reading it, and importing or exporting it as CSV.

An event belongs to one source, or to every source: a source's charts show
its own events and every source's, never another source's. CSV columns are
``name, kind, region, source, start, end, notes`` (``source``, ``end`` and
``notes`` optional; ``source`` is a source name or ``all``; other columns,
such as the simulator's injected effect sizes, are ignored). An import is one
transaction: every row is valid or nothing is written.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from analytics import access, exports, store
from analytics.i18n import N_

# Stored and written in CSV files as they are; shown translated (``N_`` marks them).
KINDS = (
    N_("interface rollout"),
    N_("product launch"),
    N_("marketing campaign"),
    N_("outage"),
    N_("channel closed"),
    N_("staffing change"),
    N_("holiday"),
    N_("season"),
)
MAX_EVENTS_FILE_BYTES = 5 * 1024**2
# How the CSV file and the editor write "every source" (stored as a null source).
ALL_SOURCES = "all"


class EventsError(Exception):
    """An events file or row is invalid; the message names the line."""


class CalendarChanged(EventsError):
    """Someone else saved the calendar after this edit began; nothing was saved."""


CHANGED_UNDER_YOU = (
    "the calendar changed since you opened it (someone else saved it meanwhile); "
    "nothing was saved: reload it and make your edit again"
)


def scope(value: object, default: str | None = None) -> str | None:
    """Return the source an event belongs to, None for every source.

    ``value`` is a scope as the CSV file and the editor write it: a source
    name, ``all`` (every source), or nothing, which means ``default``.

    Examples
    --------
    >>> scope("all"), scope(" emea "), scope("", default="sample")
    (None, 'emea', 'sample')
    """
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    text = text.strip()
    if not text:
        return default
    return None if text.lower() == ALL_SOURCES else text


def events_in_range(
    con: duckdb.DuckDBPyConnection,
    first_day: date,
    last_day: date,
    regions: tuple[str, ...] = (),
    *,
    source: str | None,
) -> pd.DataFrame:
    """Return the events of ``source`` overlapping the days ``first_day``..``last_day``.

    An event shows on a source when it belongs to that source or to every
    source; ``source=None`` gives the whole calendar. Events for region
    ``all`` always match; others match when ``regions`` is empty or contains
    theirs. ``source`` reads ``all`` for an event of every source.
    """
    params = {"first_day": first_day, "last_day": last_day, "regions": list(regions)}
    with store.cursor(con) as cur:
        return cur.execute(store.load_sql("events_in_range"), {**params, "source": source}).df()


def parse_events_csv(text: str, default_source: str | None = None) -> list[dict]:
    """Return validated event rows from CSV text.

    A row's ``source`` cell names the source the event belongs to, or ``all``;
    a blank cell, or a file without that column, means ``default_source``
    (None: every source).

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
        rows.append(_checked(row, f"line {line}", row.get("start"), row.get("end"), default_source))
    return rows


def _checked(
    text: dict[str, str], where: str, starts_on: object, ends_on: object, default: str | None
) -> dict:
    """Return one event row, checked; raise :class:`EventsError` saying ``where`` it is wrong."""
    if not text.get("name"):
        raise EventsError(f"{where}: an event needs a name")
    kind = text.get("kind", "").lower()
    if kind not in KINDS:
        raise EventsError(f"{where}: kind {kind!r} is not one of: {', '.join(KINDS)}")
    try:
        starts_on, ends_on = _as_date(starts_on), _as_date(ends_on)
    except ValueError as exc:
        raise EventsError(f"{where}: dates must be YYYY-MM-DD ({exc})") from exc
    if starts_on is None:
        raise EventsError(f"{where}: an event needs a start date")
    if ends_on and ends_on < starts_on:
        raise EventsError(f"{where}: the event ends before it starts")
    return {
        "source": scope(text.get("source"), default),
        "name": text["name"],
        "kind": kind,
        "region": text.get("region") or "all",
        "starts_on": starts_on,
        "ends_on": ends_on,
        "notes": text.get("notes") or None,
    }


def import_events_csv(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    source: str | None = None,
    actor: access.User = access.SYSTEM,
) -> int:
    """Add or replace the events of a CSV file; return the count.

    Events are keyed on source, name, region and start. Rows whose ``source``
    cell is blank (or a file without that column) belong to ``source``; None
    or ``all`` is every source. ``actor`` must be allowed to edit events; the
    import is recorded in the audit log.
    """
    access.require(actor, "edit_events")
    path = Path(path)
    if path.stat().st_size > MAX_EVENTS_FILE_BYTES:
        raise EventsError(f"{path.name} is larger than an events calendar can be")
    rows = parse_events_csv(path.read_text(encoding="utf-8-sig"), scope(source))
    with store.transaction(con) as cur:
        for row in rows:
            key = {k: row[k] for k in ("source", "name", "region", "starts_on")}
            cur.execute(store.load_sql("event_delete_same"), key)
            cur.execute(
                store.load_sql("event_insert"), {**row, "event_id": store.next_id(cur, "event")}
            )
        detail = {"imported": len(rows), "source": scope(source) or ALL_SOURCES}
        access.record(cur, actor, "edit_events", path.name, detail)
    return len(rows)


EDITOR_COLUMNS = ("event_id", "name", "kind", "region", "source", "starts_on", "ends_on", "notes")
FIELDS = EDITOR_COLUMNS[1:]


def all_events(con: duckdb.DuckDBPyConnection, source: str | None = None) -> pd.DataFrame:
    """Return the calendar of ``source``: its own events and every source's.

    Columns are :data:`EDITOR_COLUMNS`; ``source`` reads ``all`` for an event
    of every source. ``source=None`` gives the whole calendar.
    """
    with store.cursor(con) as cur:
        return cur.execute(store.load_sql("events_all"), {"source": source}).df()


def export_events_csv(con: duckdb.DuckDBPyConnection, source: str | None = None) -> str:
    """Return the calendar of ``source`` (None: all of it) as CSV text that
    :func:`import_events_csv` reads back unchanged, scopes included.

    Text that a spreadsheet would run as a formula is neutralised
    (:mod:`analytics.exports`); the import undoes it.
    """
    frame = all_events(con, source)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "kind", "region", "source", "start", "end", "notes"])
    for row in frame.itertuples():
        writer.writerow(
            [
                exports.neutralise(row.name),
                row.kind,
                exports.neutralise(row.region),
                exports.neutralise(row.source),
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


def validate_events(frame: pd.DataFrame, source: str | None = None) -> list[dict]:
    """Return the rows of an edited calendar table, validated, or raise naming the first bad row.

    ``frame`` has the :data:`EDITOR_COLUMNS` (``event_id`` empty for new rows).
    It is the calendar of ``source`` (None: the whole calendar): a row with
    no scope belongs to ``source``, and a row may not belong to another
    source. Fully empty rows are skipped. Rows are numbered from 1 as the
    editor shows them.

    Raises
    ------
    EventsError
        On a missing name or start, an unknown kind, a bad date, an end
        before the start, another source's event, or two events with the same
        source, name, region and start.
    """
    rows, seen = [], set()
    for number, raw in enumerate(frame.to_dict("records"), start=1):
        text = {k: _text(raw.get(k)) for k in ("name", "kind", "region", "source", "notes")}
        if not any(text.values()) and _as_date(raw.get("starts_on")) is None:
            continue
        where = f"row {number}"
        row = _checked(text, where, raw.get("starts_on"), raw.get("ends_on"), source)
        if source is not None and row["source"] not in (None, source):
            raise EventsError(
                f"{where}: this table holds the events of {source!r} and of every source, "
                f"not of {row['source']!r}"
            )
        key = (row["source"], row["name"], row["region"], row["starts_on"])
        if key in seen:
            raise EventsError(
                f"{where}: {row['name']!r} ({row['region']}, {row['starts_on']}) is there twice"
            )
        seen.add(key)
        event_id = raw.get("event_id")
        missing = event_id is None or pd.isna(event_id)
        rows.append({"event_id": None if missing else int(event_id), **row})
    return rows


def _text(value: object) -> str:
    return (
        ""
        if value is None or (not isinstance(value, str) and pd.isna(value))
        else str(value).strip()
    )


def save_events(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    *,
    source: str | None = None,
    actor: access.User = access.SYSTEM,
    based_on: pd.DataFrame | None = None,
) -> dict[str, int]:
    """Make the calendar of ``source`` equal to an edited table; return ``added, changed, deleted``.

    ``frame`` is what :func:`all_events` gave for ``source``, edited: the
    events of ``source`` and of every source. Other sources' events are left
    as they are; ``source=None`` edits the whole calendar. One transaction:
    the table is validated first (:func:`validate_events`), and nothing is
    written if any row is invalid. ``actor`` must be allowed to edit events;
    the change is recorded in the audit log.

    ``based_on`` is the calendar the edit began from. When the stored one
    differs (another session saved in between), or another writer commits
    first, nothing is written.

    Raises
    ------
    CalendarChanged
        When the calendar changed under the edit.
    """
    access.require(actor, "edit_events")
    rows = validate_events(frame, source)
    try:
        return store.retrying(lambda: _save(con, rows, source, actor, based_on), attempts=1)
    except duckdb.Error as exc:
        if store.is_conflict(exc):
            raise CalendarChanged(CHANGED_UNDER_YOU) from exc
        raise


def _save(con, rows: list[dict], source: str | None, actor, based_on) -> dict[str, int]:
    counts = {"added": 0, "changed": 0, "deleted": 0}
    with store.transaction(con) as cur:
        before = cur.execute(store.load_sql("events_all"), {"source": source}).df()
        if based_on is not None and _rows(before) != _rows(based_on):
            raise CalendarChanged(CHANGED_UNDER_YOU)
        before = before.set_index("event_id")
        kept = {r["event_id"] for r in rows if r["event_id"] is not None}
        for event_id in before.index.difference(list(kept)):
            cur.execute("delete from events where event_id = ?", [int(event_id)])
            counts["deleted"] += 1
        # Changed rows are rewritten after the deletions, so a renamed pair never collides.
        for row in rows:
            fields_ = {k: row[k] for k in FIELDS}
            if row["event_id"] is None or row["event_id"] not in before.index:
                new_id = store.next_id(cur, "event")
                cur.execute(store.load_sql("event_insert"), {**fields_, "event_id": new_id})
                counts["added"] += 1
            elif _stored(before.loc[row["event_id"]]) != fields_:
                cur.execute(store.load_sql("event_update"), row)
                counts["changed"] += 1
        access.record(cur, actor, "edit_events", source or "calendar", counts)
    return counts


def _rows(calendar: pd.DataFrame) -> list[tuple]:
    """Return a calendar's rows in a form two reads of the same calendar agree on."""
    return sorted((int(row["event_id"]), *_stored(row).values()) for _, row in calendar.iterrows())


def _stored(old: pd.Series) -> dict:
    """Return a stored calendar row in the form :func:`validate_events` gives."""
    return {
        "name": old["name"],
        "kind": old["kind"],
        "region": old["region"],
        "source": scope(old["source"]),
        "starts_on": _as_date(old["starts_on"]),
        "ends_on": _as_date(old["ends_on"]),
        "notes": None if pd.isna(old["notes"]) else old["notes"],
    }


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
    source: str | None = None,
    actor: access.User = access.SYSTEM,
) -> int:
    """Add ``country``'s public holidays for ``years`` to the calendar; return the count.

    The holidays are for ``region`` and belong to ``source`` (None or ``all``:
    every source). Re-adding the same holidays changes nothing (events are
    keyed on source, name, region and start). ``actor`` must be allowed to
    edit events (audited).
    """
    access.require(actor, "edit_events")
    rows = public_holidays(country, years, subdiv)
    owner = scope(source)
    notes = f"Public holiday ({country})"
    with store.transaction(con) as cur:
        for row in rows:
            fields_ = {**row, "source": owner, "region": region or "all", "notes": notes}
            cur.execute(
                store.load_sql("event_insert"), {**fields_, "event_id": store.next_id(cur, "event")}
            )
        detail = {"region": region, "source": owner or ALL_SOURCES, "rows": len(rows)}
        access.record(cur, actor, "edit_events", f"holidays {country}", detail)
    return len(rows)
