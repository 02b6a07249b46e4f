"""Signed sign-in sessions: what a browser holds to prove who signed in.

A local user's sign-in ends in a token the server signs with a secret only
it knows (HMAC-SHA256) and the browser keeps in an HttpOnly cookie. Every
script run checks it again, so an identity lives in the browser that signed
in, not in the server-side session: presenting someone's Streamlit session
id (which travels in upload URLs) without their cookie proves nothing.

A token carries the user's name, when it was issued and a random session id
(``sid``). It expires ``max_age_s`` after issue; signing out revokes its
``sid`` in the audit log, which every server sharing the store reads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics import access, db

COOKIE_NAME = "backlog_radar_session"
SECRET_BYTES = 32


@dataclass(frozen=True)
class Session:
    """A verified session token: who signed in, when (epoch seconds), and its id."""

    name: str
    issued_at: float
    sid: str


def load_secret(path: Path, env_value: str | None = None) -> bytes:
    """Return the signing secret: ``env_value`` when set, else the file at ``path``.

    The file is created on first use with 32 random bytes, readable by its
    owner only. Several servers sharing one store share the secret through
    the environment (``BACKLOG_RADAR_SESSION_SECRET``) or the same file.
    """
    if env_value:
        return env_value.encode("utf-8")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(SECRET_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: str) -> str:
    return _encode(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def issue(secret: bytes, name: str, now: float) -> str:
    """Return a new signed token for ``name`` issued at ``now`` (epoch seconds)."""
    body = {"u": name, "iat": int(now), "sid": secrets.token_hex(16)}
    payload = _encode(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_mac(secret, payload)}"


def verify(secret: bytes, token: str | None, now: float, max_age_s: float) -> Session | None:
    """Return the session a token proves, or None when it is forged, malformed or expired."""
    if not token or token.count(".") != 1 or len(token) > 1024:
        return None
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    try:
        body = json.loads(_decode(payload))
        session = Session(str(body["u"]), float(body["iat"]), str(body["sid"]))
    except (ValueError, KeyError, TypeError):
        return None
    # A token from the future is as suspect as an old one (clock skew aside).
    if not -60 <= now - session.issued_at <= max_age_s:
        return None
    return session


def revoke(cur: duckdb.DuckDBPyConnection, session: Session, actor: access.User) -> None:
    """Record that ``session`` signed out: no server accepts its token again."""
    with db.transaction(cur) as tx:
        access.record(tx, actor, "sign_out", session.sid)


def is_revoked(con: duckdb.DuckDBPyConnection, session: Session) -> bool:
    """Return True when ``session`` has signed out."""
    row = db.cursor(con).execute(db.load_sql("session_revoked"), {"sid": session.sid}).fetchone()
    return bool(row and row[0])
