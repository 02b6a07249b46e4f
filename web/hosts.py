"""Which host names the app answers to (against DNS rebinding)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

import streamlit as st

from web.context import LOOPBACK_NAMES, settings, single_user


def host_name(host: str | None) -> str | None:
    """Return the lower-case name of a Host header without its port, or None if malformed."""
    if not host:
        return None
    try:
        parsed = urlparse(f"//{host}")
        parsed.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parsed.hostname is None or parsed.username or parsed.password or parsed.path:
        return None
    return parsed.hostname.lower().rstrip(".")


def is_loopback_name(name: str) -> bool:
    """Return True for a host name that can only mean this machine."""
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(host: str | None) -> bool:
    """Return True when the app may answer a request naming ``host``.

    Single-user mode (unless ``BACKLOG_RADAR_ALLOW_OPEN`` opens it) answers
    loopback names only; otherwise the names in ``server.allowedHosts``
    (``*`` for any, ``*.example.org`` for subdomains).
    """
    name = host_name(host)
    if name is None:
        return False
    if single_user() and not settings().access.allow_open:
        return is_loopback_name(name)
    allowed = st.get_option("server.allowedHosts") or ["*"]
    for pattern in (p.strip().lower().rstrip(".") for p in allowed):
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False
