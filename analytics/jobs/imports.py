"""Import jobs: the exports a drop folder receives or a URL serves, imported on schedule.

A drop folder's file is imported once complete (unchanged in size and time since
the previous run, or just renamed from ``<name>.part``), then moves to ``done/``
beside its report, or, refused, to ``failed/`` beside its one-line reason. The
importer writes all or nothing, and streams the file, of any size unless the job
sets ``max_mb``. A URL's export is downloaded to a size-limited temporary file,
retried with backoff, then imported the same way, reusing the preset and column
mapping of the source's latest import (a mapping made on the Data page applies).
"""

from __future__ import annotations

import base64
import http
import http.client
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import duckdb

from analytics import access, ingest, store
from analytics.jobs.config import Job
from analytics.jobs.context import RunContext
from analytics.jobs.runs import Outcome

READ_TIMEOUT_S = 30.0  # seconds a connection or any single read may take
# Attempts per run for a download that failed in a way that may pass (5xx, timeout,
# refused connection); the waits between them are BACKOFF_S, then twice that.
ATTEMPTS = 3
BACKOFF_S = 1.0
CHUNK_BYTES = 64 * 1024
# What a report beside an imported file keeps: counts and how the file was read,
# never a row (the rejects' reasons quote values, the preview holds tickets).
REPORT_KEYS = (
    "source", "file_name", "sha256", "preset", "mapping", "tz", "date_formats", "rows_read",
    "tickets", "rows_inserted", "rows_updated", "rows_unchanged", "rows_rejected",
    "rows_flagged", "flags", "import_id", "started_at", "finished_at", "outcome", "notes",
)  # fmt: skip
# HTTP answers worth asking again within the run: the server may recover.
RETRY_STATUSES = (408, 425, 429, 500, 502, 503, 504)


class DownloadFailed(Exception):
    """The export could not be downloaded; the message names the host, never the URL."""


class _Transient(DownloadFailed):
    """A failure another attempt may not meet (server error, timeout, connection)."""


@dataclass(frozen=True)
class _FileResult:
    """What became of one export: its ``report`` when imported, else the one-line ``reason``."""

    file_name: str
    report: ingest.ImportReport | None = None
    reason: str | None = None


class _Blocked(Exception):
    """The import cannot run now for a reason that is not the file's (busy store, no right)."""


def run_import_job(con: duckdb.DuckDBPyConnection, job: Job, ctx: RunContext) -> Outcome:
    """Return the outcome of one run of an import job: its drop folder's or its URL's export.

    Never raises for an expected failure (unreadable file, HTTP error, busy
    store): the outcome is ``"failed"`` with a one-line reason.
    """
    if job.folder is not None:
        return import_from_folder(con, job, ctx)
    if job.url:
        return import_from_url(con, job, ctx)
    return Outcome("failed", f"import job {job.name} names neither a folder nor a url")


def import_from_folder(con: duckdb.DuckDBPyConnection, job: Job, ctx: RunContext) -> Outcome:
    """Return the outcome of importing every complete file in ``job.folder``, oldest first.

    ``"nothing to do"`` when no file is complete yet; ``"failed"`` when any
    file was refused (it is then in ``failed/``) or the store was busy (the
    file stays for the next run).
    """
    folder = Path(job.folder)
    if job.preset not in ingest.ALL_PRESETS:
        return Outcome("failed", f"unknown preset {job.preset!r}; no file was touched")
    try:
        files, parts = _observe(folder)
    except OSError as exc:
        return Outcome("failed", f"cannot read the drop folder {folder}: {exc.strerror or exc}")
    polls = ctx.state_dir / "polls" / f"{job.name}.json"
    ready = _complete(files, parts, _previous_poll(polls, folder))
    try:
        _save_poll(polls, folder, files, parts)
    except OSError as exc:
        return Outcome("failed", f"cannot record the poll in {polls.parent}: {exc.strerror or exc}")
    waiting = _waiting(len(files) - len(ready) + len(parts))
    if not ready:
        return Outcome("nothing to do", f"no complete file in {folder}{waiting}")
    results: list[_FileResult] = []
    for name in ready:
        try:
            result = _import_path(con, folder / name, name, job, ctx, job.max_mb)
        except _Blocked as exc:
            left = len(ready) - len(results)
            return _blocked(results, f"{exc}; {left} file(s) left in the folder for the next run")
        results.append(_file_away(folder, folder / name, result, job, ctx))
    outcome = _summary(results)
    return Outcome(outcome.outcome, outcome.message + waiting)


def import_from_url(
    con: duckdb.DuckDBPyConnection,
    job: Job,
    ctx: RunContext,
    *,
    timeout_s: float = READ_TIMEOUT_S,
    attempts: int = ATTEMPTS,
    backoff_s: float = BACKOFF_S,
) -> Outcome:
    """Return the outcome of downloading ``job.url``'s export and importing it.

    ``timeout_s`` bounds the connection and each read; a failure that may pass
    is tried ``attempts`` times, waiting ``backoff_s``, then twice as long,
    and so on. The download is limited to ``job.max_mb`` (else the settings'
    upload limit) and removed once imported.
    """
    if job.preset not in ingest.ALL_PRESETS:
        return Outcome("failed", f"unknown preset {job.preset!r}")
    folder = ctx.state_dir / "downloads"
    max_bytes = _download_limit_mb(job, ctx) * 1024**2
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path, file_name = _download(
            job.url, folder, max_bytes, timeout_s=timeout_s, attempts=attempts, backoff_s=backoff_s
        )
    except DownloadFailed as exc:
        return Outcome("failed", str(exc))
    except OSError as exc:
        return Outcome("failed", f"cannot write the download in {folder}: {exc.strerror or exc}")
    try:
        result = _import_path(con, path, file_name, job, ctx, _download_limit_mb(job, ctx))
    except _Blocked as exc:
        return Outcome("failed", str(exc))
    finally:
        path.unlink(missing_ok=True)
    return _summary([result])


def saved_choices(con: duckdb.DuckDBPyConnection, source: str, preset: str) -> dict:
    """Return the :func:`analytics.ingest.import_file` keywords a job importing ``preset`` into ``source`` uses.

    They are the preset and mapping of the source's latest import, with its
    numeric date order and event-log activities, when that import used
    ``preset`` or the job names only ``generic`` (whose files need a
    mapping, and the saved one came with its own preset). Otherwise just
    ``{"preset": preset}``. Encoding and delimiter are left to detection:
    what was recorded is what detection found in the earlier file.
    """
    cur = store.cursor(con)
    try:
        row = cur.execute(
            store.load_sql("jobs_import_saved_mapping"), {"source": source}
        ).fetchone()
    finally:
        cur.close()
    saved = ingest.ALL_PRESETS.get(row[0]) if row else None
    if saved is None or preset not in ("generic", saved.name):
        return {"preset": preset}
    options = json.loads(row[2])
    choices = {"preset": saved.name, "mapping": _overrides(saved, json.loads(row[1]))}
    choices["date_order"] = options.get("date_order")
    # A preset's own activity rules may be "all but these": recorded as a plain
    # list they would read as "only these", so only a person's list is reused.
    if saved.first_response is None and options.get("first_response_activities"):
        choices["first_response_activities"] = options["first_response_activities"]
    if saved.resolved is None and options.get("resolved_activities"):
        choices["resolved_activities"] = options["resolved_activities"]
    return choices


def _overrides(preset: ingest.Preset, mapping: dict[str, str]) -> dict[str, str] | None:
    """Return the entries of a recorded ``mapping`` a person chose over what ``preset`` picks itself.

    The record holds every mapped column; passing the preset's own choices
    back would make its optional columns required in every later export.
    """
    columns = list(dict.fromkeys(mapping.values()))
    try:
        own = {f: columns[i] for f, i in ingest.resolve_mapping(preset, columns).items()}
    except ingest.MappingError:  # the preset alone maps too little (generic): keep it all
        return mapping or None
    return {f: c for f, c in mapping.items() if own.get(f) != c} or None


def _download(
    url: str,
    folder: Path,
    max_bytes: int,
    *,
    timeout_s: float = READ_TIMEOUT_S,
    attempts: int = ATTEMPTS,
    backoff_s: float = BACKOFF_S,
) -> tuple[Path, str]:
    """Return the path of a new file in ``folder`` holding ``url``'s body, and the export's name.

    The name comes from Content-Disposition, else the URL's path, made safe.
    A user and password in the URL are sent as Basic authorisation (and not
    to another host a redirect leads to).

    Raises
    ------
    DownloadFailed
        After ``attempts`` tries for errors that may pass, at once for the
        others (4xx, a body over ``max_bytes``); the message names the host
        and the status, never the path, query or credentials.
    """
    try:
        request, host = _request(url)
    except ValueError:
        raise DownloadFailed("the job's url is not a valid http(s) address") from None
    fd, name = tempfile.mkstemp(dir=folder, prefix="download-", suffix=".part")
    os.close(fd)
    target = Path(name)
    try:
        for attempt in range(1, attempts + 1):
            try:
                return target, _fetch(request, host, target, max_bytes, timeout_s)
            except _Transient as exc:
                if attempt == attempts:
                    raise DownloadFailed(f"{exc} ({attempts} attempts)") from None
                time.sleep(backoff_s * 2 ** (attempt - 1))
        raise DownloadFailed(f"{host}: no attempt made")
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _request(url: str) -> tuple[urllib.request.Request, str]:
    """Return the request for ``url`` without its credentials, and the host:port to name in messages."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) url")
    parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    host = parts.netloc.rpartition("@")[2]
    request = urllib.request.Request(
        urlunsplit(parts._replace(netloc=host)), headers={"User-Agent": "backlog-radar"}
    )
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        token = base64.b64encode(pair.encode()).decode("ascii")
        request.add_unredirected_header("Authorization", f"Basic {token}")
    return request, host


def _fetch(
    request: urllib.request.Request, host: str, target: Path, max_bytes: int, timeout_s: float
) -> str:
    """Write the body of one attempt at ``request`` to ``target``; return the export's name."""
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (scheme checked)
            _refuse_announced(response, host, max_bytes)
            _save_capped(response, target, host, max_bytes)
            return _file_name(response.headers.get_filename(), urlsplit(request.full_url).path)
    except urllib.error.HTTPError as exc:
        exc.close()
        text = f"{host} answered HTTP {exc.code}{_phrase(exc.code)}"
        raise (_Transient if exc.code in RETRY_STATUSES else DownloadFailed)(text) from None
    except TimeoutError:
        raise _Transient(f"{host} did not answer within {timeout_s:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _Transient(f"{host} did not answer within {timeout_s:g} s") from None
        why = getattr(exc.reason, "strerror", None) or type(exc.reason).__name__
        raise _Transient(f"{host}: cannot connect ({why})") from None
    except (http.client.HTTPException, OSError) as exc:
        why = getattr(exc, "strerror", None) or type(exc).__name__
        raise _Transient(f"{host}: the connection failed ({why})") from None


def _refuse_announced(response, host: str, max_bytes: int) -> None:
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise DownloadFailed(
            f"{host}: the export is {int(length) / 1024**2:,.0f} MB, "
            f"over the {max_bytes / 1024**2:,.0f} MB limit"
        )


def _save_capped(response, target: Path, host: str, max_bytes: int) -> None:
    """Copy the body to ``target`` chunk by chunk, stopping as soon as it passes ``max_bytes``."""
    written = 0
    with target.open("wb") as out:
        while chunk := response.read(CHUNK_BYTES):
            written += len(chunk)
            if written > max_bytes:
                raise DownloadFailed(
                    f"{host}: the export is over the {max_bytes / 1024**2:,.0f} MB limit; "
                    "the download was stopped"
                )
            out.write(chunk)


def _phrase(status: int) -> str:
    # The standard phrase, not the server's: its text is not ours to repeat.
    try:
        return f" ({http.HTTPStatus(status).phrase})"
    except ValueError:
        return ""


def _file_name(disposition: str | None, url_path: str) -> str:
    """Return the export's name: the Content-Disposition one, else the URL path's last part, made safe."""
    raw = disposition or unquote(url_path).rpartition("/")[2]
    name = raw.replace("\\", "/").rpartition("/")[2]
    name = re.sub(r"[^\w.\- ]+", "_", name).strip(" .")[:120]
    return name or "export"


def _import_path(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file_name: str,
    job: Job,
    ctx: RunContext,
    max_mb: int | None,
) -> _FileResult:
    """Return what importing ``path`` (at most ``max_mb`` megabytes, None: any size) into the
    job's source gave; raises _Blocked when it cannot run now."""
    try:
        report = ingest.import_file(
            con,
            path,
            source=job.source,
            file_name=file_name,
            actor=ctx.actor,
            settings=ctx.settings,
            max_mb=max_mb,
            **saved_choices(con, job.source, job.preset),
        )
    except ingest.ImportFailed as exc:
        if isinstance(exc.__cause__, store.StoreBusyError):
            raise _Blocked(_one_line(str(exc))) from exc
        return _FileResult(file_name, reason=_one_line(str(exc)))
    except access.PermissionDenied as exc:
        raise _Blocked(f"{ctx.actor.name} may not import: {_one_line(str(exc))}") from exc
    except OSError as exc:
        return _FileResult(file_name, reason=f"{file_name}: {exc.strerror or type(exc).__name__}")
    return _FileResult(file_name, report=report)


def _download_limit_mb(job: Job, ctx: RunContext) -> int:
    # Unlike a dropped file, a download has a limit by default: the server decides its size.
    return job.max_mb or ctx.settings.max_upload_mb


def _file_away(
    folder: Path, path: Path, result: _FileResult, job: Job, ctx: RunContext
) -> _FileResult:
    """Move an imported file to done/ beside its report, a refused one to failed/ beside its reason."""
    if result.report is not None:
        where, extra = folder / "done", ".report.json"
        data = {k: getattr(result.report, k) for k in REPORT_KEYS}
        text = json.dumps({"job": job.name, "run_id": ctx.run_id, **data}, indent=2, default=str)
    else:
        where, extra, text = folder / "failed", ".reason.txt", result.reason
    try:
        where.mkdir(exist_ok=True)
        target = _free_name(where, path.name, extra, ctx)
        target.with_name(target.name + extra).write_text(text + "\n", encoding="utf-8")
        path.rename(target)
    except OSError as exc:
        why = f"could not move it to {where.name}/: {exc.strerror or exc}"
        if result.report is None:
            return replace(result, reason=f"{result.reason}; {why}")
        return _FileResult(result.file_name, reason=f"{result.file_name} was imported but {why}")
    return result


def _free_name(folder: Path, name: str, extra: str, ctx: RunContext) -> Path:
    """Return ``folder/name``, or with the run's time in it when that or its companion exists."""

    def taken(path: Path) -> bool:
        return path.exists() or path.with_name(path.name + extra).exists()

    if not taken(folder / name):
        return folder / name
    stem, dot, rest = name.partition(".")
    stamp = ctx.now.strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 10_000):
        candidate = folder / f"{stem}-{stamp}{'' if n == 1 else f'-{n}'}{dot}{rest}"
        if not taken(candidate):
            return candidate
    raise FileExistsError(f"{folder / name}: every timestamped name is taken")


def _observe(folder: Path) -> tuple[dict[str, list[int]], list[str]]:
    """Return the folder's candidate files (name -> [size, mtime in ns]) and its ``.part`` files.

    Dotfiles and folders (``done/``, ``failed/``) are not candidates; nor are
    links, which could reach files outside the folder.
    """
    files: dict[str, list[int]] = {}
    parts: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                continue
            if entry.name.endswith(".part"):
                parts.append(entry.name)
                continue
            stat = entry.stat(follow_symlinks=False)
            files[entry.name] = [stat.st_size, stat.st_mtime_ns]
    return files, sorted(parts)


def _complete(files: dict[str, list[int]], parts: list[str], before: dict) -> list[str]:
    """Return the complete files, oldest first: unchanged since ``before``, or renamed from .part since."""
    seen, seen_parts = before.get("files", {}), set(before.get("parts", []))
    ready = [
        name
        for name, observed in files.items()
        if seen.get(name) == observed
        or (f"{name}.part" in seen_parts and f"{name}.part" not in parts)
    ]
    return sorted(ready, key=lambda name: (files[name][1], name))


def _previous_poll(polls: Path, folder: Path) -> dict:
    """Return the previous run's observations of ``folder``; empty when none (or of another folder)."""
    try:
        before = json.loads(polls.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(before, dict) or before.get("folder") != str(folder):
        return {}
    files, parts = before.get("files"), before.get("parts")
    return (
        {"files": files, "parts": parts}
        if isinstance(files, dict) and isinstance(parts, list)
        else {}
    )


def _save_poll(polls: Path, folder: Path, files: dict, parts: list[str]) -> None:
    """Write this run's observations atomically: a crash leaves the previous ones whole."""
    polls.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = json.dumps({"folder": str(folder), "files": files, "parts": parts})
    fd, name = tempfile.mkstemp(dir=polls.parent, prefix=f".{polls.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(name, polls)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _waiting(count: int) -> str:
    return f"; {count} file(s) still being written" if count else ""


def _done_text(report: ingest.ImportReport) -> str:
    counts = f"{report.rows_inserted:,} new, {report.rows_updated:,} updated"
    if report.rows_rejected:
        counts += f", {report.rows_rejected:,} rows rejected"
    return f"{report.file_name}: {report.tickets:,} tickets ({counts})"


def _summary(results: list[_FileResult]) -> Outcome:
    """Return the run's outcome: ok when every file imported, else failed, counting both."""
    imported = [_done_text(r.report) for r in results if r.report is not None]
    refused = [r.reason for r in results if r.report is None]
    if not refused:
        if len(imported) == 1:
            return Outcome("ok", f"imported {imported[0]}")
        return Outcome("ok", f"imported {len(imported)} files: " + "; ".join(imported))
    text = f"{len(refused)} of {len(results)} file(s) failed: " + "; ".join(refused)
    if imported:
        text += "; imported " + "; ".join(imported)
    return Outcome("failed", text)


def _blocked(results: list[_FileResult], why: str) -> Outcome:
    if not results:
        return Outcome("failed", why)
    return Outcome("failed", f"{why}; before that: {_summary(results).message}")


def _one_line(text: str) -> str:
    return " ".join(text.split())
