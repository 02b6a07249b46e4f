"""Hostile uploads: each is refused in one line or imported as the manifest says.

The corpus is tests/hostile/ (small files, committed) plus a few big files
generated here into tmp_path; tests/hostile/expected.toml says what must
happen to each. Every case runs against a real store file that already holds
data, and a refusal must leave tickets, imports and rejects exactly as they were.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import exports
import pytest

from analytics import ingest, store
from analytics.settings import Settings, load_settings

HOSTILE = Path(__file__).resolve().parent / "hostile"
CASES = tomllib.loads((HOSTILE / "expected.toml").read_text(encoding="utf-8"))["case"]
DEFAULT_MAPPING = {"ticket_id": "Id", "created_at": "Created"}
ROW = b"1,2024-03-01 09:00\n"
MB = 1024**2


def _sparse_over_limit(path: Path) -> None:
    # A sparse file: just over the 500 MB default limit by stat, a few bytes on
    # disk. The size check must use stat; a reader would see the header, then NUL bytes.
    path.write_bytes(b"Id,Created\n" + ROW)
    with path.open("r+b") as fh:
        fh.truncate(500 * MB + MB)


def _one_line_50mb(path: Path) -> None:
    path.write_bytes(b"a," * (25 * MB))


def _long_row_50mb(path: Path) -> None:
    with path.open("wb") as fh:
        fh.write(b"Id,Created\n1,2024-03-01 09:00\n2,")
        fh.write(b"y" * (50 * MB))
        fh.write(b"\n3,2024-03-01 11:00\n")


def _bomb_chunks() -> list[bytes]:
    chunk = ROW * (MB // len(ROW))
    return [b"Id,Created\n"] + [chunk] * 100


def _zip_bomb(path: Path) -> None:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("tickets.csv", "w", force_zip64=True) as member,
    ):
        for chunk in _bomb_chunks():
            member.write(chunk)


def _gzip_bomb(path: Path) -> None:
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as out:
        for chunk in _bomb_chunks():
            out.write(chunk)


def _invalid_utf8_late(path: Path) -> None:
    # Valid UTF-8 for the first 256 KB the encoding is guessed from, then a bad byte.
    rows = b"".join(b"%d,2024-03-01 09:00\n" % n for n in range(1, 20001))
    assert len(rows) > 256 * 1024
    path.write_bytes(b"Id,Created\n" + rows + b"20001,2024-03-01 09:00 \xff\xfe\n")


def _edited_xlsx(path: Path, *, rows: str = "", dimension: str = "", header: str = "") -> None:
    """Write a real workbook (Id, Created; ticket 1), then edit its sheet's XML:
    ``rows`` appended, the declared ``dimension`` replaced, ``header`` cells
    appended to the first row."""
    plain = exports.write_xlsx(
        path.with_name("plain.xlsx"), ["Id", "Created"], [["1", "2024-03-01 09:00"]]
    )
    with zipfile.ZipFile(plain) as source:
        members = {info.filename: source.read(info.filename) for info in source.infolist()}
    plain.unlink()
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace("</sheetData>", f"{rows}</sheetData>")
    sheet = sheet.replace("</row>", f"{header}</row>", 1)
    if dimension:
        sheet = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', sheet)
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _xlsx_row_past_excel(path: Path) -> None:
    # openpyxl yields an empty row for every number skipped up to this one.
    far = 10_000_000_000
    _edited_xlsx(path, rows=f'<row r="{far}">{_cell(f"A{far}", "2")}</row>')


def _xlsx_padded_cells(path: Path) -> None:
    # Each row's one cell in Excel's last column is padded to 16,384 cells.
    rows = "".join(f'<row r="{n}">{_cell(f"XFD{n}", "x")}</row>' for n in range(3, 6))
    _edited_xlsx(path, rows=rows)


def _xlsx_wide_header(path: Path) -> None:
    _edited_xlsx(path, header=_cell("XFD1", "Last"))


def _xlsx_short_dimension(path: Path) -> None:
    # The sheet claims two rows and holds four, then a formatted empty row.
    rows = (
        f'<row r="3">{_cell("A3", "2")}{_cell("B3", "2024-03-01 10:00")}</row>'
        f'<row r="4">{_cell("A4", "3")}{_cell("B4", "2024-03-01 11:00")}</row>'
        '<row r="9" ht="30" customHeight="1"/>'
    )
    _edited_xlsx(path, rows=rows, dimension="A1:B2")


GENERATORS: dict[str, Callable[[Path], None]] = {
    "sparse_over_limit.csv": _sparse_over_limit,
    "one_line_50mb.csv": _one_line_50mb,
    "long_row_50mb.csv": _long_row_50mb,
    "zip_bomb.zip": _zip_bomb,
    "gzip_bomb.csv.gz": _gzip_bomb,
    "invalid_utf8_late.csv": _invalid_utf8_late,
    "xlsx_row_past_excel.xlsx": _xlsx_row_past_excel,
    "xlsx_padded_cells.xlsx": _xlsx_padded_cells,
    "xlsx_wide_header.xlsx": _xlsx_wide_header,
    "xlsx_short_dimension.xlsx": _xlsx_short_dimension,
}


@pytest.fixture(scope="module")
def baseline_store(tmp_path_factory) -> Path:
    """A store file holding one earlier import (three tickets, one reject), written once."""
    folder = tmp_path_factory.mktemp("baseline")
    con = store.connect(folder / "store.sqlite")
    path = exports.write_csv(
        folder / "baseline.csv",
        ["Id", "Created"],
        [["a1", "2024-01-05 08:00"], ["a2", "2024-01-06 09:30"], ["", "2024-01-07"], ["a3", ""]],
    )
    exports.import_(con, path, preset="generic", mapping=DEFAULT_MAPPING, source="baseline")
    con.close()
    return folder / "store.sqlite"


@pytest.fixture
def filled(baseline_store, tmp_path: Path):
    """The baseline store, a copy of the test's own: copying costs a fraction of an import."""
    con = store.connect(exports.copy_store(baseline_store, tmp_path / "store.sqlite"))
    yield con
    con.close()


def _input(case: dict, tmp_path: Path) -> Path:
    if case.get("generated"):
        path = tmp_path / case["file"]
        GENERATORS[case["file"]](path)
        return path
    return HOSTILE / case["file"]


def _arguments(case: dict) -> dict:
    preset = case.get("preset", "generic")
    if preset == "detect":
        return {"source": "hostile"}
    return {"source": "hostile", "preset": preset, "mapping": case.get("mapping", DEFAULT_MAPPING)}


def _settings(case: dict) -> Settings:
    return Settings(max_unpacked_mb=case.get("max_unpacked_mb", Settings.max_unpacked_mb))


def _baseline(con) -> dict[str, list[tuple]]:
    return {
        "tickets": con.execute(
            "select * from tickets where source = 'baseline' order by all"
        ).fetchall(),
        "imports": con.execute(
            "select * from imports where source = 'baseline' order by all"
        ).fetchall(),
        "rejects": con.execute(
            "select * from rejects where import_id in "
            "(select import_id from imports where source = 'baseline') order by all"
        ).fetchall(),
    }


def test_manifest_lists_every_committed_file_and_every_generator():
    committed = {p.name for p in HOSTILE.iterdir() if p.name != "expected.toml"}
    named = {case["file"] for case in CASES}
    assert committed <= named
    assert set(GENERATORS) <= named
    assert {case["file"] for case in CASES if case.get("generated")} == set(GENERATORS)


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['file']}-{c.get('preset', 'generic')}" for c in CASES]
)
def test_hostile_file_is_refused_or_imported_as_the_manifest_says(case, filled, tmp_path):
    path = _input(case, tmp_path)
    before = exports.table_dump(filled)
    baseline = _baseline(filled)
    arguments = _arguments(case)
    if case["outcome"] == "refused":
        with pytest.raises(ingest.ImportFailed) as failure:
            ingest.import_file(filled, path, settings=_settings(case), **arguments)
        message = str(failure.value)
        assert case["message"] in message
        assert "\n" not in message and "Traceback" not in message
        assert exports.table_dump(filled) == before
    else:
        report = ingest.import_file(filled, path, settings=_settings(case), **arguments)
        assert (report.tickets, report.rows_rejected) == (case["tickets"], case["rejects"])
        if "reject_reason" in case:
            assert case["reject_reason"] in report.rejects[0].reason
        stored = filled.execute(
            "select count(*) from tickets where source = 'hostile' and import_id = ?",
            [report.import_id],
        ).fetchone()[0]
        rejected = filled.execute(
            "select count(*) from rejects where import_id = ?", [report.import_id]
        ).fetchone()[0]
        assert (stored, rejected) == (case["tickets"], case["rejects"])
        assert _baseline(filled) == baseline
    # The Data page previews a file before importing it: the same file may
    # fail there too, but only with the importer's own error.
    try:
        ingest.preview_file(path, preset=_arguments(case).get("preset"), settings=_settings(case))
    except ingest.ImportFailed as exc:
        assert "\n" not in str(exc)


def test_oversized_file_is_refused_before_anything_reads_it(filled, tmp_path):
    path = tmp_path / "sparse_over_limit.csv"
    _sparse_over_limit(path)
    assert path.stat().st_blocks * 512 < MB  # sparse: nothing to read but the header
    with pytest.raises(ingest.ImportFailed, match="over the 500 MB limit"):
        ingest.import_file(
            filled, path, preset="generic", mapping=DEFAULT_MAPPING, settings=load_settings()
        )
    # The file's hash is computed on a thread; for a refused file it must not start.
    assert not [t for t in threading.enumerate() if t.name == "sha256" and t.is_alive()]


def test_sql_in_column_names_and_cells_is_only_ever_data(filled):
    case = next(c for c in CASES if c["file"] == "sql_column_names.csv" and "mapping" in c)
    report = ingest.import_file(
        filled, HOSTILE / case["file"], settings=load_settings(), **_arguments(case)
    )
    assert report.mapping == case["mapping"]
    stored = json.loads(
        filled.execute(
            "select mapping from imports where import_id = ?", [report.import_id]
        ).fetchone()[0]
    )
    assert stored == case["mapping"]
    rows = filled.execute(
        "select ticket_id, team, region, assignee from tickets where source = 'hostile' "
        "order by created_at"
    ).fetchall()
    assert rows == [
        ("1", "team a", "north", "x"),
        ("2'; DELETE FROM tickets; --", "team b", "south", "y"),
        ('3" OR "1"="1', "'; select 1; --", "east", "z"),
    ]
    tables = {r[0] for r in filled.execute("select table_name from duckdb_tables()").fetchall()}
    assert {"tickets", "imports", "rejects"} <= tables
    assert (
        filled.execute("select count(*) from tickets where source = 'baseline'").fetchone()[0] == 2
    )


def test_html_and_formulas_in_fields_are_stored_exactly_as_written(filled):
    case = next(c for c in CASES if c["file"] == "html_and_formulas.csv")
    report = ingest.import_file(
        filled, HOSTILE / case["file"], settings=load_settings(), **_arguments(case)
    )
    rows = filled.execute(
        "select ticket_id, team, category, assignee, status_raw from tickets "
        "where source = 'hostile' order by ticket_id"
    ).fetchall()
    assert rows == [
        ("1", "<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "<b>bold</b>", "open"),
        ("2", '=HYPERLINK("http://evil.example","click")', "@SUM(A1:A9)", "+1-1", "-2+3"),
        ("3", "javascript:alert(1)", "&lt;escaped&gt;", "</td></tr><tr>", "<!-- -->"),
    ]
    assert report.rejects[0].line == 5
    assert "<script>document.cookie</script>" in report.rejects[0].raw
