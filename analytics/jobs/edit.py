"""Adding, changing and removing scheduled jobs in the settings file (admins; audited).

The settings file is edited as a person would edit it: its comments, its
layout and its other sections stay as they are, and only the job concerned
changes. The whole resulting file is checked as the worker will read it
before anything is written, and it replaces the old one in one rename, so
the worker never reads half a file or an invalid one.
"""

from __future__ import annotations

import os
import tempfile
import threading
import tomllib
from collections.abc import Mapping
from pathlib import Path

import duckdb
import tomlkit
from tomlkit.items import AoT, Table

from analytics import access, db
from analytics.jobs.config import KINDS, Job, JobsConfigError, parse_jobs

# The order a job's settings are written in, as docs/deploy.md shows them.
KEY_ORDER = (
    "name", "kind", "cron", "tz", "source", "folder", "url", "preset", "max_mb",
    "lang", "region", "to", "webhook", "ticket_url", "within_hours", "growth_pct", "over_days",
)  # fmt: skip
# What a job's setting means when the file leaves it out (see analytics.jobs.config.Job).
DEFAULTS = {"tz": "UTC", "preset": "generic", "lang": "en", "region": "all",
            "within_hours": 4.0, "growth_pct": 20.0, "over_days": 7}  # fmt: skip
# Written only by an edit that creates the file; an existing file keeps its mode.
NEW_FILE_MODE = 0o600

_file_lock = threading.Lock()


def spec_of(job: Job) -> dict:
    """Return ``job`` as the settings of its ``[[schedule.<kind>]]`` table.

    Settings left at their default are omitted; a recipient whose language
    is not the job's is a ``{address, lang}`` table. ``save_job(...,
    spec_of(job), replace=job.name)`` leaves the file's meaning unchanged.
    """
    spec = {"name": job.name, "cron": job.cron, "tz": job.tz, "source": job.source}
    if job.kind == "import":
        spec |= {"folder": None if job.folder is None else str(job.folder), "url": job.url,
                 "preset": job.preset, "max_mb": job.max_mb}  # fmt: skip
        return _without_defaults(_set(spec))
    spec |= {"lang": job.lang, "region": job.region}
    spec["to"] = [r.address if r.lang == job.lang else {"address": r.address, "lang": r.lang}
                  for r in job.to]  # fmt: skip
    if job.kind == "alert":
        spec |= {"kind": job.alert, "webhook": job.webhook, "ticket_url": job.ticket_url,
                 "within_hours": job.within_hours, "growth_pct": job.growth_pct,
                 "over_days": job.over_days}  # fmt: skip
    return _without_defaults(_set(spec))


def recipients_from_text(text: str) -> list:
    """Return the ``to`` setting typed as text: one recipient a line (or comma-separated).

    A recipient is an address, optionally followed by its language:
    ``"direction@example.org fr"`` gives ``{"address": ..., "lang": "fr"}``.
    """
    out: list = []
    for line in text.replace(",", "\n").splitlines():
        words = line.split()
        if len(words) == 1:
            out.append(words[0])
        elif len(words) == 2:
            out.append({"address": words[0], "lang": words[1]})
        elif words:
            raise JobsConfigError(f"to: {line.strip()[:80]!r} is not an address and a language")
    return out


def save_job(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    spec: Mapping,
    *,
    actor: access.User,
    replace: str | None = None,
) -> None:
    """Add a job of ``kind`` to the settings file at ``path``, or put it in place of ``replace``.

    ``spec`` holds the job's settings as the file names them (``name``,
    ``cron``, ``tz``, ``folder``..., an alert's ``kind``); a value that is
    None, empty text or an empty list is left out. A job put in place of
    another keeps its place in the file and the comments around and inside
    it. Returns None once the file is written and the change recorded in the
    audit log (``edit_jobs``; the job, never an address or a URL).

    Raises
    ------
    access.PermissionDenied
        When ``actor`` may not edit jobs.
    JobsConfigError
        In one line, when the file would be invalid (it is left untouched)
        or there is no job named ``replace``.
    """
    access.require(actor, "edit_jobs")
    if kind not in KINDS:
        raise JobsConfigError(f"unknown kind of job {kind!r} (known: {', '.join(KINDS)})")
    values = _set(spec)
    name = str(values.get("name", ""))
    with _file_lock:
        original, doc = _read(path)
        if replace is None:
            _aot(doc, kind).append(_new_table(values))
        else:
            old_kind, index = _find(doc, replace, path)
            if old_kind == kind:
                _update(_aot(doc, kind)[index], values)
            else:
                _delete(doc, old_kind, index)
                _aot(doc, kind).append(_new_table(values))
        change = "added" if replace is None else "changed"
        detail = {"kind": kind, "change": change, "cron": values.get("cron"),
                  "tz": values.get("tz", "UTC")}  # fmt: skip
        if replace is not None and replace != name:
            detail["renamed_from"] = replace
        _commit(con, path, original, doc, actor, name, detail)


def remove_job(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, *, actor: access.User
) -> None:
    """Remove the job called ``name`` from the settings file at ``path``; return None once done.

    Raises PermissionDenied when ``actor`` may not edit jobs, JobsConfigError
    when there is no such job. Recorded in the audit log like :func:`save_job`.
    """
    access.require(actor, "edit_jobs")
    with _file_lock:
        original, doc = _read(path)
        kind, index = _find(doc, name, path)
        _delete(doc, kind, index)
        _commit(con, path, original, doc, actor, name, {"kind": kind, "change": "removed"})


def _set(spec: Mapping) -> dict:
    """Return the settings of ``spec`` that are set, in KEY_ORDER, text stripped."""
    ordered = sorted(spec, key=lambda k: KEY_ORDER.index(k) if k in KEY_ORDER else len(KEY_ORDER))
    values = {}
    for key in ordered:
        value = spec[key]
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "" or value == []:
            continue
        values[key] = list(value) if isinstance(value, tuple) else value
    return values


def _without_defaults(values: Mapping) -> dict:
    return {k: v for k, v in values.items() if DEFAULTS.get(k, ...) != v}


def _read(path: Path) -> tuple[str | None, tomlkit.TOMLDocument]:
    """Return the file's text (None when there is no file yet) and its editable document."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, tomlkit.document()
    except OSError as exc:
        raise JobsConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return text, tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise JobsConfigError(f"{path}: {exc}") from None


def _aot(doc: tomlkit.TOMLDocument, kind: str) -> AoT:
    """Return the ``[[schedule.<kind>]]`` array of ``doc``, made when missing."""
    if "schedule" not in doc:
        # A super table writes no [schedule] header, only its [[schedule.kind]] tables.
        doc["schedule"] = tomlkit.table(is_super_table=True)
    schedule = doc["schedule"]
    if kind not in schedule:
        schedule[kind] = tomlkit.aot()
    tables = schedule[kind]
    if not isinstance(tables, AoT):
        raise JobsConfigError(f"schedule.{kind} is not written as [[schedule.{kind}]] tables")
    return tables


def _find(doc: tomlkit.TOMLDocument, name: str, path: Path) -> tuple[str, int]:
    """Return the kind and index of the job called ``name``; raise JobsConfigError without one."""
    schedule = doc.get("schedule", {})
    for kind in KINDS:
        for index, table in enumerate(schedule.get(kind, [])):
            if table.get("name") == name:
                return kind, index
    raise JobsConfigError(f"no job named {name!r} in {path}")


def _new_table(values: Mapping) -> Table:
    table = tomlkit.table()
    for key, value in values.items():
        # The time zone is written out even at its default: a reader of the file asks for it.
        if key == "tz" or DEFAULTS.get(key, ...) != value:
            table[key] = value
    table.add(tomlkit.nl())  # a blank line before whatever follows
    return table


def _update(table: Table, values: Mapping) -> None:
    """Give ``table`` the settings ``values``, keeping the lines and comments of those unchanged."""
    body = table.value.body
    # Comments and blank lines after the last setting usually introduce the
    # next table: new settings go above them.
    trailing = []
    while body and body[-1][0] is None:
        trailing.insert(0, body.pop())
    # A setting written out at its default means the same as one left out:
    # either way, the person's line stays or no line is added.
    for key in [k for k in table if k not in values]:
        if _plain(table[key]) != DEFAULTS.get(key, ...):
            del table[key]
    for key, value in values.items():
        if key in table and _plain(table[key]) == value:
            continue
        if key not in table and DEFAULTS.get(key, ...) == value:
            continue
        table[key] = value
    body.extend(trailing)


def _plain(item) -> object:
    return item.unwrap() if hasattr(item, "unwrap") else item


def _delete(doc: tomlkit.TOMLDocument, kind: str, index: int) -> None:
    schedule = doc["schedule"]
    del schedule[kind][index]
    if not schedule[kind]:
        del schedule[kind]
    if not schedule:
        del doc["schedule"]


def _commit(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    original: str | None,
    doc: tomlkit.TOMLDocument,
    actor: access.User,
    name: str,
    detail: Mapping,
) -> None:
    """Check the edited file whole, then write it and record the change as one step."""
    text = tomlkit.dumps(doc)
    try:
        parse_jobs(tomllib.loads(text), path, os.environ)
    except tomllib.TOMLDecodeError as exc:
        raise JobsConfigError(f"{path}: {exc}") from None

    def write() -> None:
        with db.transaction(con) as cur:
            access.record(cur, actor, "edit_jobs", name, detail)
            # Inside the transaction: a file that cannot be written records nothing.
            _replace(path, text)

    try:
        db.retrying(write)
    except BaseException:
        # The audit row did not commit: the file goes back to what it was.
        if _target(path).exists():
            if original is None:
                _target(path).unlink()
            elif _target(path).read_text(encoding="utf-8") != original:
                _replace(path, original)
        raise


def _target(path: Path) -> Path:
    # A settings file linked from elsewhere is edited where it lives; the link stays.
    return path.resolve()


def _replace(path: Path, text: str) -> None:
    """Write ``text`` beside the file and rename it over, keeping the file's mode."""
    target = _target(path)
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
