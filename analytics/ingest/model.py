"""What an import takes and what it gives back: options, report, preview, failures."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from analytics import i18n
from analytics.i18n import N_
from analytics.ingest.presets import Preset

# Called with the fraction done and what the import is doing.
Progress = Callable[[float, str], None]


class ImportFailed(i18n.TranslatableError):
    """Nothing was imported; the message says why in one line.

    ``str(error)`` is English (the command line, the logs), led by the file's
    name when the reason is about its content (``where``);
    :func:`analytics.i18n.describe` says the reason in the reader's language,
    beside a file name the screen already shows.
    """

    def __init__(self, template: str, *, where: str | None = None, **params: object) -> None:
        super().__init__(template, **params)
        self.where = where

    def __str__(self) -> str:
        line = i18n.describe(self, "en")  # numbers grouped: "6,000 columns"
        return f"{self.where}: {line}" if self.where else line

    @classmethod
    def because(cls, error: BaseException, where: str | None = None) -> ImportFailed:
        """Return the failure that ``error`` (a stage's, the store's) makes of the import.

        A translatable error keeps its words for translation; any other is
        quoted as it is (its English).
        """
        where = where or getattr(error, "where", None)
        if isinstance(error, i18n.TranslatableError):
            return cls(error.template, where=where, **error.params)
        return cls(N_("{reason}"), where=where, reason=str(error))


class InputFileError(i18n.TranslatableError):
    """The file cannot be read as a ticket export; the message says why, in one line."""

    def __str__(self) -> str:
        return i18n.describe(self, "en")  # numbers grouped: "6,000 columns"


@dataclass(frozen=True)
class ImportOptions:
    """How to read one export: every choice a person can make, none required.

    Attributes
    ----------
    source
        Dataset name; defaults to one derived from the file name.
    preset
        Preset name (see :data:`analytics.ingest.presets.ALL_PRESETS`); detected
        from the header when omitted.
    tz
        IANA zone of timestamps written without an offset; defaults to the
        preset's zone, then to the settings' ``default_tz``.
    mapping
        Canonical field -> column name, overriding the preset.
    first_response_activities, resolved_activities
        Event logs: which activity values mean first response and resolution.
    date_order
        ``"dmy"`` or ``"mdy"`` for numeric dates that fit both readings.
    csat_scale
        The scale of numeric satisfaction ratings: 5 (1-5), 10 (1-10) or 100
        (a percentage); by default decided from the file's numbers.
    encoding, delimiter, quote, header
        How the text is written, when detection guesses wrong (``header=False``:
        the first row is data). ``delimiter="\\t"`` (as typed) means a tab.
    file_name
        The name the person knows the file by (an upload's original name);
        defaults to the name of the path.
    dry_run
        Validate and count, write nothing.
    """

    source: str | None = None
    preset: str | None = None
    tz: str | None = None
    mapping: Mapping[str, str] | None = None
    first_response_activities: Sequence[str] | None = None
    resolved_activities: Sequence[str] | None = None
    date_order: str | None = None
    csat_scale: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    quote: str | None = None
    header: bool | None = None
    file_name: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class Reject:
    """One rejected input row."""

    line: int | None
    reason: str
    raw: str | None


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    source: str
    file_name: str
    sha256: str
    preset: str
    preset_label: str
    mapping: dict[str, str]
    tz: str
    date_formats: dict[str, str]
    rows_read: int = 0
    tickets: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rows_flagged: int = 0
    ratings_written: int = 0
    preview: list[dict] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    import_id: int | None = None
    dry_run: bool = False
    started_at: str = ""
    finished_at: str = ""
    outcome: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the report as plain JSON-ready data with stable keys."""
        data = asdict(self)
        data["rejects"] = [asdict(r) for r in self.rejects]
        return data


@dataclass
class FilePreview:
    """What the importer sees in a file before anything is written."""

    file_name: str
    kind: str
    columns: list[str]
    preset: Preset
    detected: bool
    mapping: dict[str, str]
    encoding: str | None
    delimiter: str | None
    rows: list[list[str | None]]
    mapping_error: str | None


def default_source_name(file_name: str) -> str:
    """Return a source name derived from a file name (``Tickets 2024.csv.gz`` -> ``tickets-2024``)."""
    stem = Path(file_name).name
    stem = re.sub(r"(\.(csv|tsv|txt|gz|zip|xlsx))+$", "", stem, flags=re.IGNORECASE)
    name = re.sub(r"[^\w.-]+", "-", stem).strip("-").lower()
    return name or "tickets"


def one_line(text: str) -> str:
    """Return ``text`` with its control characters written as escapes (``\\n``, ``\\x00``)."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], text)
