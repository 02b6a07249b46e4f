"""How large an import's input may be: the file as given, and what it unpacks to.

A browser upload is held to the settings' upload limit (``max_upload_mb``).
A file already on this machine, given on the command line or left in a drop
folder, may be of any size: the importer streams it (DuckDB reads the file;
Python only ever holds a chunk of it), so its size costs time and disk, not
memory. What a compressed or non-UTF-8 file unpacks to is capped all the
same, since a few kilobytes of zip can stand for terabytes: by
``max_unpacked_mb`` when the file has a limit, else by the room on the
scratch folder's disk, so that a bomb stops before the disk is full.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from analytics.i18n import N_
from analytics.ingest.model import InputFileError
from analytics.settings import Settings

MB = 1024**2
# What an unpacked copy without a limit leaves free on the scratch folder's
# disk: the import's own spill files and the store may need that disk too.
SCRATCH_RESERVE = 1024 * MB
# The size limit of an import from the browser: the settings' ``max_upload_mb``.
UPLOAD = "upload"
MaxMB = int | None | Literal["upload"]
# Wide Jira exports reach a few hundred columns; far beyond that the "header"
# is data or noise, and every column costs DuckDB a reader slot.
MAX_COLUMNS = 5000


@dataclass(frozen=True)
class Limits:
    """How large an input may be, in bytes.

    Attributes
    ----------
    file
        The file as given; None: any size.
    unpacked
        What the UTF-8 copy of a compressed or non-UTF-8 file may grow to in
        the scratch folder (the zip-bomb guard); None: the room on the
        scratch folder's disk, less :data:`SCRATCH_RESERVE`.
    sheet
        What a workbook's cells may take in memory: unlike a CSV, a sheet is
        held in memory before DuckDB sees it.
    """

    file: int | None = 2048 * MB
    unpacked: int | None = 4096 * MB
    sheet: int = 4096 * MB


def for_import(settings: Settings, max_mb: MaxMB = UPLOAD) -> Limits:
    """Return the limits of an import of a file of at most ``max_mb`` megabytes.

    ``"upload"``: the settings' upload limit; None: any size, its unpacked
    copy bounded by the scratch disk's room instead of ``max_unpacked_mb``.
    """
    if max_mb == UPLOAD:
        max_mb = settings.max_upload_mb
    unpacked = settings.max_unpacked_mb * MB
    return Limits(
        file=None if max_mb is None else int(max_mb) * MB,
        unpacked=None if max_mb is None else unpacked,
        sheet=unpacked,
    )


def check_size(path: Path, name: str, max_bytes: int | None) -> int:
    """Return the size of the file at ``path`` in bytes, refusing an empty or oversized one.

    Uses ``stat``, so a huge (or sparse) file is refused without reading it;
    ``max_bytes`` None accepts any size.

    Raises
    ------
    InputFileError
        When the file is empty or larger than ``max_bytes``.
    """
    size = Path(path).stat().st_size
    if size == 0:
        raise InputFileError(N_("{name} is empty"), name=name)
    if max_bytes is not None and size > max_bytes:
        raise InputFileError(
            N_("{name} is {size} MB, over the {limit} MB limit"),
            name=name,
            size=round(size / MB),
            limit=round(max_bytes / MB),
        )
    return size


@dataclass(frozen=True)
class Cap:
    """The most bytes an unpacked copy may take; ``room_in`` names the folder whose free
    space set it, None when a configured limit did."""

    size: int
    room_in: Path | None = None

    def refusal(self, name: str, size: float | None = None) -> InputFileError:
        """Return the refusal of ``name``, whose unpacked copy would pass the cap.

        ``size`` (bytes) is what its archive declares it unpacks to, when known:
        ``"x.zip would unpack to 900 MB, over the 16 MB limit"``; without it,
        ``"x.gz unpacks to more than 16 MB; refused"``.
        """
        cap, room = round(self.size / MB), self.room_in
        if size is None and room is None:
            template = N_("{name} unpacks to more than {cap} MB; refused")
        elif size is None:
            template = N_("{name} unpacks to more than the {cap} MB free in {room}; refused")
        elif room is None:
            template = N_("{name} would unpack to {size} MB, over the {cap} MB limit")
        else:
            template = N_("{name} would unpack to {size} MB, over the {cap} MB free in {room}")
        megabytes = {} if size is None else {"size": round(size / MB)}
        return InputFileError(template, name=name, cap=cap, room=room, **megabytes)


def unpack_cap(limits: Limits, workdir: Path) -> Cap:
    """Return the cap on an unpacked copy written in ``workdir``.

    Without a configured limit, the room its disk has now, less
    :data:`SCRATCH_RESERVE`: one ``statvfs`` call.
    """
    if limits.unpacked is not None:
        return Cap(limits.unpacked)
    free = shutil.disk_usage(workdir).free
    return Cap(max(free - SCRATCH_RESERVE, 0), room_in=Path(workdir).parent)


def check_width(name: str, columns: int, *, delimited: bool = False) -> None:
    """Refuse a first row wider than :data:`MAX_COLUMNS`; a ``delimited`` text's refusal
    says to check the delimiter."""
    if columns <= MAX_COLUMNS:
        return
    if delimited:
        template = N_(
            "{name}: the first row has {columns} columns, over the {most} "
            "a ticket export can have; check the delimiter"
        )
    else:
        template = N_(
            "{name}: the first row has {columns} columns, over the {most} a ticket export can have"
        )
    raise InputFileError(template, name=name, columns=columns, most=MAX_COLUMNS)
