"""How agents appear: by name, by pseudonym, or not at all (teams only).

The rule is applied here, in the library, so that every client obeys it the
same way: the Agents and teams page, the ticket lists and their CSV
downloads, the command line and the reports. A client asks :func:`view_for`
what a user may see, then passes every frame that names agents through
:func:`shown`.

A pseudonym is a keyed hash of the name (HMAC-SHA256), stable across
processes and hosts that share the key, so that a manager can follow
"Agent 3f9a2c" from week to week without learning who it is. Without a key,
anyone could hash the team's names and undo them.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from analytics.sessions import load_secret
from analytics.settings import PEOPLE_VIEWS, Settings

NAMES, PSEUDONYMS, TEAMS = PEOPLE_VIEWS
# Hex digits of a pseudonym: 16^6 = 16.7 million, so two agents of one desk
# practically never share one.
_DIGITS = 6


class PeopleHidden(ValueError):
    """Per-person figures were asked for where only teams may be shown."""


def view_for(settings: Settings, role: str | None) -> str:
    """Return how agents appear to ``role``: ``"names"``, ``"pseudonyms"`` or ``"teams"``.

    ``role`` None is the command line and scheduled reports, which run as
    the desk's administrator and follow ``[people] show``.
    """
    return settings.people.view_for(role)


def pseudonym_key(settings: Settings) -> bytes:
    """Return the key of the pseudonyms: the configured one, else one derived from the session secret."""
    if settings.people.pseudonym_key:
        return settings.people.pseudonym_key.encode("utf-8")
    secret = load_secret(settings.access.secret_file, settings.access.session_secret)
    # derived, not the secret itself: a pseudonym must not help forge a session
    return hmac.new(secret, b"backlog-radar pseudonyms", hashlib.sha256).digest()


def key_for(settings: Settings, view: str) -> bytes | None:
    """Return the pseudonyms' key when ``view`` shows pseudonyms, else None (no secret read)."""
    return pseudonym_key(settings) if view == PSEUDONYMS else None


def pseudonym(name: str, key: bytes) -> str:
    """Return the stable pseudonym of ``name`` under ``key``, such as ``"Agent 3f9a2c"``.

    Names are compared trimmed and case-folded, as helpdesks spell one
    person several ways across exports.
    """
    digest = hmac.new(key, name.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"Agent {digest[:_DIGITS]}"


def shown(
    frame: pd.DataFrame, view: str, key: bytes | None, column: str = "assignee"
) -> pd.DataFrame:
    """Return ``frame`` with the agents in ``column`` shown as ``view`` allows.

    ``"names"`` returns it unchanged, ``"pseudonyms"`` replaces each name by
    its :func:`pseudonym` (``key`` required), and ``"teams"`` drops the
    column. Empty names stay empty.
    """
    if view not in PEOPLE_VIEWS:
        raise ValueError(f"unknown view of agents: {view!r}")
    if column not in frame.columns or view == NAMES:
        return frame
    if view == TEAMS:
        return frame.drop(columns=column)
    if key is None:
        raise ValueError("pseudonyms need a key")
    names = frame[column]
    mapping = {name: pseudonym(name, key) for name in names.dropna().unique() if str(name).strip()}
    return frame.assign(**{column: names.map(lambda n: mapping.get(n, n))})


def require_people(view: str) -> None:
    """Raise :class:`PeopleHidden` when ``view`` shows teams only."""
    if view == TEAMS:
        raise PeopleHidden("agents are shown as teams only here ([people] in the settings)")
