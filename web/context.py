"""What every part of the HTTP layer reads: settings, the store, the sign-in mode, the cookie."""

from __future__ import annotations

import functools
import time
from http.cookies import SimpleCookie

import streamlit as st

from analytics import sessions, store
from analytics.settings import Settings, load_settings

SESSION_HEADER = "x-backlog-radar-session"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SIGN_IN_PATH = "/auth/sign-in"
# Streamlit's own st.logout() sends the browser here: a local user's cookie
# is revoked by this layer, a provider's session passes on to Streamlit.
SIGN_OUT_PATH = "/auth/logout"
# Paths the browser loads without a page of its own: scripts, styles, the
# WebSocket, media. A request for anything else is a page.
ASSET_PREFIXES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/auth/")
HIDDEN_PREFIXES = ("/_stcore/metrics", "/_stcore/agent/")
UPLOAD_PREFIX = "/_stcore/upload_file/"
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


@functools.cache
def settings() -> Settings:
    """Return the process's settings (read once, like the app's)."""
    return load_settings()


@functools.cache
def store_connection():
    """Return the process's connection to the store (the app's own, as DuckDB shares it)."""
    return store.open_configured(settings())


@functools.cache
def secret() -> bytes:
    """Return the key that signs session cookies (read once per process)."""
    cfg = settings().access
    return sessions.load_secret(cfg.secret_file, cfg.session_secret)


def oidc_configured() -> bool:
    """Return True when ``.streamlit/secrets.toml`` configures an OpenID Connect provider."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - Streamlit raises its own error for a missing or bad file
        return False


def local_users_configured() -> bool:
    """Return True when a local users file exists (everybody then signs in)."""
    return settings().access.users_file.exists()


def single_user() -> bool:
    """Return True in single-user mode: no identity provider and no users file."""
    return not oidc_configured() and not local_users_configured()


def session_from_cookie(cookie_header: str | None) -> sessions.Session | None:
    """Return the verified sign-in session a Cookie header carries, or None."""
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # noqa: BLE001 - a malformed Cookie header proves nothing
        return None
    morsel = jar.get(sessions.COOKIE_NAME)
    if morsel is None:
        return None
    max_age = settings().access.session_hours * 3600
    return sessions.verify(secret(), morsel.value, time.time(), max_age)
