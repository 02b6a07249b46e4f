"""Importing helpdesk exports into the store: one call, one transaction.

:func:`import_file` is the only way tickets enter the store; the command line
and the Data page both call it, and :func:`preview_file` shows what it would
read. Its stages, one module each, run in order: ``read`` (open the file and
stage its mapped columns as text), ``mapping`` (preset and columns), ``parse``
(dates and types), ``validate`` (rejects, flags, the diff against the store)
and ``write`` (one transaction). Beside them, ``files`` opens a file
(container, encoding, dialect, header), ``limits`` says how large it may be
(any size from the command line or a drop folder: it is streamed),
``presets`` says how each vendor's columns map to the canonical ticket, and
``dates`` reads timestamps.
"""

from analytics.ingest.importer import import_file, preview_file
from analytics.ingest.model import (
    FilePreview,
    ImportFailed,
    ImportOptions,
    ImportReport,
    Reject,
    default_source_name,
)
from analytics.ingest.presets import (
    ALL_PRESETS,
    MappingError,
    Preset,
    guess_mapping,
    resolve_mapping,
)

__all__ = [
    "ALL_PRESETS",
    "FilePreview",
    "ImportFailed",
    "ImportOptions",
    "ImportReport",
    "MappingError",
    "Preset",
    "Reject",
    "default_source_name",
    "guess_mapping",
    "import_file",
    "preview_file",
    "resolve_mapping",
]
