"""The scheduled jobs and the mail server, as the settings file declares them.

``[smtp]`` names the mail server; ``[[schedule.import]]``,
``[[schedule.report]]`` and ``[[schedule.alert]]`` declare the jobs (see
docs/deploy.md). The file is the one named by ``--config``, else
``BACKLOG_RADAR_CONFIG``, else the settings file. The mail server's user and
password never live in it: they come from the environment
(``BACKLOG_RADAR_SMTP_USER``, ``BACKLOG_RADAR_SMTP_PASSWORD``) or from
``.streamlit/secrets.toml`` (``[smtp] user``, ``password``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from analytics.settings import DEFAULT_SETTINGS_FILE, PROJECT_ROOT, SettingsError

KINDS = ("import", "report", "alert")
ALERTS = ("surge", "sla-risk", "backlog-growth")
SECURITY = ("none", "starttls", "ssl")
LANGS = ("en", "fr")
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ADDRESS = re.compile(r"^[^@\s<>\",;]+@[^@\s<>\",;]+$")
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"


class JobsConfigError(SettingsError):
    """The jobs' settings are invalid; the message names the job and the key."""


@dataclass(frozen=True)
class Smtp:
    """The mail server the report and alert jobs send through."""

    host: str = "localhost"
    port: int = 25
    sender: str = "radar@localhost"
    security: str = "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0


@dataclass(frozen=True)
class Recipient:
    """One address and the language its messages are written in."""

    address: str
    lang: str = "en"


@dataclass(frozen=True)
class Job:
    """One scheduled job.

    Every job has a ``name``, a ``kind`` (import, report, alert), a ``cron``
    expression read in the time zone ``tz``, and the ``source`` it concerns
    (None: the store's only or first source). Import jobs read a ``folder``
    or a ``url`` with a ``preset``; report jobs write in ``lang`` for
    ``region`` to ``to``; alert jobs watch for ``alert`` (surge, sla-risk,
    backlog-growth) and tell ``to`` and ``webhook``.
    """

    name: str
    kind: str
    cron: str
    tz: str = "UTC"
    source: str | None = None
    folder: Path | None = None
    url: str | None = field(default=None, repr=False)
    preset: str = "generic"
    max_mb: int | None = None
    lang: str = "en"
    region: str = "all"
    to: tuple[Recipient, ...] = ()
    alert: str | None = None
    webhook: str | None = field(default=None, repr=False)
    within_hours: float = 4.0
    growth_pct: float = 20.0
    over_days: int = 7
    ticket_url: str | None = None

    def next_after(self, instant: datetime) -> datetime:
        """Return the first time after ``instant`` the job is due, in UTC."""
        local = instant.astimezone(ZoneInfo(self.tz))
        return croniter(self.cron, local).get_next(datetime).astimezone(UTC)

    def repeats(self, slot: datetime, previous: datetime | None) -> bool:
        """Return True when ``slot`` shows the same local time as ``previous``.

        That happens once a year, when the clocks go back: a job due at 02:30
        daily would otherwise run at both 02:30s of that night.
        """
        if previous is None:
            return False
        zone = ZoneInfo(self.tz)
        return slot.astimezone(zone).replace(tzinfo=None) == previous.astimezone(zone).replace(
            tzinfo=None
        )

    def latest_slot(self, now: datetime) -> datetime:
        """Return the last time at or before ``now`` the job was due, in UTC."""
        local = now.astimezone(ZoneInfo(self.tz))
        if croniter.match(self.cron, local.replace(second=0, microsecond=0)):
            return local.replace(second=0, microsecond=0).astimezone(UTC)
        return croniter(self.cron, local).get_prev(datetime).astimezone(UTC)


@dataclass(frozen=True)
class JobsConfig:
    """The jobs of one settings file, and its mail server (None: no ``[smtp]``)."""

    path: Path
    smtp: Smtp | None = None
    jobs: tuple[Job, ...] = ()

    def job(self, name: str) -> Job:
        """Return the job called ``name``; raises JobsConfigError when there is none."""
        for job in self.jobs:
            if job.name == name:
                return job
        known = ", ".join(j.name for j in self.jobs) or "none"
        raise JobsConfigError(f"no job named {name!r} in {self.path} (jobs: {known})")


def config_path(explicit: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """Return the settings file the jobs are read from: ``explicit``, else the environment's."""
    env = os.environ if env is None else env
    chosen = (
        explicit
        or env.get("BACKLOG_RADAR_CONFIG")
        or env.get("BACKLOG_RADAR_SETTINGS")
        or DEFAULT_SETTINGS_FILE
    )
    return Path(chosen)


def load_jobs(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    secrets_file: Path = SECRETS_FILE,
) -> JobsConfig:
    """Return the jobs and mail server declared in the settings file (see :func:`config_path`).

    A missing file declares no jobs. Raises JobsConfigError naming the job
    and key of the first invalid value.
    """
    env = os.environ if env is None else env
    where = config_path(path, env)
    if not where.exists():
        if path is not None or env.get("BACKLOG_RADAR_CONFIG"):
            raise JobsConfigError(f"{where}: no such settings file")
        return JobsConfig(where)
    try:
        data = tomllib.loads(where.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise JobsConfigError(f"{where}: {exc}") from exc
    return parse_jobs(data, where, env, secrets_file)


def parse_jobs(
    data: Mapping, where: Path, env: Mapping[str, str], secrets_file: Path = SECRETS_FILE
) -> JobsConfig:
    """Return the JobsConfig of a parsed settings file ``data`` read from ``where``."""
    schedule = data.get("schedule", {})
    if not isinstance(schedule, Mapping):
        raise JobsConfigError("schedule: expected tables [[schedule.import]], ...")
    unknown = sorted(set(schedule) - set(KINDS))
    if unknown:
        raise JobsConfigError(
            f"schedule.{unknown[0]}: unknown kind of job (known: {', '.join(KINDS)})"
        )
    jobs = []
    for kind in KINDS:
        specs = schedule.get(kind, [])
        if not isinstance(specs, list):
            raise JobsConfigError(f"schedule.{kind}: expected [[schedule.{kind}]] tables")
        jobs += [parse_job(kind, i, spec) for i, spec in enumerate(specs)]
    names = [job.name for job in jobs]
    if twice := sorted({n for n in names if names.count(n) > 1}):
        raise JobsConfigError(f"schedule: two jobs are named {twice[0]!r}")
    smtp = _smtp(data["smtp"], env, secrets_file) if "smtp" in data else None
    return JobsConfig(where, smtp, tuple(jobs))


def parse_job(kind: str, index: int, spec: Mapping) -> Job:
    """Return the job of ``[[schedule.<kind>]]`` number ``index``; raises JobsConfigError."""
    label = f"schedule.{kind}[{index}]"
    name = str(spec.get("name", ""))
    if not JOB_NAME.match(name):
        raise JobsConfigError(f"{label}: name must be 1-64 letters, digits, '.', '_' or '-'")
    label = f"{label} ({name})"

    def fail(key: str, why: str) -> JobsConfigError:
        return JobsConfigError(f"{label}: {key} {why}")

    allowed = set(_FIELDS[kind]) | {"name", "cron", "tz", "source"}
    if extra := sorted(set(spec) - allowed):
        raise fail(extra[0], f"is not a setting of {kind} jobs")
    cron = str(spec.get("cron", ""))
    if not croniter.is_valid(cron) or len(cron.split()) != 5:
        raise fail("cron", f"{cron!r} is not a five-field cron expression")
    tz = str(spec.get("tz", "UTC"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail("tz", f"{tz!r} is not a time zone") from None
    values = {"name": name, "kind": kind, "cron": cron, "tz": tz, "source": spec.get("source")}
    values |= _KIND_PARSERS[kind](spec, fail)
    return Job(**values)


def _import_fields(spec: Mapping, fail) -> dict:
    folder, url = spec.get("folder"), spec.get("url")
    if (folder is None) == (url is None):
        raise fail("folder", "or url: give exactly one")
    if url is not None and not str(url).startswith(("http://", "https://")):
        raise fail("url", "must start with http:// or https://")
    if not spec.get("source"):
        raise fail("source", "is required: the source the files are imported into")
    max_mb = spec.get("max_mb")
    if max_mb is not None and (not isinstance(max_mb, int) or max_mb <= 0):
        raise fail("max_mb", "must be a positive whole number of megabytes")
    return {
        "folder": Path(folder) if folder is not None else None,
        "url": str(url) if url is not None else None,
        "preset": str(spec.get("preset", "generic")),
        "max_mb": max_mb,
    }


def _report_fields(spec: Mapping, fail) -> dict:
    lang = _lang(spec.get("lang", "en"), fail)
    return {
        "lang": lang,
        "region": str(spec.get("region", "all")),
        "to": _recipients(spec.get("to", []), lang, fail, required=True),
    }


def _alert_fields(spec: Mapping, fail) -> dict:
    alert = spec.get("kind")
    if alert not in ALERTS:
        raise fail("kind", f"must be one of {', '.join(ALERTS)}")
    lang = _lang(spec.get("lang", "en"), fail)
    to = _recipients(spec.get("to", []), lang, fail, required=False)
    webhook = spec.get("webhook")
    if webhook is not None and not str(webhook).startswith(("http://", "https://")):
        raise fail("webhook", "must start with http:// or https://")
    if not to and webhook is None:
        raise fail("to", "or webhook: an alert needs somewhere to go")
    ticket_url = spec.get("ticket_url")
    if ticket_url is not None and "{ticket_id}" not in str(ticket_url):
        raise fail("ticket_url", "must hold {ticket_id}")
    numbers = {}
    for key, default in (("within_hours", 4.0), ("growth_pct", 20.0), ("over_days", 7)):
        value = spec.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise fail(key, "must be a positive number")
        numbers[key] = int(value) if key == "over_days" else float(value)
    return {
        "alert": alert,
        "lang": lang,
        "to": to,
        "webhook": str(webhook) if webhook is not None else None,
        "ticket_url": str(ticket_url) if ticket_url is not None else None,
        "region": str(spec.get("region", "all")),
        **numbers,
    }


_KIND_PARSERS = {"import": _import_fields, "report": _report_fields, "alert": _alert_fields}
_FIELDS = {
    "import": ("folder", "url", "preset", "max_mb"),
    "report": ("lang", "region", "to"),
    "alert": (
        "kind", "lang", "to", "webhook", "ticket_url", "region",
        "within_hours", "growth_pct", "over_days",
    ),
}  # fmt: skip


def _lang(value, fail) -> str:
    if value not in LANGS:
        raise fail("lang", f"must be one of {', '.join(LANGS)}")
    return value


def _recipients(values, lang: str, fail, *, required: bool) -> tuple[Recipient, ...]:
    """Return ``to`` as recipients: each an address, or a table {address, lang}."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or (required and not values):
        raise fail("to", "must list at least one address")
    out = []
    for value in values:
        address, own = (
            (value.get("address"), value.get("lang", lang))
            if isinstance(value, Mapping)
            else (value, lang)
        )
        if not isinstance(address, str) or not ADDRESS.match(address):
            raise fail("to", f"holds {str(address)[:80]!r}, which is not an e-mail address")
        out.append(Recipient(address, _lang(own, fail)))
    return tuple(out)


def _smtp(spec: Mapping, env: Mapping[str, str], secrets_file: Path) -> Smtp:
    security = spec.get("security", "none")
    if security not in SECURITY:
        raise JobsConfigError(f"smtp: security must be one of {', '.join(SECURITY)}")
    for key in ("user", "password"):
        if key in spec:
            raise JobsConfigError(
                f"smtp: {key} does not belong in the settings file; set "
                f"BACKLOG_RADAR_SMTP_{key.upper()} or [smtp] {key} in .streamlit/secrets.toml"
            )
    port = spec.get("port", 465 if security == "ssl" else 25)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise JobsConfigError("smtp: port must be a whole number from 1 to 65535")
    sender = str(spec.get("sender", "radar@localhost"))
    if not ADDRESS.match(sender):
        raise JobsConfigError("smtp: sender is not an e-mail address")
    secrets = _secrets(secrets_file).get("smtp", {})
    return Smtp(
        host=str(spec.get("host", "localhost")),
        port=port,
        sender=sender,
        security=security,
        user=env.get("BACKLOG_RADAR_SMTP_USER") or secrets.get("user"),
        password=env.get("BACKLOG_RADAR_SMTP_PASSWORD") or secrets.get("password"),
        timeout_s=float(spec.get("timeout_s", 30.0)),
    )


def _secrets(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
