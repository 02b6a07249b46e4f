"""One settings object for the app, the command line and the tests.

Values come from the environment (``BACKLOG_RADAR_*``); the app may also pass
values read from ``.streamlit/secrets.toml``. Nothing is read at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "backlog_radar.duckdb"
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
SAMPLE_SOURCE = "sample"


@dataclass(frozen=True)
class Settings:
    """Runtime settings.

    Attributes
    ----------
    db_path
        DuckDB database file (``BACKLOG_RADAR_DB``).
    max_upload_mb
        Largest file an import accepts, in megabytes (``BACKLOG_RADAR_MAX_UPLOAD_MB``).
        The browser upload limit in ``.streamlit/config.toml`` should match it.
    max_unpacked_mb
        Largest size a compressed input may expand to (zip-bomb guard).
    default_tz
        Time zone applied to naive timestamps when neither the preset nor the
        user names one (``BACKLOG_RADAR_TZ``).
    """

    db_path: Path = DEFAULT_DB_PATH
    max_upload_mb: int = 2048
    max_unpacked_mb: int = 4096
    default_tz: str = "UTC"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Return the settings for this process, read from ``env`` (default ``os.environ``)."""
    env = os.environ if env is None else env
    return Settings(
        db_path=Path(env.get("BACKLOG_RADAR_DB", str(DEFAULT_DB_PATH))),
        max_upload_mb=int(env.get("BACKLOG_RADAR_MAX_UPLOAD_MB", "2048")),
        max_unpacked_mb=int(env.get("BACKLOG_RADAR_MAX_UNPACKED_MB", "4096")),
        default_tz=env.get("BACKLOG_RADAR_TZ", "UTC"),
    )
