"""One settings object for the app, the command line and the tests.

Paths and limits come from the environment (``BACKLOG_RADAR_*``); service
targets, business hours and scheduled jobs from a TOML file (``backlog_radar.toml`` at the
project root, or the file named by ``BACKLOG_RADAR_CONFIG``, or by its older
name ``BACKLOG_RADAR_SETTINGS``; the command line's ``--config FILE``). Nothing is
read at import time.
"""

from __future__ import annotations

import os
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "backlog_radar.sqlite"
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "backlog_radar.toml"
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
SAMPLE_SOURCE = "sample"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SettingsError(Exception):
    """The settings file is invalid; the message names the key."""


@dataclass(frozen=True)
class Schedule:
    """A weekly business-hours schedule in one time zone.

    ``week`` holds, for Monday to Sunday, the ``(start_minute, end_minute)``
    intervals of local time; ``holidays`` is a country code whose public
    holidays are not business days.
    """

    name: str
    tz: str
    week: tuple[tuple[tuple[int, int], ...], ...]
    holidays: str | None = None


@dataclass(frozen=True)
class ForecastSettings:
    """Forecast, surge and staffing settings (``[forecast]`` and ``[staffing]`` in the TOML).

    ``region_holidays`` maps a region to the countries whose public holidays
    move its arrivals; other series use ``default_holidays``. Handling time
    is agent minutes per ticket; ``productive_hours`` per agent and day, of
    which ``shrinkage`` (breaks, meetings, leave) is lost. Live channels aim
    at ``service_level`` answered within ``answer_seconds``; callers wait
    ``patience_seconds`` on average before hanging up (Erlang A). A what-if
    run stops after ``whatif_seconds``. ``opening_hours`` maps a series (``total``,
    a region, channel or category) to the business-hours schedule its desk is open;
    the hourly forecast infers the others' from their arrivals. The app fits its
    models in ``workers`` processes of their own (``BACKLOG_RADAR_FORECAST_WORKERS``;
    None: one per core but one, at least one; 0: in the app's own process).
    """

    region_holidays: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    opening_hours: Mapping[str, str] = field(default_factory=dict)
    default_holidays: tuple[str, ...] = ()
    surge_margin: float = 0.2
    handling_minutes: float = 25.0
    live_handling_seconds: float = 600.0
    productive_hours: float = 7.0
    shrinkage: float = 0.3
    service_level: float = 0.8
    answer_seconds: float = 60.0
    patience_seconds: float = 180.0
    live_channels: tuple[str, ...] = ("chat", "voice", "phone")
    whatif_seconds: float = 60.0
    workers: int | None = None


@dataclass(frozen=True)
class AccessSettings:
    """Sign-in settings (``[access]`` in the TOML; see docs/access.md).

    ``roles`` maps an e-mail, ``@domain`` or ``group:NAME`` to a role for
    people signing in through OpenID Connect; ``default_role`` is the role of
    a signed-in person no rule names (None: refused). ``users_file`` holds the
    local users (``BACKLOG_RADAR_USERS``). ``allow_open`` lets the app serve a
    non-loopback address with no sign-in (``BACKLOG_RADAR_ALLOW_OPEN=1``).
    ``secret_file`` holds the key that signs session cookies (created on
    first use beside the users file) unless ``session_secret`` gives it
    (``BACKLOG_RADAR_SESSION_SECRET``, for several servers); ``secure_cookie``
    marks the cookie HTTPS-only (set it when a TLS proxy serves the app).
    """

    users_file: Path = PROJECT_ROOT / "data" / "users.json"
    roles: Mapping[str, str] = field(default_factory=dict)
    default_role: str | None = None
    session_hours: float = 8.0
    max_failures: int = 5
    lockout_minutes: float = 15.0
    allow_open: bool = False
    secret_file: Path = PROJECT_ROOT / "data" / "session.key"
    session_secret: str | None = field(default=None, repr=False)
    secure_cookie: bool = False


PEOPLE_VIEWS = ("names", "pseudonyms", "teams")


@dataclass(frozen=True)
class PeopleSettings:
    """How agents appear in figures, lists, downloads, the command line and reports.

    Attributes
    ----------
    show
        What analysts and admins see (``[people] show``): ``"names"``,
        ``"pseudonyms"`` (a stable keyed hash of each name) or ``"teams"``
        (team figures only, no person at all). In France and the EU works
        councils often object to per-person rankings.
    viewers_show
        The most a viewer sees (``[people] viewers_show``, ``"teams"`` unless an
        admin allows more); never more than ``show``.
    pseudonym_key
        The key of the pseudonyms' hash (``BACKLOG_RADAR_PSEUDONYM_KEY``); None:
        derived from the session secret. Without a key, anyone could hash the
        team's names and undo the pseudonyms.
    ticket_url, ticket_urls
        Template of a link to a ticket in the helpdesk, with ``{ticket_id}``
        (``[tickets] url``), and per-source templates (``[tickets.url_by_source]``).
    """

    show: str = "names"
    viewers_show: str = "teams"
    pseudonym_key: str | None = field(default=None, repr=False)
    ticket_url: str | None = None
    ticket_urls: Mapping[str, str] = field(default_factory=dict)

    def view_for(self, role: str | None) -> str:
        """Return how agents appear to ``role`` (None: no signed-in user, the command line)."""
        if role == "viewer":
            return max(self.show, self.viewers_show, key=PEOPLE_VIEWS.index)
        return self.show

    def url_template(self, source: str) -> str | None:
        """Return the ticket link template for ``source``, or None when none is set."""
        return self.ticket_urls.get(source, self.ticket_url)


DEFAULT_SCHEDULE = Schedule(
    name="default",
    tz="UTC",
    week=tuple(((540, 1080),) if d < 5 else () for d in range(7)),
)


@dataclass(frozen=True)
class Settings:
    """Runtime settings.

    Attributes
    ----------
    db_path
        The embedded store's SQLite catalog file (``BACKLOG_RADAR_DB``); its
        Parquet files sit beside it in ``<file>.files/``.
    catalog
        A PostgreSQL catalog URL (``BACKLOG_RADAR_CATALOG``, ``[store] catalog``):
        a store shared by several hosts. Takes precedence over ``db_path``.
    data_path
        The folder of the store's Parquet files (``BACKLOG_RADAR_DATA_PATH``,
        ``[store] data_path``); required with ``catalog``.
    snapshot_retention_days
        How long ``maintain`` keeps old snapshots, which undo an import
        (``[store] snapshot_retention_days``).
    max_upload_mb
        Largest file an import accepts, in megabytes (``BACKLOG_RADAR_MAX_UPLOAD_MB``).
        The browser upload limit in ``.streamlit/config.toml`` should match it.
    max_unpacked_mb
        Largest size a compressed input may expand to (zip-bomb guard).
    default_tz
        Time zone applied to naive timestamps when neither the preset nor the
        user names one (``BACKLOG_RADAR_TZ``).
    sla_target_hours
        First-response target in hours.
    sla_by_priority
        Targets in hours for some normalised priorities (``urgent``, ``high``...).
    resolution_target_hours, resolution_by_priority
        Resolution targets in hours (``[sla] resolution_hours``,
        ``resolution_by_priority``); None: resolution has no target, and the
        sla-risk alert watches first response only.
    schedules
        Business-hours schedules by name; ``"default"`` serves unlisted teams.
    team_schedules
        Team name -> schedule name.
    forecast
        Forecast, surge and staffing settings.
    access
        Sign-in, roles and local users.
    people
        How agents appear, and links to tickets.
    desk_tz, desk_lang
        The desk's own time zone and language (``[desk] tz``, ``lang``): the
        app shows days and hours in that zone, and speaks that language to a
        browser asking for neither English nor French, until the user chooses.
    """

    db_path: Path = DEFAULT_DB_PATH
    catalog: str | None = None
    data_path: Path | None = None
    snapshot_retention_days: float = 30.0
    max_upload_mb: int = 500
    max_unpacked_mb: int = 2048
    default_tz: str = "UTC"
    sla_target_hours: float = 6.0
    sla_by_priority: Mapping[str, float] = field(default_factory=dict)
    resolution_target_hours: float | None = None
    resolution_by_priority: Mapping[str, float] = field(default_factory=dict)
    schedules: Mapping[str, Schedule] = field(default_factory=lambda: {"default": DEFAULT_SCHEDULE})
    team_schedules: Mapping[str, str] = field(default_factory=dict)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    people: PeopleSettings = field(default_factory=PeopleSettings)
    desk_tz: str | None = None
    desk_lang: str = "en"

    @property
    def display_tz(self) -> str:
        """Return the zone pages show days in by default: the desk's, else its default
        business-hours schedule's, else ``default_tz``."""
        if self.desk_tz:
            return self.desk_tz
        default = self.schedules.get("default")
        return default.tz if default is not None and default.tz != "UTC" else self.default_tz


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Return the settings for this process, read from ``env`` (default ``os.environ``)."""
    env = os.environ if env is None else env
    settings_file = Path(
        env.get("BACKLOG_RADAR_CONFIG")
        or env.get("BACKLOG_RADAR_SETTINGS")
        or str(DEFAULT_SETTINGS_FILE)
    )
    data: dict = {}
    if settings_file.exists():
        try:
            data = tomllib.loads(settings_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{settings_file}: {exc}") from exc
    sla = data.get("sla", {})
    store = data.get("store", {})
    hours = data.get("business_hours", {})
    schedules = {
        name: parse_schedule(name, spec) for name, spec in hours.get("schedules", {}).items()
    }
    schedules.setdefault("default", DEFAULT_SCHEDULE)
    teams = dict(hours.get("teams", {}))
    unknown = sorted(set(teams.values()) - set(schedules))
    if unknown:
        raise SettingsError(f"business_hours.teams names unknown schedules: {', '.join(unknown)}")
    opening = data.get("forecast", {}).get("opening_hours", {})
    unknown = sorted({str(v) for v in opening.values()} - set(schedules))
    if unknown:
        raise SettingsError(f"forecast.opening_hours names unknown schedules: {', '.join(unknown)}")
    return Settings(
        db_path=Path(env.get("BACKLOG_RADAR_DB") or store.get("db") or DEFAULT_DB_PATH),
        catalog=env.get("BACKLOG_RADAR_CATALOG") or store.get("catalog") or None,
        data_path=_optional_path(env.get("BACKLOG_RADAR_DATA_PATH") or store.get("data_path")),
        snapshot_retention_days=float(store.get("snapshot_retention_days", 30.0)),
        max_upload_mb=int(env.get("BACKLOG_RADAR_MAX_UPLOAD_MB", str(Settings.max_upload_mb))),
        max_unpacked_mb=int(
            env.get("BACKLOG_RADAR_MAX_UNPACKED_MB", str(Settings.max_unpacked_mb))
        ),
        default_tz=env.get("BACKLOG_RADAR_TZ", "UTC"),
        sla_target_hours=float(sla.get("target_hours", 6.0)),
        sla_by_priority={k: float(v) for k, v in sla.get("by_priority", {}).items()},
        resolution_target_hours=(
            float(sla["resolution_hours"]) if "resolution_hours" in sla else None
        ),
        resolution_by_priority={
            k: float(v) for k, v in sla.get("resolution_by_priority", {}).items()
        },
        schedules=schedules,
        team_schedules=teams,
        forecast=_forecast_settings(data.get("forecast", {}), data.get("staffing", {}), env),
        access=_access_settings(data.get("access", {}), env),
        people=_people_settings(data.get("people", {}), data.get("tickets", {}), env),
        **_desk_settings(data.get("desk", {})),
    )


def _desk_settings(desk: Mapping) -> dict:
    zone = desk.get("tz")
    if zone is not None:
        try:
            zoneinfo.ZoneInfo(str(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"desk.tz is not a time zone: {zone!r}") from exc
    lang = str(desk.get("lang", "en"))
    if lang not in ("en", "fr"):
        raise SettingsError(f"desk.lang must be en or fr, not {lang!r}")
    return {"desk_tz": str(zone) if zone else None, "desk_lang": lang}


def _people_settings(people: Mapping, tickets: Mapping, env: Mapping[str, str]) -> PeopleSettings:
    views = {
        key: str(people.get(key, default))
        for key, default in (("show", "names"), ("viewers_show", "teams"))
    }
    for key, view in views.items():
        if view not in PEOPLE_VIEWS:
            raise SettingsError(
                f"people.{key} must be one of {', '.join(PEOPLE_VIEWS)}, not {view!r}"
            )
    by_source = {str(k): str(v) for k, v in tickets.get("url_by_source", {}).items()}
    templates = {"tickets.url": tickets.get("url")} | {
        f"tickets.url_by_source.{k}": v for k, v in by_source.items()
    }
    for key, template in templates.items():
        if template is not None and not _is_ticket_url(str(template)):
            raise SettingsError(f"{key} must be an http(s) address containing {{ticket_id}}")
    return PeopleSettings(
        show=views["show"],
        viewers_show=views["viewers_show"],
        pseudonym_key=env.get("BACKLOG_RADAR_PSEUDONYM_KEY") or None,
        ticket_url=str(tickets["url"]) if tickets.get("url") else None,
        ticket_urls=by_source,
    )


def _is_ticket_url(template: str) -> bool:
    return template.startswith(("https://", "http://")) and "{ticket_id}" in template


def _optional_path(value: str | None) -> Path | None:
    # Relative to the project, like users_file: cron and the app agree whatever their directory.
    return PROJECT_ROOT / value if value else None


def _access_settings(access: Mapping, env: Mapping[str, str]) -> AccessSettings:
    roles = {str(k): str(v) for k, v in access.get("roles", {}).items()}
    default_role = access.get("default_role") or None
    for key, role in [*roles.items(), ("default_role", default_role or "viewer")]:
        if role not in ("viewer", "analyst", "admin"):
            raise SettingsError(f"access.roles: {key} has unknown role {role!r}")
    if env.get("BACKLOG_RADAR_USERS"):
        users_file = Path(env["BACKLOG_RADAR_USERS"])
    elif access.get("users_file"):
        users_file = PROJECT_ROOT / access["users_file"]  # relative to the settings' project
    else:
        users_file = AccessSettings.users_file
    return AccessSettings(
        users_file=users_file,
        roles=roles,
        default_role=default_role,
        session_hours=float(access.get("session_hours", 8.0)),
        max_failures=int(access.get("max_failures", 5)),
        lockout_minutes=float(access.get("lockout_minutes", 15.0)),
        allow_open=env.get("BACKLOG_RADAR_ALLOW_OPEN", "") == "1"
        or bool(access.get("allow_open", False)),
        secret_file=users_file.with_name("session.key"),
        session_secret=env.get("BACKLOG_RADAR_SESSION_SECRET") or None,
        secure_cookie=bool(access.get("secure_cookie", False)),
    )


def _forecast_settings(
    forecast: Mapping, staffing: Mapping, env: Mapping[str, str]
) -> ForecastSettings:
    def codes(value) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value)

    defaults = ForecastSettings()
    return ForecastSettings(
        region_holidays={k: codes(v) for k, v in forecast.get("region_holidays", {}).items()},
        default_holidays=codes(forecast.get("default_holidays", ())),
        opening_hours={str(k): str(v) for k, v in forecast.get("opening_hours", {}).items()},
        surge_margin=float(forecast.get("surge_margin", defaults.surge_margin)),
        handling_minutes=float(staffing.get("handling_minutes", defaults.handling_minutes)),
        live_handling_seconds=float(
            staffing.get("live_handling_seconds", defaults.live_handling_seconds)
        ),
        productive_hours=float(staffing.get("productive_hours", defaults.productive_hours)),
        shrinkage=float(staffing.get("shrinkage", defaults.shrinkage)),
        service_level=float(staffing.get("service_level", defaults.service_level)),
        answer_seconds=float(staffing.get("answer_seconds", defaults.answer_seconds)),
        patience_seconds=float(staffing.get("patience_seconds", defaults.patience_seconds)),
        live_channels=codes(staffing.get("live_channels", defaults.live_channels)),
        whatif_seconds=float(staffing.get("whatif_seconds", defaults.whatif_seconds)),
        workers=_workers(env.get("BACKLOG_RADAR_FORECAST_WORKERS", forecast.get("workers"))),
    )


def _workers(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        workers = int(value)
    except ValueError:
        workers = -1
    if workers < 0:
        raise SettingsError(f"forecast.workers must be a whole number >= 0, not {value!r}")
    return workers


def parse_schedule(name: str, spec: Mapping) -> Schedule:
    """Return a :class:`Schedule` from its TOML table (``tz``, ``holidays``, ``mon``...``sun``).

    Raises
    ------
    SettingsError
        For a malformed interval or one that ends before it starts.
    """
    week = []
    for day in WEEKDAYS:
        intervals = []
        for text in spec.get(day, []):
            try:
                start, end = (_minutes(part) for part in text.split("-"))
            except ValueError as exc:
                raise SettingsError(
                    f"business_hours.schedules.{name}.{day}: {text!r} is not HH:MM-HH:MM"
                ) from exc
            if end <= start:
                raise SettingsError(
                    f"business_hours.schedules.{name}.{day}: {text!r} ends before it starts"
                )
            intervals.append((start, end))
        week.append(tuple(sorted(intervals)))
    return Schedule(
        name=name, tz=spec.get("tz", "UTC"), week=tuple(week), holidays=spec.get("holidays")
    )


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value <= 24 * 60:
        raise ValueError(text)
    return value
