"""The read stage: open an export, hash it, and stage its mapped columns as text in DuckDB.

DuckDB's CSV reader (or an Arrow table for XLSX) reads every column as text
``c0..cN``; staging keeps only the mapped ones, named after their canonical
field, in the temporary table ``_raw_rows`` behind the view ``_raw``.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb

from analytics.i18n import N_
from analytics.ingest import files
from analytics.ingest.limits import Limits
from analytics.ingest.model import ImportFailed

NULL_MARKERS = ["", "?", "NA", "N/A", "n/a", "-", "NULL", "null"]

# DuckDB messages a person cannot act on, and what they mean in an export.
_DUCKDB_MESSAGES = {
    "state machine reached an invalid state": (
        "a line holds a lone carriage return (CR) outside quotes, so its line endings are "
        "mixed; save the file again as CSV"
    ),
}


def open_file(
    path: Path,
    workdir: Path,
    limits: Limits,
    *,
    file_name: str | None,
    encoding: str | None = None,
    delimiter: str | None = None,
    quote: str | None = None,
    header: bool | None = None,
) -> files.TabularInput:
    """Return the opened export (see :func:`analytics.ingest.files.open_input`) within ``limits``."""
    if delimiter == "\\t":
        delimiter = "\t"
    return files.open_input(
        path,
        workdir,
        file_name=file_name,
        encoding=encoding,
        delimiter=delimiter,
        quote=quote,
        header=header,
        limits=limits,
    )


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def hash_in_background(path: Path) -> Callable[[], str]:
    """Start hashing ``path`` on a thread; return a function that waits for the hex digest.

    hashlib releases the GIL on large buffers, so the hash of a large file
    costs no wall time while DuckDB stages it.
    """
    outcome: dict[str, str | OSError] = {}

    def work() -> None:
        try:
            outcome["sha"] = sha256_of(path)
        except OSError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="sha256", daemon=True)
    thread.start()

    def wait() -> str:
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["sha"]

    return wait


def duckdb_message(exc: duckdb.Error) -> str:
    """Return the first line of a DuckDB error without its type, or its plain meaning if known."""
    text = str(exc).strip().splitlines()[0]
    for fragment, meaning in _DUCKDB_MESSAGES.items():
        if fragment in text:
            return meaning
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


def relation_sql(tabular: files.TabularInput, *, keep_rejects: bool = True) -> str:
    """Return the SQL relation reading the staged file, every column as text ``c0..cN``."""
    if tabular.kind == "xlsx":
        return "_xlsx"
    rejects = (
        "store_rejects = true, rejects_table = '_csv_reject_errors', "
        "rejects_scan = '_csv_reject_scans'"
        if keep_rejects
        else "ignore_errors = true"
    )
    serial = "" if tabular.parallel else "parallel = false, "
    return (
        "read_csv($path, delim = $delim, quote = $quote, escape = $quote, header = $header, "
        "columns = $columns, nullstr = $nulls, null_padding = true, auto_detect = false, "
        f"max_line_size = 16777216, {serial}{rejects})"
    )


def relation_params(tabular: files.TabularInput) -> dict:
    """Return the parameters :func:`relation_sql` binds (none for XLSX)."""
    if tabular.kind == "xlsx":
        return {}
    d = tabular.dialect
    return {
        "path": str(tabular.csv_path),
        "delim": d.delimiter,
        "quote": d.quote,
        "header": d.header,
        "columns": {f"c{i}": "VARCHAR" for i in range(len(tabular.columns))},
        "nulls": NULL_MARKERS,
    }


def _needs_serial_scan(exc: duckdb.Error) -> bool:
    return "parallel=false" in str(exc)


def _create_raw_rows(
    cur, tabular: files.TabularInput, positions: Mapping[str, int], *, counting: bool
) -> None:
    """Create temp table _raw_rows: the mapped columns as text, and with ``counting``
    the number of line breaks in each record's values (every column)."""
    select = ", ".join(f'c{pos} as "{fld}"' for fld, pos in positions.items())
    newlines = " + ".join(
        f"(length(coalesce(c{i}, '')) - length(replace(coalesce(c{i}, ''), chr(10), '')))"
        for i in range(len(tabular.columns))
    )
    cur.execute(
        f"create temp table _raw_rows as select {select}"  # noqa: S608
        + (f", {newlines} as _newlines" if counting else "")
        + f" from {relation_sql(tabular)}",
        relation_params(tabular),
    )


def _more_lines_than_records(cur, tabular: files.TabularInput) -> bool:
    """Return True when the CSV file has more physical lines than its header and records.

    Then some record spans lines (or the file has blank lines, which costs only
    the count). Counting the file's line feeds reads it once, a few tenths of a
    second for 400 MB, against seconds for counting them value by value.
    """
    records = cur.execute("select count(*) from _raw_rows").fetchone()[0]
    feeds, last = 0, b""
    with open(tabular.csv_path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            feeds += chunk.count(b"\n")
            last = chunk[-1:]
    lines = feeds + (1 if last not in (b"", b"\n") else 0)
    return lines != records + tabular.header_lines


def sample_rows(tabular: files.TabularInput, rows: int) -> list[tuple]:
    """Return the first ``rows`` records of a file as text, every column."""
    if tabular.kind == "xlsx":
        return [tuple(r.values()) for r in tabular.table.slice(0, rows).to_pylist()]
    con = duckdb.connect()
    try:
        cols = ", ".join(f"c{i}" for i in range(len(tabular.columns)))
        for attempt in (1, 2):
            relation = relation_sql(tabular, keep_rejects=False)
            try:
                return con.execute(
                    f"select {cols} from {relation} limit {int(rows)}",  # noqa: S608
                    relation_params(tabular),
                ).fetchall()
            except duckdb.Error as exc:
                if attempt == 2 or not _needs_serial_scan(exc):
                    raise
                tabular.parallel = False
    except duckdb.Error as exc:
        raise ImportFailed(
            N_("{reason}"), where=tabular.file_name, reason=duckdb_message(exc)
        ) from exc
    finally:
        con.close()


def stage(
    cur: duckdb.DuckDBPyConnection, tabular: files.TabularInput, positions: Mapping[str, int]
) -> None:
    """Stage the file as temp view _raw; read it again serially if it has quoted line breaks and short rows.

    Staging runs outside a transaction, so the failed read left nothing behind.
    """
    try:
        _stage_once(cur, tabular, positions)
    except duckdb.Error as exc:
        if not tabular.parallel or not _needs_serial_scan(exc):
            raise
        tabular.parallel = False
        _stage_once(cur, tabular, positions)


def _stage_once(cur, tabular: files.TabularInput, positions: Mapping[str, int]) -> None:
    """Create temp view _raw: record number plus the mapped columns, as text.

    For a CSV file whose records hold quoted line breaks, temp table
    _line_offsets also counts, per record, the extra physical lines of the
    records before it, so rejects name the line an editor shows. Counting
    reads every value of every column, so it is done only when the file has
    more lines than records (DuckDB's parallel scanner reads such files too,
    so it cannot wait for a serial read).
    """
    if tabular.kind == "xlsx":
        cur.register("_xlsx", tabular.table)
    _create_raw_rows(cur, tabular, positions, counting=False)
    counting = tabular.kind == "csv" and _more_lines_than_records(cur, tabular)
    if counting:
        cur.execute("drop table _raw_rows")
        _create_raw_rows(cur, tabular, positions, counting=True)
    # DuckDB keeps the reader's order on insert (preserve_insertion_order), so
    # the rowid numbers the records (the table is committed: rows written in an
    # open transaction get provisional row ids); row_number() over () would
    # number them on one thread.
    cur.execute("create temp view _raw as select rowid + 1 as _rec, * from _raw_rows")
    if counting:
        cur.execute(
            """
            create temp table _line_offsets as
            select
                _rec,
                coalesce(
                    sum(_newlines) over (
                        order by _rec rows between unbounded preceding and 1 preceding
                    ),
                    0
                ) as extra_lines
            from _raw
            """
        )
