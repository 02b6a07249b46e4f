"""Backing up the store and restoring a backup: the catalog's dump plus a copy of the data files.

A backup is a folder::

    manifest.json     what it holds: catalog kind, when, snapshot id, file count, bytes
    catalog.sqlite    an embedded store's catalog (SQLite's online backup API), or
    catalog.pgdump    a shared store's catalog (``pg_dump --format=custom``)
    files/            the store's data files, at their paths under the data folder

The catalog is dumped first and the files are copied after. DuckLake never
changes a file once written, and deletes one only when ``maintain`` removes
files no snapshot needs any more, so every file the dump references is still
there to be copied. A backup holds the store's write lock from start to end,
so an import or ``maintain`` on this host waits for it; readers never wait.
The folder appears under its name only once complete (it is written beside
it and renamed), so a backup interrupted halfway is never mistaken for one.

A PostgreSQL password never reaches a command line or a manifest: the
PostgreSQL tools get the URL without it and the password in ``PGPASSWORD``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import duckdb

from analytics import lake, store

MANIFEST = "manifest.json"
FILES = "files"
CATALOG_FILES = {"sqlite": "catalog.sqlite", "postgres": "catalog.pgdump"}
FORMAT = 1
# A dump or restore of a large catalog takes minutes, not hours.
_PG_TIMEOUT_S = 3600
# The rows of ducklake_snapshot in a dump's data, as pg_restore prints them.
_SNAPSHOT_ROWS = re.compile(
    r"^COPY \S*ducklake_snapshot \(snapshot_id,.*?\n(.*?)^\\\.$", re.S | re.M
)


class BackupError(store.StoreError):
    """A backup or restore cannot be done; the message says why in one line."""


@dataclass(frozen=True)
class Manifest:
    """What one backup holds (``manifest.json``).

    ``catalog`` is ``"sqlite"`` or ``"postgres"``; ``store`` names the store
    backed up, without a password; ``snapshot_id`` is the store's latest
    snapshot in the dumped catalog; ``files`` and ``bytes`` count the data
    files copied.
    """

    catalog: str
    store: str
    created_at: str
    snapshot_id: int
    files: int
    bytes: int
    duckdb: str
    format: int = FORMAT

    def to_dict(self) -> dict[str, object]:
        """Return the manifest as a JSON-ready dict."""
        return asdict(self)


def take(con: duckdb.DuckDBPyConnection, folder: str | Path) -> Manifest:
    """Back up the store behind ``con`` into ``folder`` (new, or an empty folder); return its manifest.

    Raises
    ------
    BackupError
        When ``folder`` holds something already or lies in the store's data
        folder, or when the catalog cannot be dumped.
    analytics.store.StoreBusyError
        When an import or ``maintain`` holds the store for longer than the lock's timeout.
    """
    where = store.location(con)
    folder = Path(folder).resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} already exists and is not an empty folder; name a new one")
    if folder.is_relative_to(where.data_path):
        raise BackupError(f"{folder} is inside the store's data folder; name one outside it")
    partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    cur = store.cursor(con)
    try:
        # Ticket logs are company data: the backup is readable by its owner only.
        with _one_line(f"cannot write the backup {folder}"):
            partial.mkdir(mode=0o700, parents=True)
        with store.write_lock(cur, f"backing up to {folder}"), _one_line("cannot back up"):
            snapshot = _dump_catalog(where, partial / CATALOG_FILES[where.kind])
            count, size = _copy_files(where.data_path, partial / FILES, skip=where.lock_path)
        manifest = Manifest(
            catalog=where.kind,
            store=where.name,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            snapshot_id=snapshot,
            files=count,
            bytes=size,
            duckdb=duckdb.__version__,
        )
        with _one_line(f"cannot write the backup {folder}"):
            (partial / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2) + "\n")
            partial.replace(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        cur.close()
    return manifest


def read_manifest(folder: str | Path) -> Manifest:
    """Return the manifest of the backup in ``folder``.

    Raises
    ------
    BackupError
        When ``folder`` is not a complete backup of this format.
    """
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}") from None
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from exc
    if manifest.format != FORMAT or manifest.catalog not in CATALOG_FILES:
        raise BackupError(f"{folder} is a backup of a format this version does not read")
    return manifest


def restore(folder: str | Path, where: lake.Location, *, force: bool = False) -> Manifest:
    """Put the backup in ``folder`` into the store at ``where``; return the backup's manifest.

    The data files are copied first and the catalog written last, so the
    catalog never names a file that is not there yet. A SQLite backup
    restores into a SQLite catalog file, a PostgreSQL one into an existing
    (possibly empty) PostgreSQL database. Run it with the app and the
    scheduled jobs on that store stopped.

    Raises
    ------
    BackupError
        When the store already holds data and ``force`` is false, when the
        backup's catalog kind differs from the store's, or when the restored
        store is not at the backup's snapshot.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest.catalog != where.kind:
        flag = "--db FILE" if manifest.catalog == "sqlite" else "--catalog URL --data-path DIR"
        raise BackupError(
            f"{folder} holds a {manifest.catalog} catalog and {where.name} is a {where.kind} one; "
            f"restore it with {flag}"
        )
    if not force and _holds_data(where):
        raise BackupError(
            f"the store {where.name} already holds data; restore replaces it: pass --force"
        )
    with _one_line(f"cannot restore into {where.name}"):
        count, _ = _copy_files(folder / FILES, where.data_path)
        if count != manifest.files:
            raise BackupError(f"{folder} holds {count} data files, its manifest {manifest.files}")
        dump = folder / CATALOG_FILES[manifest.catalog]
        if where.catalog_file is not None:
            _restore_sqlite(dump, where.catalog_file)
        else:
            _pg_restore(dump, _pg_url(where))
    _check_snapshot(where, manifest.snapshot_id)
    return manifest


def _holds_data(where: lake.Location) -> bool:
    """Return True when the store at ``where`` has a catalog or its data folder holds files."""
    if where.catalog_file is not None:
        has_catalog = where.catalog_file.exists() and where.catalog_file.stat().st_size > 0
    else:
        query = "select count(*) from pg_tables where tablename = 'ducklake_snapshot'"
        found = _pg_tool("psql", ["-X", "-A", "-t", "-c", query], _pg_url(where))
        has_catalog = found.stdout.strip() not in ("", "0")
    files = where.data_path.is_dir() and any(
        p.is_file() and p != where.lock_path for p in where.data_path.rglob("*")
    )
    return has_catalog or files


def _copy_files(src: Path, dst: Path, *, skip: Path | None = None) -> tuple[int, int]:
    """Copy every file under ``src`` to the same path under ``dst``; return ``(files, bytes)``.

    ``skip`` (the store's lock file) is left out. A file that goes away
    while the copy runs is one no snapshot of the dumped catalog references
    (an import's aborted write), so it is left out too.
    """
    count = size = 0
    for root, _dirs, names in os.walk(src):
        for name in names:
            path = Path(root) / name
            if path == skip:
                continue
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(path, target)
            except FileNotFoundError:
                continue
            count += 1
            size += target.stat().st_size
    return count, size


def _pg_url(where: lake.Location) -> str:
    """Return the PostgreSQL URL of a shared store's catalog (with its password, if any)."""
    return where.catalog.split(":", 1)[1]


@contextlib.contextmanager
def _one_line(what: str) -> Iterator[None]:
    """Turn a file system or SQLite error in the body into a one-line :class:`BackupError`."""
    try:
        yield
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise BackupError(f"{what}: {exc.strerror or exc}{where}") from exc
    except sqlite3.Error as exc:
        raise BackupError(f"{what}: {exc}") from exc


def _dump_catalog(where: lake.Location, target: Path) -> int:
    """Write the catalog's dump to ``target``; return the latest snapshot id the dump holds."""
    if where.catalog_file is not None:
        snapshot = _dump_sqlite(where.catalog_file, target)
    else:
        _pg_tool("pg_dump", ["--format=custom", f"--file={target}"], _pg_url(where))
        snapshot = _dumped_snapshot(target)
    os.chmod(target, 0o600)
    return snapshot


# SQLite's online backup, run in a child process: this process has the
# catalog open through DuckDB's SQLite, and Python's own SQLite closing the same
# file here would drop DuckDB's locks on it (POSIX locks belong to the process).
_SQLITE_BACKUP = """
import contextlib, sqlite3, sys
source, target, mode = sys.argv[1:4]
uri = f"file:{source}?mode=ro" if mode == "restore" else f"file:{source}"
with (
    contextlib.closing(sqlite3.connect(uri, uri=True)) as src,
    contextlib.closing(sqlite3.connect(target)) as dst,
):
    src.backup(dst)
    if mode == "dump":
        dst.execute("pragma journal_mode = delete")
        print(dst.execute("select max(snapshot_id) from ducklake_snapshot").fetchone()[0])
    else:
        dst.execute("pragma journal_mode = wal")
"""


def _sqlite_backup(source: Path, target: Path, mode: str) -> str:
    """Copy one SQLite database onto another in a child process; return what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", _SQLITE_BACKUP, str(source.resolve()), str(target), mode],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise BackupError(f"copying the catalog {source}: {reason}")
    return done.stdout.strip()


def _dump_sqlite(catalog_file: Path, target: Path) -> int:
    """Copy the SQLite catalog to ``target``; return the latest snapshot id the copy holds."""
    # SQLite's online backup copies one consistent state of the file, what its
    # write-ahead log holds included, while the app goes on reading and
    # writing; the copy is one self-contained file, no write-ahead log beside it.
    return int(_sqlite_backup(catalog_file, target, "dump"))


def _restore_sqlite(dump: Path, catalog_file: Path) -> None:
    catalog_file.parent.mkdir(parents=True, exist_ok=True)
    # Through SQLite rather than a file copy: a replaced catalog's write-ahead
    # log is then overwritten too, never replayed over the restored pages.
    # The backup itself is opened read-only: restoring never changes it.
    _sqlite_backup(dump, catalog_file, "restore")
    os.chmod(catalog_file, 0o600)


def _pg_restore(dump: Path, url: str) -> None:
    # One transaction: the catalog is restored whole or left as it was.
    # Objects are owned by the role of the URL, whatever role owned them before.
    _pg_tool(
        "pg_restore",
        ["--single-transaction", "--clean", "--if-exists", "--no-owner", "--no-acl", str(dump)],
        url,
    )


def _dumped_snapshot(dump: Path) -> int:
    """Return the latest snapshot id in a custom-format dump (its ``ducklake_snapshot`` rows)."""
    out = _pg_tool(
        "pg_restore", ["--data-only", "--table=ducklake_snapshot", "--file=-", str(dump)], None
    ).stdout
    rows = _SNAPSHOT_ROWS.search(out)
    ids = [int(line.split("\t", 1)[0]) for line in (rows.group(1) if rows else "").splitlines()]
    if not ids:
        raise BackupError(f"{dump} holds no DuckLake snapshot: the catalog is not a store")
    return max(ids)


def _check_snapshot(where: lake.Location, expected: int) -> None:
    con = lake.open_lake(where, read_only=True)
    try:
        restored = store.data_version(con)
    finally:
        con.close()
    if restored != expected:
        raise BackupError(
            f"the restored store {where.name} is at snapshot {restored}, the backup at {expected}"
        )


def _pg_tool(name: str, args: list[str], url: str | None) -> subprocess.CompletedProcess:
    """Run PostgreSQL's ``name`` on the database at ``url``; return its finished process.

    The password, if the URL holds one, goes to the child in ``PGPASSWORD``;
    ``--no-password`` makes a missing one an error rather than a prompt.
    """
    env = dict(os.environ)
    argv = [_pg_program(name), *args]
    if url is not None:
        bare, password = split_password(url)
        if password is not None:
            env["PGPASSWORD"] = password
        argv += ["--no-password", f"--dbname={bare}"]
    try:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=_PG_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{name} did not finish in {_PG_TIMEOUT_S} s") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.split())[:300] or f"exit status {done.returncode}"
        where = f" on {split_password(url)[0]}" if url else ""
        raise BackupError(f"{name} failed{where}: {reason}")
    return done


def _pg_program(name: str) -> str:
    """Return the path of PostgreSQL's client program ``name``: on PATH, else Debian's newest.

    Raises
    ------
    BackupError
        When it is installed in neither place.
    """
    found = shutil.which(name)
    if found:
        return found
    installed = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)],
    )
    if installed:
        return str(installed[-1])
    raise BackupError(
        f"{name} is not installed: install PostgreSQL's client tools (apt-get install postgresql-client)"
    )


def split_password(url: str) -> tuple[str, str | None]:
    """Return ``url`` without its password, and the password (None when it holds none).

    The password may sit in the user part (``user:secret@host``) or in the
    query (``?password=secret``).
    """
    parts = urlsplit(url)
    password = None if parts.password is None else unquote(parts.password)
    netloc = parts.netloc
    if password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}@{hostinfo}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k != "password"]
    if len(kept) != len(query):
        password = next(v for k, v in query if k == "password")
    bare = urlunsplit(parts._replace(netloc=netloc, query=urlencode(kept)))
    return bare, password
