"""Fuzzing the CSV importer: any bytes in, either a one-line refusal or a whole import.

Hypothesis writes export files (Zendesk-like, generic or random headers;
cells of dates in many shapes, numbers, null markers, quotes, delimiters,
line breaks; several encodings and delimiters; sometimes plain random bytes)
and imports each into one real in-memory store. After every example either
the store is exactly as it was, or the import committed and its ``imports``
row agrees with the tickets and rejects actually stored.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import exports
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from analytics import ingest, store
from analytics.settings import load_settings

ZENDESK = ["Id", "Created at", "Via", "Solved at", "First reply time in minutes", "Status"]
GENERIC = ["Id", "Created", "Solved", "Team", "Priority"]
GENERIC_MAPPING = {
    "ticket_id": "Id",
    "created_at": "Created",
    "resolved_at": "Solved",
    "team": "Team",
    "priority": "Priority",
}
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]


STYLES = ["iso", "isoz", "offset", "dmy", "mdy", "epoch", "mon"]


def _date_text(parts: tuple[int, int, int, int, int, str]) -> str:
    year, month, day, hour, minute, style = parts
    return {
        "iso": f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}",
        "isoz": f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00Z",
        "offset": f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:00 +0530",
        "dmy": f"{day:02d}/{month:02d}/{year:04d} {hour:02d}:{minute:02d}",
        "mdy": f"{month}/{day}/{year % 100:02d} {hour % 12 + 1}:{minute:02d} PM",
        "epoch": str(1_700_000_000 + year * 1000 + day * 60 + minute),
        "mon": f"{day}-Mar-{year:04d} {hour:02d}:{minute:02d}",
    }[style]


# Year, month, day, hour, minute: plausible values, and values just past every bound.
PLAUSIBLE = ((2000, 2030), (1, 12), (1, 28), (0, 23), (0, 59))
ODD = ((0, 9999), (0, 13), (0, 32), (0, 25), (0, 61))


def dates_in(ranges, styles: list[str]) -> st.SearchStrategy[str]:
    """Return date texts with parts drawn from ``ranges``, written in one of ``styles``."""
    parts = (st.integers(low, high) for low, high in ranges)
    return st.tuples(*parts, st.sampled_from(styles)).map(_date_text)


odd_dates = dates_in(ODD, STYLES)
cells = st.one_of(
    odd_dates,
    st.sampled_from(["", "?", "NA", "N/A", "-", "NULL", " ", "web", "email", "Urgent", "solved"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(alphabet=st.sampled_from(list("ab\"',;|\t\n\r =+-@<>é€\x0b\u2028")), max_size=12),
    st.text(max_size=8),
)
headers = st.one_of(
    st.just(("zendesk", ZENDESK)),
    st.just(("generic", GENERIC)),
    st.lists(st.text(max_size=10), min_size=1, max_size=6).map(
        lambda names: ("random", ["Id", "Created", *names])
    ),
)


@st.composite
def rows_of(draw, kind: str, width: int) -> list[list[str]]:
    """Return rows that are mostly plausible (an id and a date where the header says) and partly junk."""
    dates = dates_in(PLAUSIBLE, [draw(st.sampled_from(STYLES))])
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.integers(0, 3)) == 0:
            rows.append(draw(st.lists(cells, max_size=width + 2)))
            continue
        row = [str(draw(st.integers(0, 30))), draw(dates)]
        row += draw(st.lists(cells, min_size=width - 2, max_size=width - 2))
        if kind == "zendesk":  # Solved at, First reply time in minutes
            row[3] = draw(st.one_of(dates, st.just("")))
            row[4] = draw(st.one_of(st.integers(0, 10_000).map(str), cells))
        elif kind == "generic":
            row[2] = draw(st.one_of(dates, st.just("")))
        rows.append(row)
    return rows


@st.composite
def export_bytes(draw) -> tuple[bytes, dict]:
    """Return the bytes of an export file and the import_file keywords to import it with."""
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.binary(min_size=0, max_size=600))
        return data, {"preset": "generic", "mapping": GENERIC_MAPPING, "dry_run": False}
    kind, header = draw(headers)
    rows = draw(rows_of(kind, len(header)))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    if draw(st.booleans()):
        buf = io.StringIO()
        newline = draw(st.sampled_from(["\n", "\r\n"]))
        writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
        writer.writerow(header)
        writer.writerows(rows)
        text = buf.getvalue()
    else:  # written by hand: stray quotes and delimiters are left as they are
        text = "\n".join(delimiter.join(r) for r in [header, *rows]) + "\n"
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    kwargs: dict = {
        "date_order": draw(st.sampled_from([None, "dmy", "mdy"])),
        "tz": draw(st.sampled_from([None, "Europe/Paris", "America/New_York"])),
        "source": draw(st.sampled_from(["f1", "f2"])),
        "dry_run": draw(st.integers(0, 4)) == 0,
    }
    if kind == "zendesk":
        kwargs["preset"] = draw(st.sampled_from([None, "zendesk"]))
    else:
        kwargs["preset"] = "generic"
        kwargs["mapping"] = (
            GENERIC_MAPPING if kind == "generic" else {"ticket_id": "Id", "created_at": "Created"}
        )
    return data, kwargs


@pytest.fixture(scope="module")
def con():
    connection = store.connect()
    yield connection
    connection.close()


def _check_committed(con, report: ingest.ImportReport, before: dict) -> None:
    """Assert that the import's imports row matches what the store holds."""
    row = con.execute(
        "select source, rows_inserted, rows_updated, rows_rejected from imports where import_id = ?",
        [report.import_id],
    ).fetchone()
    assert row == (report.source, report.rows_inserted, report.rows_updated, report.rows_rejected)
    written = con.execute(
        "select count(*) from tickets where import_id = ?", [report.import_id]
    ).fetchone()[0]
    rejected = con.execute(
        "select count(*) from rejects where import_id = ?", [report.import_id]
    ).fetchone()[0]
    assert (written, rejected) == (report.rows_inserted + report.rows_updated, report.rows_rejected)
    after = exports.table_dump(con)
    assert len(after["tickets"]) == len(before["tickets"]) + report.rows_inserted
    assert len(after["imports"]) == len(before["imports"]) + 1
    assert after["store_meta"][0][0] == before["store_meta"][0][0] + 1
    assert report.tickets == report.rows_inserted + report.rows_updated + report.rows_unchanged


@settings(
    # 100 examples in make test (about 40 s); FUZZ_EXAMPLES=2000 for a longer hunt.
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(example=export_bytes(), suffix=st.sampled_from([".csv", ".txt", ".tsv"]))
# Found by this test: a refused value holding a line break made a two-line message.
@example(
    example=(
        b"Id,Created at,Via,Solved at,First reply time in minutes,Status\n"
        b'0,2000-01-01 00:00,0000-00-00 00:00,2000-01-01 00:00,"\n",\n'
        b"0,2000-01-01 00:00,0000-00-00 00:00,,web,\n"
        b"0,2000-01-01 00:00,,2000-01-01 00:00,52704001,\n\n",
        {"date_order": None, "tz": None, "source": "f1", "dry_run": True, "preset": None},
    ),
    suffix=".csv",
)
def test_any_export_is_refused_cleanly_or_imported_whole(con, example, suffix):
    data, kwargs = example
    before = exports.table_dump(con)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{suffix}"
        path.write_bytes(data)
        try:
            report = ingest.import_file(con, path, settings=load_settings(), **kwargs)
        except ingest.ImportFailed as exc:
            event(f"refused: {str(exc).split(':')[-1][:40]}")
            assert str(exc) and "\n" not in str(exc)
            assert exports.table_dump(con) == before
            return
    event(f"{'dry run' if kwargs['dry_run'] else 'imported'}, rejects: {report.rows_rejected > 0}")
    if kwargs["dry_run"]:
        assert exports.table_dump(con) == before
    else:
        _check_committed(con, report, before)
