"""Who is asking: single-user mode, local users (the signed cookie), the identity provider."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

import web
from analytics import access, access_words, sessions
from ui.cache import connection, frame_user, settings
from ui.i18n import _
from ui.text import md_escape

PAGES = Path(__file__).resolve().parents[1] / "pages"


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


def served_over_network() -> bool:
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
        served_over_network()
        and not access.is_loopback(address)
        and not settings().access.allow_open
    ):
        return _(
            "Backlog Radar refuses to serve {address} without sign-in. Serve it on localhost "
            "(`make run` does), configure sign-in (docs/access.md), or set "
            "BACKLOG_RADAR_ALLOW_OPEN=1 to serve it open."
        ).format(address=md_escape(address) if address else _("every network interface"))
    return None


def refusal_screen() -> None:
    """Draw the open-access refusal (app.py shows it instead of any page)."""
    st.title("Backlog Radar")
    st.error(open_access_refusal() or _("Refused."))


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
        if entry is not None and not sessions.is_revoked(connection(), session):
            return _permit_uploads(access.User(entry.name, entry.role, "local"), session.sid)
        st.session_state["auth_expired"] = True
    if oidc and st.user.is_logged_in:
        return _permit_uploads(_oidc_user(cfg, now), None)
    return _permit_uploads(None, None)


@st.cache_resource
def _secret() -> bytes:
    # Read once per process, like the settings it comes from.
    cfg = settings().access
    return sessions.load_secret(cfg.secret_file, cfg.session_secret)


def _session_token() -> str | None:
    # A served session proves its sign-in with the browser's HttpOnly cookie.
    # A session with no HTTP request behind it (AppTest runs the script in
    # this process; no browser can reach it) may carry the same signed token
    # in its state instead.
    if served_over_network():
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
    user = frame_user() or signed_in()
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
            _("{name} is signed in but has no role here: ask an admin to give you one.").format(
                name=md_escape(name)
            )
        )
        st.button(_("Sign out"), on_click=st.logout, key="oidc_no_role_logout")
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
        st.info(_("Your session ended: sign in again."))
    if oidc:
        # The guard (web.guard) keeps this page's address across the provider's
        # round trip, so the person lands back on it.
        st.button(
            _("Sign in with your organisation's account"),
            on_click=st.login,
            type="primary",
            icon=":material/login:",
            key="oidc_login",
        )
    if local:
        # st.logout() sends the browser to the sign-out address in this tab;
        # web.sign_in clears the local cookie there and shows the sign-in form,
        # which leads back to this page's address afterwards.
        st.button(
            _("Sign in with a user name and password"),
            on_click=st.logout,
            icon=":material/lock_open:",
            key="local_login",
        )


def gate_pages(gate) -> list[st.Page]:
    """Return the navigation of a session nobody signed in to: ``gate`` under every page's address.

    A shared link to a page (``/response_times?source=desk``) then opens the
    sign-in screen at that address, with its query string, instead of
    "Page not found"; signing in leads back to it.
    """
    paths = sorted(path.stem for path in PAGES.glob("*.py"))
    return [
        st.Page(gate, title="Backlog Radar", default=True),
        *(st.Page(gate, title="Backlog Radar", url_path=path) for path in paths),
    ]


def user_badge(user: access.User) -> None:
    """Draw who is signed in (or the single-user notice) and a sign-out button in the sidebar."""
    if user.via == "single-user":
        st.sidebar.caption(
            ":material/person: "
            + _(
                "Single-user mode: no sign-in is configured, so the app serves "
                "this machine only (docs/access.md)."
            )
        )
        return
    role = (
        _(access_words.ROLE_NAMES[user.role]) if user.role in access_words.ROLE_NAMES else user.role
    )
    st.sidebar.caption(f":material/person: {md_escape(user.name)} · {role}")
    # For a local user, web.sign_in revokes the cookie at the sign-out address.
    st.sidebar.button(_("Sign out"), on_click=st.logout, key="sign_out", icon=":material/logout:")


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
