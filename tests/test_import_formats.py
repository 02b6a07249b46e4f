"""Whatever container, encoding, dialect and date style an export uses, it reads the same."""

from __future__ import annotations

from datetime import UTC, datetime

import exports
import pytest

from analytics import ingest, store
from analytics.ingest import ImportFailed
from analytics.settings import load_settings

HEADER = ["Ticket", "Opened", "Closed", "Team", "Priority", "Owner"]
MAPPING = {
    "ticket_id": "Ticket",
    "created_at": "Opened",
    "closed_at": "Closed",
    "team": "Team",
    "priority": "Priority",
    "assignee": "Owner",
}
ROWS = [
    ["T-1", "2024-03-12 09:00:00", "2024-03-12 10:00:00", "Ops", "High", "Bob"],
    ["T-2", "2024-03-13 09:00:00", "", "Ops", "Low", "Eve"],
]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def con():
    con = store.connect()
    yield con
    con.close()


def _generic(con, path, **options):
    return exports.import_(con, path, preset="generic", mapping=MAPPING, source="t", **options)


def _ticket_count(con) -> int:
    return con.execute("select count(*) from tickets").fetchone()[0]


def test_french_cp1252_semicolon_export_keeps_accents_and_day_first_dates(con, tmp_path):
    path = exports.glpi_fr(tmp_path, encoding="cp1252", delimiter=";")
    assert "’".encode("cp1252") in path.read_bytes()  # really cp1252, not UTF-8
    report = exports.import_(con, path, source="glpi")
    assert report.preset == "glpi-fr"
    assert report.rows_rejected == 0
    stored = exports.tickets(con, "glpi")
    assert stored["512"]["category"] == "Réseau > Accès à l’intranet"
    assert stored["512"]["team"] == "Équipe sœur"
    assert stored["512"]["assignee"] == "Zoé Lœwy"
    assert stored["512"]["region"] == "Entité racine > Côte d’Or"
    assert stored["512"]["status_raw"] == "Résolu"
    assert stored["512"]["created_at"] == utc(2024, 3, 14, 9, 5)
    # 02-04-2024 can only be 2 April once 14-03-2024 shows the file is day-first.
    assert stored["513"]["created_at"] == utc(2024, 4, 2, 16, 30)


@pytest.mark.parametrize(
    ("name", "delimiter", "encoding", "newline"),
    [
        ("bom.csv", ",", "utf-8-sig", "\n"),
        ("tabs.tsv", "\t", "utf-8", "\n"),
        ("pipes.txt", "|", "utf-8", "\n"),
        ("semicolons.csv", ";", "utf-8", "\n"),
        ("latin.csv", ",", "cp1252", "\n"),
        ("windows.csv", ",", "utf-8", "\r\n"),
        ("excel-unicode.txt", "\t", "utf-16", "\r\n"),
    ],
)
def test_dialect_and_encoding_are_detected(con, tmp_path, name, delimiter, encoding, newline):
    path = exports.write_csv(
        tmp_path / name, exports.FRESHDESK_HEADER, exports._freshdesk_rows(), delimiter=delimiter,
        encoding=encoding, newline=newline,
    )  # fmt: skip
    report = exports.import_(con, path, source="fd")
    assert report.preset == "freshdesk"  # the BOM must not hide the first header name
    assert report.mapping["ticket_id"] == "Ticket ID"
    assert sorted(exports.tickets(con, "fd")) == ["2001", "2002"]


def test_gzipped_csv_is_read(con, tmp_path):
    plain = exports.freshdesk(tmp_path)
    report = exports.import_(con, exports.gzip_of(plain, tmp_path / "tickets.csv.gz"))
    assert report.preset == "freshdesk"
    assert report.tickets == 2
    assert report.source == "tickets"


def test_zip_holding_one_csv_is_read(con, tmp_path):
    data = exports.freshdesk(tmp_path).read_bytes()
    report = exports.import_(con, exports.zip_of(tmp_path / "export.zip", {"t.csv": data}))
    assert report.preset == "freshdesk"
    assert report.tickets == 2


def test_zip_holding_two_files_is_refused(con, tmp_path):
    data = exports.freshdesk(tmp_path).read_bytes()
    path = exports.zip_of(tmp_path / "two.zip", {"a.csv": data, "b.csv": data})
    with pytest.raises(ImportFailed, match="holds 2 files"):
        exports.import_(con, path)
    assert _ticket_count(con) == 0


def test_row_with_too_many_fields_is_rejected_with_line_and_text(con, tmp_path):
    text = exports.csv_text(HEADER, ROWS) + "T-3,2024-03-14 09:00:00,,Ops,High,Bob,EXTRA\n"
    text += "T-4,2024-03-15 09:00:00,,Ops,High,Bob\n"
    report = _generic(con, exports.write_text(tmp_path / "ragged.csv", text))
    assert sorted(exports.tickets(con, "t")) == ["T-1", "T-2", "T-4"]
    assert report.rows_rejected == 1
    (reject,) = report.rejects
    assert reject.line == 4
    assert reject.raw.startswith("T-3,2024-03-14 09:00:00")
    stored = con.execute("select import_id, line, raw from rejects").fetchall()
    assert stored == [(report.import_id, 4, reject.raw)]


def test_row_with_too_few_fields_is_padded_with_nulls(con, tmp_path):
    text = exports.csv_text(HEADER, ROWS) + "T-3,2024-03-14 09:00:00,,Ops\n"
    report = _generic(con, exports.write_text(tmp_path / "short.csv", text))
    assert report.rows_rejected == 0
    stored = exports.tickets(con, "t")["T-3"]
    assert (stored["team"], stored["priority"], stored["assignee"]) == ("Ops", None, None)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b"\n\n  \n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20, "binary"),
        (",".join(HEADER).encode() + b"\n", "header but no rows"),
    ],
    ids=["empty", "blank-lines", "binary", "header-only"],
)
def test_unreadable_file_is_refused_with_a_reason(con, tmp_path, content, reason):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=reason) as failure:
        _generic(con, path)
    assert "\n" not in str(failure.value)
    assert _ticket_count(con) == 0
    assert con.execute("select count(*) from imports").fetchone()[0] == 0


@pytest.mark.parametrize("marker", ["?", "NA", "N/A", "-", ""])
def test_missing_markers_read_as_null(con, tmp_path, marker):
    rows = [["T-1", "2024-03-12 09:00:00", marker, marker, marker, marker]]
    report = _generic(con, exports.write_csv(tmp_path / "m.csv", HEADER, rows))
    assert report.rows_rejected == 0
    stored = exports.tickets(con, "t")["T-1"]
    assert [stored[f] for f in ("closed_at", "team", "priority", "priority_raw", "assignee")] == [
        None
    ] * 5


# value in the file, time zone option, the instant it means
DATES = [
    ("2024-03-12T09:00:00Z", None, utc(2024, 3, 12, 9, 0)),
    ("2024-03-12 09:00:00+02:00", None, utc(2024, 3, 12, 7, 0)),
    ("2024-03-12T09:00:00-0500", "Europe/Paris", utc(2024, 3, 12, 14, 0)),
    ("2024-03-12T09:00:00", "Europe/Paris", utc(2024, 3, 12, 8, 0)),
    ("2024-07-12 09:00", "Europe/Paris", utc(2024, 7, 12, 7, 0)),
    ("1710234000", None, utc(2024, 3, 12, 9, 0)),
    ("1710234000", "Asia/Tokyo", utc(2024, 3, 12, 9, 0)),
    ("03/14/2024 02:05:00 PM", None, utc(2024, 3, 14, 14, 5)),
    ("03/14/2024 12:05 AM", None, utc(2024, 3, 14, 0, 5)),
    ("26/11/2026 14:05", None, utc(2026, 11, 26, 14, 5)),
    ("29/2/2016 01:16", None, utc(2016, 2, 29, 1, 16)),
    ("12/Mar/24 3:45 PM", None, utc(2024, 3, 12, 15, 45)),
    ("14.03.2024 09:00", "Europe/Berlin", utc(2024, 3, 14, 8, 0)),
    # the farthest offsets any zone has (Kiribati, Baker Island), and a half hour
    ("2024-03-12T09:00:00+14:00", None, utc(2024, 3, 11, 19, 0)),
    ("2024-03-12 09:00:00 -1200", None, utc(2024, 3, 12, 21, 0)),
    ("2024-03-12 09:00:00 +0530", None, utc(2024, 3, 12, 3, 30)),
    ("1970-01-01 00:00:00Z", None, utc(1970, 1, 1, 0, 0)),
    ("2099-12-31 23:59", None, utc(2099, 12, 31, 23, 59)),
]


@pytest.mark.parametrize(("value", "tz", "expected"), DATES, ids=[d[0] for d in DATES])
def test_date_styles_are_read_as_the_right_instant(con, tmp_path, value, tz, expected):
    rows = [["T-1", value, "", "", "", ""]]
    report = _generic(con, exports.write_csv(tmp_path / "d.csv", HEADER, rows), tz=tz)
    assert report.rows_rejected == 0, report.rejects
    assert exports.tickets(con, "t")["T-1"]["created_at"] == expected


# value in the file, the reason its row is rejected
IMPOSSIBLE_DATES = [
    ("2024-03-12 09:00:00 +99:99", "impossible UTC offset in created_at: "),
    ("2024-03-12T09:00:00+15:00", "impossible UTC offset in created_at: "),
    ("2024-03-12T09:00:00-0575", "impossible UTC offset in created_at: "),
    ("0001-01-01 00:00", "created_at outside 1970-2099: "),
    ("1969-12-31T23:59:59Z", "created_at outside 1970-2099: "),
    ("9999-12-31", "created_at outside 1970-2099: "),
]


@pytest.mark.parametrize(
    ("value", "reason"), IMPOSSIBLE_DATES, ids=[d[0] for d in IMPOSSIBLE_DATES]
)
def test_an_impossible_offset_or_year_rejects_its_row_and_says_why(con, tmp_path, value, reason):
    rows = [["T-1", "2024-03-12T09:00:00Z", "", "", "", ""], ["T-2", value, "", "", "", ""]]
    report = _generic(con, exports.write_csv(tmp_path / "d.csv", HEADER, rows))
    assert report.tickets == 1
    assert [(r.line, r.reason) for r in report.rejects] == [(3, reason + value)]
    assert list(exports.tickets(con, "t")) == ["T-1"]


def test_a_placeholder_close_date_rejects_the_ticket_rather_than_a_century_long_wait(con, tmp_path):
    rows = [
        ["T-1", "2024-03-12 09:00", "2024-03-12 10:00", "", "", ""],
        ["T-2", "2024-03-12 09:00", "9999-12-31 23:59", "", "", ""],
    ]
    report = _generic(con, exports.write_csv(tmp_path / "d.csv", HEADER, rows))
    assert report.tickets == 1
    assert [(r.line, r.reason) for r in report.rejects] == [
        (3, "closed_at outside 1970-2099: 9999-12-31 23:59")
    ]


def test_iso_column_mixing_offsets_and_naive_values_reads_each_right(con, tmp_path):
    rows = [
        ["T-1", "2024-03-12T09:00:00+01:00", "", "", "", ""],
        ["T-2", "2024-03-12T09:00:00", "", "", "", ""],
    ]
    _generic(con, exports.write_csv(tmp_path / "d.csv", HEADER, rows), tz="America/New_York")
    stored = exports.tickets(con, "t")
    assert stored["T-1"]["created_at"] == utc(2024, 3, 12, 8, 0)
    assert stored["T-2"]["created_at"] == utc(2024, 3, 12, 13, 0)


AMBIGUOUS = [
    ["T-1", "03/04/2024 09:00", "05/04/2024 10:00", "", "", ""],
    ["T-2", "11/12/2024 09:00", "", "", "", ""],
]


def test_ambiguous_day_month_dates_are_reported_not_guessed(con, tmp_path):
    path = exports.write_csv(tmp_path / "amb.csv", HEADER, AMBIGUOUS)
    with pytest.raises(ImportFailed, match="ambiguous") as failure:
        _generic(con, path)
    assert "dmy" in str(failure.value)
    assert _ticket_count(con) == 0


@pytest.mark.parametrize(
    ("order", "created", "closed"),
    [
        ("dmy", utc(2024, 4, 3, 9, 0), utc(2024, 4, 5, 10, 0)),
        ("mdy", utc(2024, 3, 4, 9, 0), utc(2024, 5, 4, 10, 0)),
    ],
)
def test_ambiguous_dates_are_read_in_the_order_given(con, tmp_path, order, created, closed):
    path = exports.write_csv(tmp_path / "amb.csv", HEADER, AMBIGUOUS)
    _generic(con, path, date_order=order)
    stored = exports.tickets(con, "t")
    assert (stored["T-1"]["created_at"], stored["T-1"]["closed_at"]) == (created, closed)


def test_date_order_contradicted_by_the_data_is_refused(con, tmp_path):
    rows = [["T-1", "26/11/2026 14:05", "", "", "", ""]]
    with pytest.raises(ImportFailed, match="cannot be month-first"):
        _generic(con, exports.write_csv(tmp_path / "d.csv", HEADER, rows), date_order="mdy")


def test_preview_shows_the_preset_mapping_and_first_rows(tmp_path):
    preview = ingest.preview_file(exports.zendesk(tmp_path), rows=2, settings=load_settings())
    assert (preview.preset.name, preview.detected) == ("zendesk", True)
    assert preview.mapping["channel"] == "Via"
    assert len(preview.rows) == 2 and preview.rows[0][0] == "101"
    assert (preview.encoding, preview.delimiter, preview.mapping_error) == ("utf-8", ",", None)


def test_preview_reads_quoted_line_breaks_beside_short_rows(tmp_path):
    text = exports.csv_text(HEADER, [["T-1", "2024-03-12", "", "Ops", "High", "Bob\nSmith"]])
    preview = ingest.preview_file(
        exports.write_text(tmp_path / "p.csv", text + "T-2\n"), settings=load_settings()
    )
    assert [row[0] for row in preview.rows] == ["T-1", "T-2"]
    assert preview.rows[0][5] == "Bob\nSmith"
