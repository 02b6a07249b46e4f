"""Where the store lives, and opening it: a DuckLake catalog (SQLite or PostgreSQL) plus Parquet files.

The embedded store is a SQLite catalog file with its Parquet files in a folder
beside it (``backlog_radar.sqlite`` and ``backlog_radar.sqlite.files/``). A
shared store is a PostgreSQL catalog and a data folder every host mounts at
the same path. Either way the connection this module opens has the lake as
its default catalog (and every cursor made by :func:`use`), so SQL files and
scripts name ``tickets`` and nothing else.

The DuckLake, SQLite and PostgreSQL extensions come from their PyPI packages
(``duckdb-extension-*``), never from the network: DuckDB autoloads them from
an extension folder of links to the installed files.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb

_EXTENSIONS = ("ducklake", "sqlite_scanner", "postgres_scanner")
NAME = "lake"

# Messages from the catalog that mean "not reachable": said in one line, naming it.
_UNREACHABLE = re.compile(
    r"connection to server|could not connect|Connection refused|server closed the connection"
    r"|terminating connection|no connection to the server|could not translate host",
    re.IGNORECASE,
)


_MISSING_FILE = re.compile(r'Cannot open file "([^"]+)": No such file or directory')
_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]+):[^@\s]+@|(password=)\S+", re.IGNORECASE)


class CatalogError(Exception):
    """The catalog cannot be reached or opened; the message names it in one line."""


@dataclass(frozen=True)
class Location:
    """Where one store lives.

    ``catalog`` is DuckLake's metadata string (``sqlite:/abs/path.sqlite`` or
    ``postgres:postgresql://user@host/db``); ``data_path`` is the folder of
    its Parquet files; ``name`` is how messages and the app name it, with no
    password.
    """

    catalog: str
    data_path: Path
    name: str

    @property
    def kind(self) -> str:
        """Return ``"sqlite"`` or ``"postgres"``."""
        return self.catalog.split(":", 1)[0]

    @property
    def catalog_file(self) -> Path | None:
        """Return the SQLite catalog file, None for a PostgreSQL catalog."""
        return Path(self.catalog.split(":", 1)[1]) if self.kind == "sqlite" else None

    @property
    def lock_path(self) -> Path:
        """Return the file whose lock serialises this store's writers on one host."""
        if self.catalog_file is not None:
            return self.catalog_file.with_name(self.catalog_file.name + ".write.lock")
        return self.data_path / ".write.lock"


def locate(
    db: str | Path | None = None,
    *,
    catalog: str | None = None,
    data_path: str | Path | None = None,
) -> Location:
    """Return the store named by ``catalog`` (a PostgreSQL URL) or else by ``db`` (a file).

    ``db`` is the embedded store's SQLite catalog file; its Parquet files go
    to ``<db>.files/`` unless ``data_path`` says otherwise. A PostgreSQL
    catalog needs ``data_path``.
    """
    if catalog:
        if not catalog.startswith(("postgresql://", "postgres://")):
            raise CatalogError(
                f"--catalog must be a PostgreSQL URL (postgresql://USER@HOST/DB), not {catalog!r}"
            )
        if not data_path:
            raise CatalogError("a PostgreSQL catalog needs --data-path, the folder of its files")
        return Location(
            f"postgres:{catalog}", Path(data_path).resolve(), _without_password(catalog)
        )
    if db is None:
        raise CatalogError("no store given: pass --db FILE or --catalog URL")
    path = Path(db).resolve()
    files = Path(data_path).resolve() if data_path else path.with_name(path.name + ".files")
    return Location(f"sqlite:{path}", files, str(path))


def open_lake(location: Location, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open ``location`` (creating an embedded store's files if needed); return its connection.

    The lake is attached as ``lake`` and made the connection's default
    catalog; a cursor needs :func:`use` to say the same. The data path is
    given on every open, so a store restored or mounted elsewhere reads its
    files where they are now.

    Raises
    ------
    CatalogError
        When the catalog cannot be reached, in one line naming it.
    """
    catalog_file = location.catalog_file
    if catalog_file is not None and not catalog_file.exists():
        if read_only:
            raise CatalogError(f"no store at {catalog_file}")
        catalog_file.parent.mkdir(parents=True, exist_ok=True)
    if not read_only:
        location.data_path.mkdir(parents=True, exist_ok=True)
        if catalog_file is not None and not catalog_file.exists():
            _new_catalog_file(catalog_file)
    con = duckdb.connect(config=config())
    try:
        con.execute(
            f"attach 'ducklake:{_quote(location.catalog)}' as {NAME} ("
            + ("read_only, " if read_only else "")
            + f"data_path '{_quote(str(location.data_path))}/', override_data_path true)"
        )
    except duckdb.Error as exc:
        con.close()
        raise catalog_error(exc, location) from exc
    use(con)
    return con


def use(cur: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Make the lake ``cur``'s default catalog (a DuckDB cursor starts on ``memory``); return it."""
    cur.execute(f"use {NAME}")
    return cur


def _new_catalog_file(catalog_file: Path) -> None:
    """Create an empty SQLite catalog file in WAL mode, readable by its owner only.

    WAL mode (kept in the file) lets a writer commit while readers of other
    processes have transactions open; the default journal would fail the
    commit with "database is locked". Only a new file is touched: opening a
    catalog with Python's own SQLite while DuckDB's SQLite has it open in the
    same process would drop DuckDB's locks when it closes (POSIX locks belong
    to the process), and could delete the write-ahead log under it.
    """
    with contextlib.closing(sqlite3.connect(catalog_file)) as db:
        db.execute("pragma journal_mode = wal")
    # Ticket logs are company data: readable by the app's own user only.
    os.chmod(catalog_file, 0o600)


def catalog_error(exc: Exception, location: Location) -> Exception:
    """Return ``exc`` as a one-line :class:`CatalogError` when it says the catalog is unreachable."""
    text = str(exc)
    if _UNREACHABLE.search(text) or "unable to open database file" in text:
        return CatalogError(
            f"the store's catalog {location.name} cannot be reached: {_first_line(text)}"
        )
    return exc


def describe_failure(exc: BaseException) -> str | None:
    """Return one line a person can act on when ``exc`` is the store failing, else None.

    Two failures are the store's, not the code's: the catalog went away (a
    PostgreSQL server stopped), and a data file was removed behind the
    store's back.
    """
    text = str(exc)
    if _UNREACHABLE.search(text):
        return f"the store's catalog cannot be reached: {_first_line(text)}"
    if missing := _MISSING_FILE.search(text):
        return (
            f"a data file of the store is missing: {missing.group(1)}; "
            "restore it from a backup (docs/deploy.md)"
        )
    return None


@functools.cache
def config() -> dict[str, object]:
    """Return the DuckDB configuration that loads the packaged extensions and nothing else."""
    return {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
        "extension_directory": str(extension_directory()),
    }


def extension_directory() -> Path:
    """Return a DuckDB extension folder of links to the packaged extension files.

    DuckDB looks for ``<dir>/v<version>/<platform>/<name>.duckdb_extension``;
    the packages install ``.../extensions/v<version>/<name>.duckdb_extension``.
    """
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    if not os.access(base.parent if not base.exists() else base, os.W_OK):
        base = Path(tempfile.gettempdir()) / f"backlog-radar-{os.getuid()}"
    root = base / "backlog_radar" / "duckdb_extensions"
    version = duckdb.__version__
    folder = root / f"v{version}" / _platform()
    folder.mkdir(parents=True, exist_ok=True)
    for name in _EXTENSIONS:
        target = packaged_extension(name)
        link = folder / target.name
        if not link.exists() or link.resolve() != target.resolve():
            tmp = folder / f".{target.name}.{os.getpid()}"
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(target)
            tmp.replace(link)
    return root


def packaged_extension(name: str) -> Path:
    """Return the file the ``duckdb-extension-<name>`` package installed."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise CatalogError(
            f"the DuckDB extension package duckdb-extension-{name.replace('_', '-')} "
            "is not installed; run make run (or pip install -r requirements.txt)"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
    if not found:
        raise CatalogError(
            f"duckdb-extension-{name.replace('_', '-')} does not match DuckDB {duckdb.__version__}"
        )
    return found[0]


@functools.cache
def _platform() -> str:
    with duckdb.connect() as con:
        return con.execute("pragma platform").fetchone()[0]


def _quote(text: str) -> str:
    return text.replace("'", "''")


def display_name(catalog: str) -> str:
    """Return how messages name DuckLake's metadata string ``catalog``: no scheme, no password."""
    kind, _, rest = catalog.partition(":")
    return rest if kind == "sqlite" else _without_password(rest)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _first_line(text: str) -> str:
    """Return ``text`` on one line, short, with any password masked."""
    masked = _PASSWORD.sub(lambda m: f"{m.group(1)}:***@" if m.group(1) else "password=***", text)
    return " ".join(masked.split())[:300]
