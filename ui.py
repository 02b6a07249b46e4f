"""Streamlit glue shared by the pages: the store connection, cached queries, widgets.

The only module besides the pages that imports Streamlit. The connection is a
``cache_resource`` (one per process, never mutated); every query takes its own
cursor, because a DuckDB connection is not thread-safe and each browser
session runs in its own thread. Query results are ``cache_data`` keyed on the
selection and the store's data version, so an import or a delete invalidates
them at once.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import re
import threading
import time
import zoneinfo
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

import web
from analytics import access, charts, coverage, events, exports, metrics, sessions, store
from analytics.settings import SAMPLE_SOURCE, Settings, load_settings

CACHE_TTL = 600
PERIODS = ("Last 7 days", "Last 28 days", "Last 90 days", "This quarter", "All", "Custom")
# Up to this many sources are buttons in the sidebar; more are a dropdown.
MAX_SOURCE_BUTTONS = 6
COMMON_ZONES = (
    "UTC",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Singapore",
)
FILTERS = {
    "region": "Region",
    "team": "Team",
    "channel": "Channel",
    "category": "Category",
    "priority": "Priority",
}


@st.cache_resource
def settings() -> Settings:
    """Return the process-wide settings."""
    return load_settings()


@st.cache_resource
def _connection() -> duckdb.DuckDBPyConnection:
    return store.connect(settings().db_path)


def cursor() -> duckdb.DuckDBPyConnection:
    """Return a fresh cursor on the store (one per query or per import)."""
    cur = _connection().cursor()
    cur.execute("set TimeZone = 'UTC'")
    return cur


def data_version() -> int:
    """Return the store's data version, read once per run of the app's frame.

    Every cached call keys on it; a page asks for it a dozen times a run, and
    a write ends its run with ``st.rerun()``, so the next run reads it afresh.
    """
    if getattr(_frame, "active", False) and getattr(_frame, "version", None) is not None:
        return _frame.version
    with cursor() as cur:
        version = store.data_version(cur)
    if getattr(_frame, "active", False):
        _frame.version = version
    return version


@st.cache_data(ttl=CACHE_TTL, max_entries=32, show_spinner=False)
def sources_frame(version: int) -> pd.DataFrame:
    """Return the sources summary as a frame; ``version`` keys the cache."""
    del version
    with cursor() as cur:
        rows = store.list_sources(cur)
    return pd.DataFrame([r.__dict__ for r in rows])


@st.cache_data(ttl=CACHE_TTL, max_entries=32, show_spinner=False)
def _source_facts(source: str, version: int) -> tuple[metrics.SourceSpan, dict[str, list[str]]]:
    del version
    con = _connection()
    return metrics.source_span(con, source), metrics.filter_values(con, source)


@st.cache_data(ttl=CACHE_TTL, max_entries=512, show_spinner=False)
def _cached_call(path: str, version: int, args: tuple, kwargs: tuple, _checks: tuple = ()):
    del version
    module_name, _, name = path.rpartition(".")
    # Only library functions are called this way, never anything a URL could name.
    if not module_name.startswith("analytics."):
        raise ValueError(f"not a library function: {path}")
    function = getattr(importlib.import_module(module_name), name)
    return function(_connection(), *args, **dict(kwargs), **dict(_checks))


def cached(function, *args, **kwargs):
    """Return ``function(connection, *args, **kwargs)``, cached on the store's data version.

    ``function`` is an ``analytics`` function taking the store connection
    first; its arguments must be hashable by Streamlit (frozen dataclasses,
    tuples, strings, dates, numbers). A callable keyword argument (a check
    such as :func:`session_ended`) is passed on but is no part of the key.
    """
    path = f"{function.__module__}.{function.__qualname__}"
    keyed = tuple(sorted((k, v) for k, v in kwargs.items() if not callable(v)))
    checks = tuple((k, v) for k, v in kwargs.items() if callable(v))
    return _cached_call(path, data_version(), args, keyed, checks)


def metric(name: str, selection: metrics.Selection, **params):
    """Return ``analytics.metrics.<name>(selection, **params)``, cached on the data version."""
    return cached(getattr(metrics, name), selection, settings=settings(), **params)


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _events(
    first_day: date, last_day: date, regions: tuple, source: str, version: int
) -> pd.DataFrame:
    del version
    return events.events_in_range(_connection(), first_day, last_day, regions, source=source)


def events_for(selection: metrics.Selection) -> pd.DataFrame:
    """Return the selected source's events overlapping the selection, for chart bands.

    A source's charts show its own events and every source's, never another source's.
    """
    zone = zoneinfo.ZoneInfo(selection.tz)
    first = selection.start.astimezone(zone).date()
    last = (selection.end.astimezone(zone) - timedelta(microseconds=1)).date()
    return _events(first, last, selection.regions, selection.source, data_version())


# --- who is asking ------------------------------------------------------------------------


def oidc_configured() -> bool:
    """Return True when ``.streamlit/secrets.toml`` configures an OpenID Connect provider."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - Streamlit raises its own error for a missing or bad file
        return False


@st.cache_resource(max_entries=4)
def _users_at(path: str, version: tuple[int, int, int]) -> dict[str, access.LocalUser]:
    del version  # the cache key: an edited file is read again
    return access.load_users(Path(path))


def local_users() -> dict[str, access.LocalUser]:
    """Return the users of the local users file, read again whenever it changes.

    Asked several times a run (the frame, the sidebar, the pages), so the file
    is parsed once per modification rather than on every call.
    """
    path = settings().access.users_file
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    # Saving replaces the file, so its inode changes even within one clock tick.
    return _users_at(str(path), (stat.st_ino, stat.st_mtime_ns, stat.st_size))


def _served_over_network() -> bool:
    # A session with no HTTP request behind it (AppTest, bare mode) has no Host.
    return bool(st.context.headers.get("Host"))


def open_access_refusal() -> str | None:
    """Return why the app must not serve this session without sign-in, or None when it may.

    Only single-user mode (no identity provider, no users file) is concerned:
    it may serve loopback, or anything when ``BACKLOG_RADAR_ALLOW_OPEN=1``.
    """
    if oidc_configured() or local_users():
        return None
    address = st.get_option("server.address")
    if (
        _served_over_network()
        and not access.is_loopback(address)
        and not settings().access.allow_open
    ):
        return (
            f"Backlog Radar refuses to serve {address or 'every network interface'} without "
            "sign-in. Serve it on localhost (`make run` does), configure sign-in "
            "(docs/access.md), or set BACKLOG_RADAR_ALLOW_OPEN=1 to serve it open."
        )
    return None


def refusal_screen() -> None:
    """Draw the open-access refusal (app.py shows it instead of any page)."""
    st.title("Backlog Radar")
    st.error(open_access_refusal() or "Refused.")


def signed_in() -> access.User | None:
    """Return who is using this session, or None when nobody is signed in yet.

    With an identity provider or a users file configured, that is the
    signed-in person: a local user by the signed session cookie their
    browser holds (checked on every run, so a replayed session id proves
    nothing), a provider's user by Streamlit's own identity cookie. Sessions
    expire after ``[access] session_hours``. With neither configured, the
    single local user (an admin), and only when the app listens on loopback
    or ``BACKLOG_RADAR_ALLOW_OPEN=1`` says it may serve others: otherwise
    the run stops on a message saying so.
    """
    cfg = settings().access
    oidc = oidc_configured()
    users = local_users()
    if not oidc and not users:
        if refusal := open_access_refusal():
            st.error(refusal)
            st.stop()
        return _permit_uploads(access.User("local", "admin", "single-user"), None)

    now = time.time()
    token = _session_token()
    if users and token:
        session = sessions.verify(_secret(), token, now, cfg.session_hours * 3600)
        # The users file is the truth: a removed user or a changed role applies at once.
        entry = users.get(session.name) if session else None
        if entry is not None and not sessions.is_revoked(_connection(), session):
            return _permit_uploads(access.User(entry.name, entry.role, "local"), session.sid)
        st.session_state["auth_expired"] = True
    if oidc and st.user.is_logged_in:
        return _permit_uploads(_oidc_user(cfg, now), None)
    return _permit_uploads(None, None)


def _secret() -> bytes:
    cfg = settings().access
    return sessions.load_secret(cfg.secret_file, cfg.session_secret)


def _session_token() -> str | None:
    # A served session proves its sign-in with the browser's HttpOnly cookie.
    # A session with no HTTP request behind it (AppTest runs the script in
    # this process; no browser can reach it) may carry the same signed token
    # in its state instead.
    if _served_over_network():
        return st.context.cookies.get(sessions.COOKIE_NAME)
    return st.session_state.get("auth_token")


def _permit_uploads(user: access.User | None, sid: str | None) -> access.User | None:
    """Let this session receive uploads only while its user may import; return ``user``."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        if user is not None and user.can("import"):
            web.UPLOADS.grant(ctx.session_id, sid)
        else:
            web.UPLOADS.withdraw(ctx.session_id)
    return user


def current_user() -> access.User:
    """Return who is using this session; otherwise draw the sign-in screen and stop the run."""
    user = signed_in()
    if user is None:
        sign_in_screen()
        st.stop()
    return user


def _oidc_user(cfg, now: float) -> access.User | None:
    claims = st.user.to_dict()
    email = claims.get("email")
    groups = claims.get("groups") or []
    role = access.role_for_identity(
        email, [groups] if isinstance(groups, str) else groups, cfg.roles, cfg.default_role
    )
    name = str(email or claims.get("sub") or "unknown")
    issued = float(claims.get("iat") or 0)
    if issued and now - issued > cfg.session_hours * 3600:
        st.session_state["auth_expired"] = True
        return None
    if role is None:
        st.title("Backlog Radar")
        st.error(
            f"{md_escape(name)} is signed in but has no role here: ask an admin to give you one."
        )
        st.button("Sign out", on_click=st.logout, key="oidc_no_role_logout")
        st.stop()
    return access.User(name, role, "oidc")


def sign_in_screen() -> None:
    """Draw the sign-in screen: the identity provider's button and/or the way to the form.

    Local users sign in on the plain form of ``web.py`` (which sets the
    cookie); a page request without a cookie is sent there before the app
    loads, so this screen shows when a session ends while its tab is open,
    or when an identity provider is configured too.
    """
    oidc, local = oidc_configured(), bool(local_users())
    st.title("Backlog Radar")
    if st.session_state.pop("auth_expired", False):
        st.info("Your session ended: sign in again.")
    if oidc:
        st.button(
            "Sign in with your organisation's account",
            on_click=st.login,
            type="primary",
            icon=":material/login:",
            key="oidc_login",
        )
    if local:
        # st.logout() sends the browser to the sign-out address in this tab;
        # web.py clears the local cookie there and shows the sign-in form.
        st.button(
            "Sign in with a user name and password",
            on_click=st.logout,
            icon=":material/lock_open:",
            key="local_login",
        )


def user_badge(user: access.User) -> None:
    """Draw who is signed in (or the single-user notice) and a sign-out button in the sidebar."""
    if user.via == "single-user":
        st.sidebar.caption(
            ":material/person: Single-user mode: no sign-in is configured, so the app serves "
            "this machine only (docs/access.md)."
        )
        return
    st.sidebar.caption(f":material/person: {md_escape(user.name)} · {user.role}")
    # For a local user, web.py revokes the cookie at the sign-out address.
    st.sidebar.button("Sign out", on_click=st.logout, key="sign_out", icon=":material/logout:")


def session_ended() -> bool:
    """Return True once the browser session of this script run is gone (tab closed).

    Streamlit stops a run whose session went away only at its next ``st``
    call, so a long computation asks this now and then to stop working for
    nobody; outside a served app (tests, bare mode) the answer is False.
    """
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not runtime.exists():
        return False
    return not runtime.get_instance().is_active_session(ctx.session_id)


# Punctuation the Markdown renderer gives a meaning to: a backslash shows it as typed.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&=^])")
# What the renderer finds in the text itself, after reading the backslashes: links
# from bare addresses (https://..., www...., name@domain) and shortcodes
# (:smile:, :material/warning:, :red[...]). An invisible zero-width space breaks
# each; browsers and Playwright's text matching ignore it.
_TEXT_TRIGGERS = re.compile(r"(?<=:)(?=[\w+\-/])|(?<=@)(?=[\w\-])|(?i:(?<=www)(?=\.))")
ZERO_WIDTH_SPACE = "\u200b"
# Bidirectional controls reorder the text around them on screen, so a name could
# turn a sentence backwards: they are dropped.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def md_escape(text: object) -> str:
    """Return ``text`` for a Markdown element (st.markdown, captions, alerts, labels, pills).

    The result renders as the characters typed: no bold, link, image, code,
    LaTeX, colour, icon or emoji, and no link made from a bare address.
    Every text from the data or from a person goes through it.
    """
    plain = _BIDI_CONTROLS.sub("", str(text))
    plain = _TEXT_TRIGGERS.sub(ZERO_WIDTH_SPACE, plain)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", plain)


_frame = threading.local()


@contextlib.contextmanager
def frame():
    """Mark the current script run as passing through app.py's frame (used by app.py)."""
    _frame.active, _frame.version = True, None
    try:
        yield
    finally:
        _frame.active, _frame.version = False, None


def selection() -> metrics.Selection | None:
    """Return the shared sidebar's selection for the page being drawn.

    app.py draws the sidebar before running the page. A page run without it
    (AppTest, which runs a page straight from ``pages/``) draws the same
    sidebar itself, so it never renders without filters.
    """
    if getattr(_frame, "active", False):
        return st.session_state.get("selection")
    # A session that has never been through the frame is on its first run,
    # which carries no click for a rerun to lose. (AppTest resets Streamlit's
    # mode on every run, so its later runs stay as they are.)
    if "selection" not in st.session_state and _leave_pages_folder_mode():
        st.rerun()
    return sidebar()


def _leave_pages_folder_mode() -> bool:
    """Switch Streamlit from its ``pages/`` folder mode to app.py's navigation; return if it was on.

    Until a session has run ``st.navigation``, Streamlit treats the
    ``pages/`` folder as the app (its multipage mode before ``st.navigation``):
    the first deep link after a restart ran the page without app.py, with
    the file names as navigation and a narrow layout. The flag is the one
    ``st.navigation`` itself clears; a rerun then goes through app.py, to
    the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory:
        return False
    PagesManager.uses_pages_directory = False
    return True


def _restore(key: str, from_url, default, valid=lambda value: True) -> None:
    """Give widget ``key`` its value before it is drawn.

    Streamlit drops a widget's state when a run ends without drawing it (a
    page switch that interrupts a run), so each choice is also kept under a
    key no widget owns. The value is, in order: the kept choice, the URL's
    (a shared link, on first load), the default.
    """
    kept = st.session_state.get(f"kept_{key}")
    if kept is not None and valid(kept):
        value = kept
    elif from_url not in (None, [], "") and valid(from_url):
        value = from_url
    else:
        value = default
    st.session_state[key] = value
    st.session_state[f"kept_{key}"] = value


def _keep(key: str) -> None:
    st.session_state[f"kept_{key}"] = st.session_state[key]


def _zone_chosen() -> None:
    _keep("tz")
    # The box's label names the zone, and the browser draws a relabelled
    # expander closed: close it here too, so that the two agree.
    st.session_state["tz_box"] = False


@functools.cache
def time_zones() -> list[str]:
    """Return the zones the sidebar offers, common ones first (read from disk once)."""
    return list(COMMON_ZONES) + sorted(zoneinfo.available_timezones() - set(COMMON_ZONES))


def sidebar(user: access.User | None = None) -> metrics.Selection | None:
    """Draw the shared sidebar; return the selection it describes (None for an empty store).

    The choices are mirrored in the URL query string so a link shares the view.
    ``user`` is who app.py let in; without it (a page run without the frame)
    nobody gets this far without being signed in (:func:`current_user`).
    """
    user_badge(user or current_user())
    params = st.query_params
    frame = sources_frame(data_version())
    if frame.empty:
        st.sidebar.info("No data yet: import an export on the Data page.")
        return None
    names = frame["source"].tolist()
    _restore(
        "source",
        params.get("source"),
        SAMPLE_SOURCE if SAMPLE_SOURCE in names else names[0],
        lambda v: v in names,
    )
    # A few choices are buttons, one click each. A dropdown loads its own
    # script files, a tenth of a page's load in the browser (docs/metrics.md),
    # so the sidebar draws one only for a long list, or when asked.
    if len(names) <= MAX_SOURCE_BUTTONS:
        # A pill renders its option as Markdown.
        source = st.sidebar.pills(
            "Data source",
            names,
            required=True,
            format_func=md_escape,
            key="source",
            on_change=_keep,
            args=("source",),
        )
    else:
        source = st.sidebar.selectbox(
            "Data source", names, key="source", on_change=_keep, args=("source",)
        )
    span, values = _source_facts(source, data_version())

    zones = time_zones()
    _restore("tz", params.get("tz"), settings().default_tz, lambda v: v in zones)
    # Drawn below, with the filters; a new choice is kept before this run.
    tz = st.session_state["kept_tz"]

    last_day = span.as_of.astimezone(zoneinfo.ZoneInfo(tz)).date()
    first_day = span.first_created_at.astimezone(zoneinfo.ZoneInfo(tz)).date()
    _restore("period", params.get("period"), "Last 90 days", lambda v: v in PERIODS)
    period = st.sidebar.pills(
        "Period",
        PERIODS,
        required=True,
        key="period",
        on_change=_keep,
        args=("period",),
        help=f"Relative to the source's last event, {last_day:%Y-%m-%d}.",
    )
    if period == "Custom":
        try:
            from_url = (date.fromisoformat(params["from"]), date.fromisoformat(params["to"]))
        except (KeyError, ValueError):
            from_url = None
        _restore(
            "custom_range",
            from_url,
            (max(first_day, last_day - timedelta(27)), last_day),
            lambda v: len(v) == 2 and first_day <= v[0] <= v[1] <= last_day,
        )
        picked = st.sidebar.date_input(
            "From - to",
            min_value=first_day,
            max_value=last_day,
            key="custom_range",
            on_change=_keep,
            args=("custom_range",),
        )
        start_day, end_day = (picked[0], picked[-1]) if picked else (first_day, last_day)
    else:
        start_day, end_day = _preset_days(period, first_day, last_day)

    chosen: dict[str, tuple[str, ...]] = {}
    for dimension in FILTERS:
        options = values.get(dimension, [])
        _restore(
            f"filter_{dimension}",
            [v for v in params.get_all(dimension) if v in options],
            [],
            lambda v, options=options: all(item in options for item in v),
        )
        chosen[dimension] = tuple(st.session_state[f"kept_filter_{dimension}"])
    # Lazy: the five multiselects are drawn only while the expander is open;
    # closed, the kept choices apply. Drawing them costs a page about half a
    # second in the browser, and most views use no filter.
    filters = st.sidebar.expander(
        "Filters", expanded=any(chosen.values()), key="filters", on_change="rerun"
    )
    if filters.open:
        with filters:
            for dimension, label in FILTERS.items():
                key = f"filter_{dimension}"
                chosen[dimension] = tuple(
                    st.multiselect(
                        label,
                        values.get(dimension, []),
                        key=key,
                        placeholder="All",
                        on_change=_keep,
                        args=(key,),
                    )
                )
    elif any(chosen.values()):
        summary = "; ".join(f"{FILTERS[d]} {', '.join(v)}" for d, v in chosen.items() if v)
        st.sidebar.caption(f"Filtered: {md_escape(summary)}")
    # Lazy, like the filters: the zone list is drawn while its expander is open.
    zone_box = st.sidebar.expander(f"Time zone: {tz}", key="tz_box", on_change="rerun")
    if zone_box.open:
        zone_box.selectbox("Display time zone", zones, key="tz", on_change=_zone_chosen)
    _restore("business_hours", params.get("hours") == "business" or None, False)
    business = st.sidebar.toggle(
        "Business hours",
        key="business_hours",
        on_change=_keep,
        args=("business_hours",),
        help="Durations count only the hours inside each team's schedule.",
    )

    st.query_params.from_dict(
        {
            "source": source,
            "period": period,
            "tz": tz,
            **(
                {"from": start_day.isoformat(), "to": end_day.isoformat()}
                if period == "Custom"
                else {}
            ),
            **{d: list(v) for d, v in chosen.items() if v},
            **({"hours": "business"} if business else {}),
        }
    )
    start, end = metrics.period(start_day, end_day, tz)
    return metrics.Selection(
        source=source,
        start=start,
        end=end,
        tz=tz,
        regions=chosen["region"],
        teams=chosen["team"],
        channels=chosen["channel"],
        categories=chosen["category"],
        priorities=chosen["priority"],
        business_hours=business,
    )


def _preset_days(period: str, first_day: date, last_day: date) -> tuple[date, date]:
    if period == "All":
        return first_day, last_day
    if period == "This quarter":
        quarter_start = date(last_day.year, 3 * ((last_day.month - 1) // 3) + 1, 1)
        return max(first_day, quarter_start), last_day
    days = int(period.split()[1])
    return max(first_day, last_day - timedelta(days=days - 1)), last_day


def hours_label(selection: metrics.Selection) -> str:
    """Return "business hours" or "calendar hours" for captions."""
    return "business hours" if selection.business_hours else "calendar hours"


def chart(
    fig: go.Figure,
    data: pd.DataFrame,
    key: str,
    *,
    empty: bool | None = None,
    empty_message: str = "No tickets in this selection for this chart.",
) -> None:
    """Draw a figure with a "download data (CSV)" button, or a plain message when empty."""
    if empty if empty is not None else data.empty:
        st.info(empty_message)
        return
    st.plotly_chart(charts.plain_text(fig), width="stretch", key=f"chart_{key}")
    download_csv(data, key, "Download data (CSV)")


def text_table(frame: pd.DataFrame) -> None:
    """Draw ``frame`` as a static table whose cells, index and headers show as typed.

    ``st.table`` renders every cell as Markdown, so each one goes through
    :func:`md_escape` first.
    """

    # Numbers, dates and missing values hold no markup and keep their formatting.
    def escaped(value):
        return md_escape(value) if isinstance(value, str) else value

    shown = frame.map(escaped)
    shown.index = pd.Index([escaped(v) for v in frame.index], name=escaped(frame.index.name))
    shown.columns = [escaped(column) for column in frame.columns]
    st.table(shown)


def grid(frame: pd.DataFrame, download: str | None = None, **options) -> None:
    """Draw ``frame`` in the data grid; with ``download``, a CSV button under it.

    The grid's own CSV export is off for the whole app
    (``client.disableDataExport`` in ``.streamlit/config.toml``): it wrote
    cells such as ``=HYPERLINK(...)`` as they are, and a spreadsheet runs
    them. ``download`` names the file (``slowest_tickets``) of the app's own
    export, whose formula-like cells are neutralised (:mod:`analytics.exports`).
    ``options`` go to ``st.dataframe``.
    """
    st.dataframe(frame, **{"hide_index": True, **options})
    if download is not None:
        download_csv(frame, download)


def download_csv(frame: pd.DataFrame, name: str, label: str = "Download (CSV)") -> None:
    """Draw a button downloading ``frame`` as ``<name>.csv``, formula-like cells neutralised."""
    # The CSV is built only when someone clicks, and the click does not rerun the page.
    st.download_button(
        label,
        lambda: exports.csv_text(frame),
        on_click="ignore",
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download_{name}",
        icon=":material/download:",
    )


def not_in_source(reason: str) -> dict:
    """Return ``st.metric`` arguments for a card whose input the source lacks.

    A dash, "not in this source" under it (the phrase is too long for the
    card's large figure), and ``reason`` (:func:`analytics.coverage.missing_inputs`)
    as its help.
    """
    return {
        "value": "—",
        "delta": coverage.NOT_IN_SOURCE,
        "delta_color": "off",
        "delta_arrow": "off",
        "help": md_escape(reason),
    }


def hours(value: float | None) -> str:
    """Return a duration in hours for a card (``-`` when unknown)."""
    return "-" if value is None else f"{value:,.1f} h"
