"""Importing helpdesk exports into the store: one call, one transaction.

:func:`import_file` is the only way tickets enter the store; the command line
and the Data page both call it, and :func:`preview_file` shows what it would
read. The modules behind them: :mod:`~analytics.ingest.files` opens a file
(container, encoding, dialect, header), :mod:`~analytics.ingest.presets` maps
a vendor's columns to the canonical ticket, :mod:`~analytics.ingest.dates`
reads its timestamps.
"""

from analytics.ingest.importer import (
    FilePreview,
    ImportFailed,
    ImportReport,
    Reject,
    default_source_name,
    import_file,
    preview_file,
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
