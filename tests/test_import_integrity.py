"""Validation, flags, idempotence, upsert, atomicity and dry runs of the import."""

from __future__ import annotations

from datetime import UTC, datetime

import exports
import pytest

from analytics import db, ingest, store
from analytics.ingest import ImportFailed

HEADER = ["Ticket", "Opened", "Answered", "Solved", "State"]
MAPPING = {
    "ticket_id": "Ticket",
    "created_at": "Opened",
    "first_response_at": "Answered",
    "resolved_at": "Solved",
    "status": "State",
}
FIRST_EXPORT = [
    ["T-1", "2024-03-12 09:00:00", "2024-03-12 09:30:00", "2024-03-12 12:00:00", "Solved"],
    ["T-2", "2024-03-12 10:00:00", "", "", "Open"],
    ["T-3", "2024-03-12 11:00:00", "2024-03-12 11:10:00", "", "Pending"],
]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _import(con, path, **options):
    options = {"preset": "generic", "mapping": MAPPING, "source": "desk", **options}
    return exports.import_(con, path, **options)


@pytest.fixture
def con():
    con = store.connect()
    yield con
    con.close()


def test_invalid_rows_are_rejected_with_line_number_and_reason(con, tmp_path):
    rows = [
        ["T-1", "2024-03-12 09:00:00", "", "", "Open"],
        ["", "2024-03-12 09:00:00", "", "", "Open"],
        ["T-3", "", "", "", "Open"],
        ["T-4", "2024-13-45 09:00:00", "", "", "Open"],
        ["T-5", "2024-03-12 09:00:00", "soon", "", "Open"],
        ["T-6", "2024-03-12 10:00:00", "2024-03-12 10:30:00", "", "Open"],
    ]
    report = _import(con, exports.write_csv(tmp_path / "t.csv", HEADER, rows))
    assert sorted(exports.tickets(con, "desk")) == ["T-1", "T-6"]
    assert report.rows_read == 6
    assert report.rows_rejected == 4
    stored = con.execute(
        "select import_id, line, reason, raw from rejects order by line"
    ).fetchall()
    assert [(r[0], r[1]) for r in stored] == [(report.import_id, line) for line in (3, 4, 5, 6)]
    reasons = [r[2] for r in stored]
    assert reasons[0] == "missing ticket id"
    assert reasons[1] == "missing created_at"
    assert reasons[2] == "unparseable created_at: 2024-13-45 09:00:00"
    assert reasons[3] == "unparseable first_response_at: soon"
    assert stored[2][3].startswith("T-4,2024-13-45 09:00:00")
    assert [(r.line, r.reason) for r in report.rejects] == [(r[1], r[2]) for r in stored]
    imports = con.execute("select rows_read, rows_inserted, rows_rejected from imports").fetchall()
    assert imports == [(6, 2, 4)]


MULTILINE = (
    "Ticket,Opened,Answered,Solved,State\n"
    'T-1,2024-03-12 09:00:00,,,"Open\nstill open\nreally"\n'
    "T-2,not a date,,,Open\n"
    "T-3,2024-03-12 10:00:00\n"
)


def test_quoted_line_breaks_and_short_rows_import_together(con, tmp_path):
    # DuckDB's parallel reader refuses this combination; the import must not.
    report = _import(con, exports.write_text(tmp_path / "t.csv", MULTILINE))
    stored = exports.tickets(con, "desk")
    assert sorted(stored) == ["T-1", "T-3"]
    assert stored["T-1"]["status_raw"] == "Open\nstill open\nreally"
    assert stored["T-3"]["status_raw"] is None
    assert [r.reason for r in report.rejects] == ["unparseable created_at: not a date"]


def test_line_numbers_count_physical_lines_after_multiline_fields(con, tmp_path):
    report = _import(con, exports.write_text(tmp_path / "t.csv", MULTILINE))
    assert [r.line for r in report.rejects] == [5]


# rows, the flag each ticket should carry
FLAG_CASES = {
    "response before creation": (
        [["T-1", "2024-03-12 09:00:00", "2024-03-12 08:00:00", "", "Open"]],
        {"T-1": ["response_before_creation"]},
    ),
    "resolution before creation": (
        [["T-1", "2024-03-12 09:00:00", "", "2024-03-11 09:00:00", "Solved"]],
        {"T-1": ["resolution_before_creation"]},
    ),
    "resolution after more than a year": (
        [["T-1", "2022-01-01 09:00:00", "", "2023-03-01 09:00:00", "Solved"]],
        {"T-1": ["duration_over_a_year"]},
    ),
    "first response after more than a year": (
        [["T-1", "2022-01-01 09:00:00", "2023-03-01 09:00:00", "", "Open"]],
        {"T-1": ["duration_over_a_year"]},
    ),
    "duplicate id in the file": (
        [
            ["T-1", "2024-03-12 09:00:00", "", "", "Open"],
            ["T-2", "2024-03-12 09:00:00", "", "", "Open"],
            ["T-1", "2024-03-12 09:00:00", "", "2024-03-12 10:00:00", "Solved"],
        ],
        {"T-1": ["duplicate_in_file"], "T-2": []},
    ),
    "plausible ticket": (
        [["T-1", "2024-03-12 09:00:00", "2024-03-12 09:01:00", "2024-03-12 10:00:00", "Solved"]],
        {"T-1": []},
    ),
}


@pytest.mark.parametrize(("rows", "expected"), FLAG_CASES.values(), ids=list(FLAG_CASES))
def test_suspicious_rows_are_kept_flagged_and_counted(con, tmp_path, rows, expected):
    report = _import(con, exports.write_csv(tmp_path / "t.csv", HEADER, rows))
    stored = exports.tickets(con, "desk")
    assert {t: row["flags"] for t, row in stored.items()} == expected
    assert report.rows_rejected == 0
    assert report.rows_flagged == sum(1 for flags in expected.values() if flags)
    assert sum(report.flags.values()) == sum(len(flags) for flags in expected.values())


def test_duplicate_id_keeps_the_later_row(con, tmp_path):
    rows = FLAG_CASES["duplicate id in the file"][0]
    report = _import(con, exports.write_csv(tmp_path / "t.csv", HEADER, rows))
    stored = exports.tickets(con, "desk")["T-1"]
    assert (stored["status"], stored["resolved_at"]) == ("solved", utc(2024, 3, 12, 10, 0))
    assert stored["resolution_s"] == 3600
    assert (report.rows_read, report.tickets) == (3, 2)


def test_reimporting_the_same_file_changes_nothing(con, tmp_path):
    path = exports.write_csv(tmp_path / "t.csv", HEADER, FIRST_EXPORT)
    first = _import(con, path)
    before = con.execute("select * from tickets order by all").fetchall()
    second = _import(con, path)
    assert (first.rows_inserted, first.rows_updated, first.rows_unchanged) == (3, 0, 0)
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (0, 0, 3)
    assert second.tickets == first.tickets == 3
    assert con.execute("select * from tickets order by all").fetchall() == before
    assert con.execute("select count(*) from imports").fetchone()[0] == 2


def test_newer_export_updates_changed_tickets_and_adds_new_ones(con, tmp_path):
    first = _import(con, exports.write_csv(tmp_path / "a.csv", HEADER, FIRST_EXPORT))
    newer = [
        FIRST_EXPORT[0],
        ["T-2", "2024-03-12 10:00:00", "2024-03-12 10:05:00", "2024-03-13 10:00:00", "Solved"],
        ["T-4", "2024-03-13 08:00:00", "", "", "New"],
    ]
    second = _import(con, exports.write_csv(tmp_path / "b.csv", HEADER, newer))
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (1, 1, 1)
    stored = exports.tickets(con, "desk")
    assert sorted(stored) == ["T-1", "T-2", "T-3", "T-4"]  # T-3 is absent, not deleted
    assert stored["T-2"]["status"] == "solved"
    assert stored["T-2"]["resolution_s"] == 86400
    assert stored["T-2"]["first_response_s"] == 300
    assert {t: r["import_id"] for t, r in stored.items()} == {
        "T-1": first.import_id,
        "T-2": second.import_id,
        "T-3": first.import_id,
        "T-4": second.import_id,
    }


def test_same_ids_in_another_source_are_other_tickets(con, tmp_path):
    path = exports.write_csv(tmp_path / "t.csv", HEADER, FIRST_EXPORT)
    _import(con, path, source="a")
    report = _import(con, path, source="b")
    assert report.rows_inserted == 3
    counts = con.execute("select source, count(*) from tickets group by all order by 1").fetchall()
    assert counts == [("a", 3), ("b", 3)]


def test_dry_run_counts_but_writes_nothing(con, tmp_path):
    _import(con, exports.write_csv(tmp_path / "a.csv", HEADER, FIRST_EXPORT[:1]))
    before = exports.table_dump(con)
    path = exports.write_csv(tmp_path / "b.csv", HEADER, FIRST_EXPORT + [["", "x", "", "", ""]])
    report = _import(con, path, dry_run=True)
    assert report.dry_run and report.outcome == "dry run"
    assert report.import_id is None
    assert (report.rows_inserted, report.rows_unchanged, report.rows_rejected) == (2, 1, 1)
    assert exports.table_dump(con) == before


@pytest.fixture
def filled_store(tmp_path):
    """A store file that already holds one import, plus a newer export to import."""
    con = store.connect(tmp_path / "store.sqlite")
    _import(con, exports.write_csv(tmp_path / "a.csv", HEADER, FIRST_EXPORT))
    newer = [
        ["T-2", "2024-03-12 10:00:00", "", "2024-03-13 10:00:00", "Solved"],
        ["T-9", "2024-03-14 10:00:00", "", "", "Open"],
        ["", "2024-03-14 10:00:00", "", "", "Open"],
    ]
    yield con, exports.write_csv(tmp_path / "b.csv", HEADER, newer)
    con.close()


def _fail_after_upsert(exc):
    def label(cur, *args, **kwargs):
        # Labelling the snapshot is the write's last step: the upsert has run
        # inside the transaction. Prove it, then fail.
        assert cur.execute("select count(*) from tickets").fetchone()[0] == 4
        raise exc

    return label


@pytest.mark.parametrize(
    "exc", [RuntimeError("disk on fire"), KeyboardInterrupt()], ids=["error", "interrupt"]
)
def test_failure_after_the_upsert_leaves_the_store_as_it_was(filled_store, monkeypatch, exc):
    con, newer = filled_store
    before = exports.table_dump(con)
    monkeypatch.setattr(db, "commit_message", _fail_after_upsert(exc))
    with pytest.raises(type(exc)):
        _import(con, newer)
    assert exports.table_dump(con) == before


def test_failing_insert_after_deleting_changed_tickets_leaves_the_store_as_it_was(
    filled_store, monkeypatch
):
    con, newer = filled_store
    before = exports.table_dump(con)
    real = store.load_sql

    def broken(name):
        # The changed T-2 is deleted by then: the rollback must bring it back.
        if name == "import_insert":
            return real(name).replace("insert into tickets", "insert into no_such_table")
        return real(name)

    monkeypatch.setattr(store, "load_sql", broken)
    with pytest.raises(ImportFailed, match="no_such_table"):
        _import(con, newer)
    assert exports.table_dump(con) == before


def test_store_accepts_the_next_import_after_a_failed_one(filled_store, monkeypatch):
    con, newer = filled_store
    with monkeypatch.context() as patch:
        patch.setattr(db, "commit_message", _fail_after_upsert(RuntimeError("boom")))
        with pytest.raises(RuntimeError):
            _import(con, newer)
    version = store.data_version(con)
    report = _import(con, newer)
    assert (report.rows_inserted, report.rows_updated, report.rows_rejected) == (1, 1, 1)
    assert store.data_version(con) == version + 1


def test_import_of_a_missing_file_fails_cleanly(con, tmp_path):
    with pytest.raises(ingest.ImportFailed, match="no such file"):
        _import(con, tmp_path / "nope.csv")


def test_dry_run_previews_the_first_rows_as_they_will_be_stored(tmp_path):
    con = store.connect()
    report = exports.import_(con, exports.zendesk(tmp_path), dry_run=True)
    assert len(report.preview) == min(report.tickets, 10)
    first = report.preview[0]
    assert first["action"] == "insert"
    assert first["channel"] in {"web", "email", "chat", "phone"}
    assert first["created_at"].tzinfo is not None
    assert con.execute("select count(*) from tickets").fetchone()[0] == 0


def _storage_order(con) -> list[tuple[datetime, int]]:
    """Return (created_at, import_id) of every ticket in the order the table stores them."""
    return con.execute("select created_at, import_id from tickets order by rowid").fetchall()


def _newest_first(first: int, count: int) -> list[list[str]]:
    """Rows of tickets T-first.. created an hour apart, listed newest first as many exports do."""
    return [
        [f"T-{n}", f"2024-03-{1 + n // 24:02d} {n % 24:02d}:00:00", "", "", "Open"]
        for n in reversed(range(first, first + count))
    ]


def test_tickets_are_stored_in_creation_order_and_a_newer_export_appends_in_order(con, tmp_path):
    first = _import(con, exports.write_csv(tmp_path / "a.csv", HEADER, _newest_first(0, 300)))
    stored = _storage_order(con)
    # Row groups then cover short spans of created_at, so date filters skip the others.
    assert stored == sorted(stored) and len(stored) == 300
    newer = _newest_first(250, 150)
    newer[-1][4] = "Solved"  # T-250, stored already
    second = _import(con, exports.write_csv(tmp_path / "b.csv", HEADER, newer))
    assert (second.rows_inserted, second.rows_updated) == (100, 1)
    stored = _storage_order(con)
    # A changed ticket is written again: T-250 moves to the end with the new
    # tickets, each import's rows stored together, in creation order.
    imports = [import_id for _, import_id in stored]
    assert imports == [first.import_id] * 299 + [second.import_id] * 101
    assert stored[:299] == sorted(stored[:299]) and stored[299:] == sorted(stored[299:])
    assert stored[299][0] == utc(2024, 3, 11, 10, 0)
