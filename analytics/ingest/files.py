"""Opening an uploaded export: container, encoding, dialect and header.

An export arrives as CSV/TSV (plain, ``.gz``, or a ``.zip`` holding one CSV)
or as XLSX. Everything is sniffed from the first bytes and every guess can be
overridden. Whatever DuckDB cannot read in place (compressed, non-UTF-8) is
streamed once into a UTF-8 file in a scratch folder, within a size cap so a
zip bomb stops at the cap instead of filling the disk (:mod:`limits`). Only
the first 256 KB are ever read whole; everything else moves in chunks.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from analytics.i18n import N_
from analytics.ingest.limits import Cap, Limits, check_size, check_width, unpack_cap
from analytics.ingest.model import InputFileError

HEAD_BYTES = 256 * 1024
CHUNK = 4 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "cp1252", "latin-1", "utf-16")
# Text has almost no control characters; random or binary bytes read as
# latin-1 have about one in nine. A few stray ones (a vertical tab from Excel,
# a DOS end-of-file mark) stay under this share, and a short file needs at
# least eight before it counts as binary.
MAX_CONTROL_SHARE = 0.01
# Excel's last row. A sheet may number its rows beyond it, and openpyxl
# yields an empty row for every number skipped: a few bytes would otherwise
# stand for billions of rows.
XLSX_MAX_ROWS = 1_048_576
# What one cell read from a workbook costs in memory (a list slot and a short
# string); the cells count at this price against the unpack limit, since a
# sheet, unlike a CSV, is held in memory before DuckDB sees it.
XLSX_CELL_BYTES = 64
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# What a failing decompressor or zip reader raises, besides InputFileError.
_UNPACK_ERRORS = (
    OSError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    RuntimeError,
    NotImplementedError,
)


@dataclass(frozen=True)
class Dialect:
    """How a delimited text file is written."""

    delimiter: str
    quote: str
    header: bool
    encoding: str


@dataclass
class TabularInput:
    """An export made readable: either a UTF-8 CSV on disk or an Arrow table.

    ``columns`` are the header names as written in the file (or ``column_1``...
    when the file has no header); ``header_lines`` is the number of lines
    before the first data row, so record ``n`` (1-based) sits on line
    ``n + header_lines``.
    """

    file_name: str
    kind: str
    columns: list[str]
    dialect: Dialect | None = None
    csv_path: Path | None = None
    table: pa.Table | None = None
    header_lines: int = 1
    notes: list[str] = field(default_factory=list)
    # DuckDB's parallel CSV scanner refuses padded short rows in a file whose
    # quoted fields hold line breaks; the importer turns it off when it meets one.
    parallel: bool = True


def _looks_binary(head: bytes) -> bool:
    return b"\x00" in head[:8192]


def _looks_like_bomless_utf16(head: bytes) -> bool:
    """Return True when every other byte of the sample is NUL: ASCII text written as UTF-16LE."""
    odd = head[1:4096:2]
    return len(odd) >= 8 and odd.count(0) >= 0.9 * len(odd) and head[0:4096:2].count(0) == 0


def detect_encoding(head: bytes) -> str:
    """Return the encoding of a text sample: utf-8, utf-16, cp1252 or latin-1.

    UTF-8 is tried first because a valid UTF-8 sample is almost never another
    encoding; French exports from Excel are typically cp1252, whose bytes
    0x80-0x9f (curly quotes, œ, €) latin-1 would misread.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    # A sample cut mid-character must not count against UTF-8.
    for cut in range(4):
        try:
            sample[: len(sample) - cut].decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            continue
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def sniff_dialect(text: str, *, delimiter: str | None = None, quote: str | None = None) -> Dialect:
    """Return the delimiter, quote and header guess for a decoded text sample.

    The delimiter is the candidate that splits the most sample lines into the
    same number of fields (more than one) as the first line.
    """
    lines = text.splitlines()
    if len(text) >= HEAD_BYTES // 2 and len(lines) > 1:
        lines = lines[:-1]  # the last line of a sample may be cut short
    sample = "\n".join(lines[:500])
    if not sample.strip():
        raise InputFileError(N_("the file holds no text rows"))
    quotechar = quote if quote is not None else '"'
    best: tuple[int, int, str] | None = None
    for candidate in [delimiter] if delimiter else DELIMITERS:
        rows = list(_rows(sample, candidate, quotechar))
        if not rows:
            continue
        width = len(rows[0])
        consistent = sum(1 for row in rows if len(row) == width)
        score = (consistent if width > 1 else 0, width)
        if best is None or score > best[:2]:
            best = (*score, candidate)
    if best is None or (best[0] == 0 and delimiter is None):
        raise InputFileError(
            N_("no delimiter found: the first lines split into one column with , ; tab and |")
        )
    first = next(_rows(sample, best[2], quotechar))
    return Dialect(
        delimiter=best[2], quote=quotechar, header=_looks_like_header(first), encoding=""
    )


def _rows(sample: str, delimiter: str, quote: str) -> Iterator[list[str]]:
    reader = csv.reader(
        # Universal newlines: a file from old Mac Excel ends its lines with a lone CR.
        io.StringIO(sample, newline=None),
        delimiter=delimiter,
        quotechar=quote or None,
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
    )
    try:
        yield from reader
    except csv.Error:
        return


_DATAISH = re.compile(r"^[\d\s:/.\-+TZ]*$")


def _looks_like_header(first_row: list[str]) -> bool:
    # A header has at least one cell that is not a number or a date.
    return any(cell.strip() and not _DATAISH.match(cell.strip()) for cell in first_row)


def open_input(
    path: Path,
    workdir: Path,
    *,
    file_name: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    quote: str | None = None,
    header: bool | None = None,
    limits: Limits | None = None,
) -> TabularInput:
    """Return a readable view of the export at ``path``.

    ``workdir`` receives any unpacked or transcoded copy; the caller removes
    it. Each keyword but ``limits`` overrides the corresponding guess.

    Raises
    ------
    InputFileError
        For an empty, oversized, binary, unreadable or multi-file input.
    """
    path = Path(path)
    name = file_name or path.name
    limits = limits or Limits()
    check_size(path, name, limits.file)
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic.startswith(b"PK\x03\x04"):
        return _open_zip(path, workdir, name, encoding, delimiter, quote, header, limits)
    if magic.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(HEAD_BYTES)
        except _UNPACK_ERRORS as exc:
            raise InputFileError(
                N_("{name} is not a readable gzip file: {error}"), name=name, error=str(exc)
            ) from exc
        opener = gzip.open
    else:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        opener = None
    return _open_text(
        path,
        workdir,
        name,
        head,
        encoding,
        delimiter,
        quote,
        header,
        unpack_cap(limits, workdir),
        opener=opener,
    )


def _open_zip(path, workdir, name, encoding, delimiter, quote, header, limits: Limits):
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputFileError(
            N_("{name} is not a readable zip or xlsx file: {error}"), name=name, error=str(exc)
        ) from exc
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir() and not info.filename.startswith("__MACOSX/")
        ]
        declared = sum(info.file_size for info in members)
        cap = unpack_cap(limits, workdir)
        if declared > cap.size:
            raise cap.refusal(name, declared)
        if any(info.filename == "xl/workbook.xml" for info in members):
            return _open_xlsx(path, name, limits.sheet)
        if len(members) != 1:
            raise InputFileError(
                N_("{name} holds {count} files; a zip must hold exactly one CSV"),
                name=name,
                count=len(members),
            )
        member = members[0]
        target = workdir / "unzipped.csv"
        _copy_capped(lambda: archive.open(member), target, cap, name)
    with target.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b")):
        raise InputFileError(
            N_("{name} holds another archive ({member}); unpack it and import the CSV inside"),
            name=name,
            member=member.filename,
        )
    return _open_text(
        target,
        workdir,
        name,
        head,
        encoding,
        delimiter,
        quote,
        header,
        cap,
        opener=None,
    )


def _copy_capped(open_stream, target: Path, cap: Cap, name: str) -> None:
    # The declared size in a zip header can lie; count what really comes out.
    written = 0
    try:
        with open_stream() as src, target.open("wb") as dst:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > cap.size:
                    raise cap.refusal(name)
                dst.write(chunk)
    except _UNPACK_ERRORS as exc:
        # A lying size header ends in a CRC error; encrypted or exotic members cannot be read.
        raise InputFileError(
            N_("{name} is a damaged or unsupported zip: {error}"), name=name, error=str(exc)
        ) from exc


def _open_text(path, workdir, name, head, encoding, delimiter, quote, header, cap: Cap, *, opener):
    if not head.strip():
        raise InputFileError(N_("{name} is empty"), name=name)
    enc = encoding or detect_encoding(head)
    if not enc.lower().startswith("utf-16") and _looks_binary(head):
        if encoding is None and _looks_like_bomless_utf16(head):
            raise InputFileError(
                N_(
                    "{name} looks like UTF-16 text without a byte-order mark; "
                    "choose the encoding utf-16"
                ),
                name=name,
            )
        raise InputFileError(N_("{name} is a binary file, not a CSV text export"), name=name)
    try:
        text = head.decode(enc, errors="ignore" if enc == "utf-8" else "strict")
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputFileError(
            N_("{name} cannot be read as {encoding}: {error}"),
            name=name,
            encoding=enc,
            error=str(exc),
        ) from exc
    text = text.lstrip("\ufeff")
    controls = len(_CONTROL.findall(text))
    if controls >= 8 and controls > MAX_CONTROL_SHARE * len(text):
        raise InputFileError(N_("{name} is a binary file, not a CSV text export"), name=name)
    if len(head) >= HEAD_BYTES and not any(mark in text for mark in "\n\r"):
        raise InputFileError(
            N_(
                "{name}: the first line runs past {kilobytes} KB without a line break; "
                "this is not a CSV export with a header"
            ),
            name=name,
            kilobytes=HEAD_BYTES // 1024,
        )
    if not text.strip():
        raise InputFileError(N_("{name} holds no text rows"), name=name)
    dialect = sniff_dialect(text, delimiter=delimiter, quote=quote)
    has_header = dialect.header if header is None else header
    dialect = Dialect(dialect.delimiter, dialect.quote, has_header, enc)
    first = next(_rows(text, dialect.delimiter, dialect.quote), [])
    check_width(name, len(first), delimited=True)
    if has_header:
        columns = [cell.strip() for cell in first]
    else:
        columns = [f"column_{i + 1}" for i in range(len(first))]
    csv_path = path
    if opener is not None or enc not in ("utf-8",):
        csv_path = workdir / "transcoded.csv"
        transcode(path, csv_path, enc, cap, name, opener=opener)
    return TabularInput(
        file_name=name,
        kind="csv",
        columns=columns,
        dialect=dialect,
        csv_path=csv_path,
        header_lines=1 if has_header else 0,
    )


def transcode(src: Path, dst: Path, encoding: str, cap: Cap, name: str, *, opener=None) -> None:
    """Stream ``src`` (optionally through ``opener``, e.g. gzip) into UTF-8 at ``dst``, a chunk
    at a time.

    Raises
    ------
    InputFileError
        When a byte is invalid in ``encoding`` or the output passes ``cap``.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    written = 0
    offset = 0
    raw = opener(src, "rb") if opener else src.open("rb")
    try:
        with raw, dst.open("wb") as out:
            while chunk := raw.read(CHUNK):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    raise InputFileError(
                        N_(
                            "{name}: byte {byte} is not valid {encoding}; "
                            "choose the file's encoding explicitly"
                        ),
                        name=name,
                        byte=offset + exc.start,
                        encoding=encoding,
                    ) from exc
                offset += len(chunk)
                data = text.encode("utf-8")
                written += len(data)
                if written > cap.size:
                    raise cap.refusal(name)
                out.write(data)
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except _UNPACK_ERRORS as exc:
        raise InputFileError(
            N_("{name} could not be read to the end: {error}"), name=name, error=str(exc)
        ) from exc


def _open_xlsx(path: Path, name: str, max_sheet_bytes: int) -> TabularInput:
    # openpyxl's read-only mode streams rows instead of building the whole workbook.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputFileError(
            N_("{name} is not a readable xlsx workbook: {error}"), name=name, error=str(exc)
        ) from exc
    max_cells = max_sheet_bytes // XLSX_CELL_BYTES
    try:
        sheet = workbook.worksheets[0]
        # The declared size is the writer's claim: rows past it would be
        # dropped, and a huge one would pad every row. Read what is there.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise InputFileError(N_("{name}: the first sheet is empty"), name=name)
        columns = [str(cell).strip() if cell is not None else "" for cell in first]
        while columns and columns[-1] == "":
            columns.pop()
        width = len(columns)
        check_width(name, width)
        data: list[list[str | None]] = [[] for _ in range(width)]
        cells = len(first)
        # Empty rows are kept only when data follows them, so that every row
        # keeps its sheet number in the rejects; trailing ones (formatted,
        # never filled) are not tickets.
        blank = 0
        for number, row in enumerate(rows, start=2):
            # Cells openpyxl pads a row with count too: they cost the same.
            cells += max(len(row), width)
            _check_sheet_size(name, number, cells, max_cells, max_sheet_bytes)
            values = [_cell_text(row[i]) if i < len(row) else None for i in range(width)]
            if all(value is None for value in values):
                blank += 1
                continue
            if blank:
                for column in data:
                    column.extend([None] * blank)
                blank = 0
            for column, value in zip(data, values, strict=True):
                column.append(value)
    finally:
        workbook.close()
    names = [f"c{i}" for i in range(width)]
    table = pa.table(
        {n: pa.array(col, type=pa.string()) for n, col in zip(names, data, strict=True)}
    )
    return TabularInput(file_name=name, kind="xlsx", columns=columns, table=table, header_lines=1)


def _check_sheet_size(name: str, row: int, cells: int, max_cells: int, max_bytes: int) -> None:
    """Refuse a sheet past Excel's last row, or with more cells than the unpack limit holds."""
    if row > XLSX_MAX_ROWS:
        raise InputFileError(
            N_(
                "{name}: the first sheet has rows past row {last}, "
                "the last one Excel has; this is not a spreadsheet export"
            ),
            name=name,
            last=XLSX_MAX_ROWS,
        )
    if cells > max_cells:
        raise InputFileError(
            N_(
                "{name}: the first sheet has over {cells} cells, more than the "
                "{limit} MB unpack limit holds in memory; export it as CSV"
            ),
            name=name,
            cells=max_cells,
            limit=round(max_bytes / 1024**2),
        )


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        # Excel stores wall-clock datetimes without a zone; keep them naive.
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
