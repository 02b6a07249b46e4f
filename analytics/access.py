"""Who may do what: roles, local users, sign-in throttling and the audit log.

Three roles, each allowed what the one before it may do and more: a
**viewer** reads every page; an **analyst** also imports, edits the events
calendar and saves staffing plans; an **admin** also deletes sources and
manages users. The write functions of this library check the role of the
actor they are given (:func:`require`) and record it in ``audit_log`` inside
their own transaction, so no front end can write without both.

People are known in one of three ways: through an OpenID Connect provider
(the app's ``st.login``; roles come from the ``[access.roles]`` rules of the
settings file), through a local users file of salted scrypt hashes (for teams
without an identity provider; ``python -m analytics add-user``), or, with
neither configured, as the single local user of an app bound to loopback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from analytics import db, i18n
from analytics.access_words import (
    ACTION_NAMES,
    Term,
)
from analytics.i18n import N_

ROLES = ("viewer", "analyst", "admin")
# The least role each write action needs.
PERMISSIONS = {
    "import": "analyst",
    "edit_events": "analyst",
    "save_effects": "analyst",
    "save_staffing": "analyst",
    "delete_source": "admin",
    "undo_import": "admin",
    "maintain": "admin",
    "convert_store": "admin",
    "manage_users": "admin",
    "run_job": "analyst",
    "edit_jobs": "admin",
}
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
MIN_PASSWORD_LENGTH = 10
# scrypt at n=2**14, r=8 costs about 16 MB and a few tens of milliseconds: cheap
# for one sign-in, expensive for a guessing attack on a stolen users file.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class AccessError(i18n.TranslatableError):
    """An access problem explained in one line, fit to show a user (in any language)."""


class PermissionDenied(AccessError):
    """The actor's role does not allow the action."""


@dataclass(frozen=True)
class User:
    """Someone acting on the store: a name, a role, and how they were identified."""

    name: str
    role: str
    via: str

    def can(self, action: str) -> bool:
        """Return True when this user's role allows ``action`` (a key of PERMISSIONS)."""
        return ROLES.index(self.role) >= ROLES.index(PERMISSIONS[action])


# What the library acts as when a caller names nobody: tests and scripts that
# own the database file. The app and the command line always name their actor.
SYSTEM = User("system", "admin", "library")


def require(actor: User, action: str) -> None:
    """Return None when ``actor`` may perform ``action``; raise PermissionDenied otherwise."""
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}")
    if actor.role not in ROLES or not actor.can(action):
        needed = PERMISSIONS[action]
        template = (
            N_("{name} is a {role}: {action} needs the {needed} role")
            if needed == "admin"
            else N_("{name} is a {role}: {action} needs the {needed} role or above")
        )
        raise PermissionDenied(
            template,
            name=actor.name,
            role=Term(actor.role),
            action=Term(ACTION_NAMES.get(action, action.replace("_", " "))),
            needed=Term(needed),
        )


def record(
    cur: duckdb.DuckDBPyConnection,
    actor: User,
    action: str,
    target: str | None = None,
    detail: Mapping | None = None,
) -> None:
    """Append one audit row; call it inside the transaction of the write it records.

    The row also labels the transaction's snapshot (who, what, on what), which
    the snapshots list shows.
    """
    cur.execute(
        db.load_sql("audit_insert"),
        {
            "audit_id": db.next_id(cur, "audit"),
            "actor": actor.name,
            "role": actor.role,
            "via": actor.via,
            "action": action,
            "target": target,
            "detail": json.dumps(dict(detail or {}), default=str),
        },
    )
    db.commit_message(cur, action, target, actor=actor.name)


def audited_write(
    cur: duckdb.DuckDBPyConnection,
    actor: User,
    action: str,
    target: str | None,
    detail: Mapping | None = None,
) -> None:
    """Check ``actor`` may do ``action`` and record it, as one transaction of its own.

    For writes that live outside the store (the users file): the audit row
    is committed only once the check passed.
    """
    require(actor, action)
    with db.transaction(cur) as tx:
        record(tx, actor, action, target, detail)


def audit_log(
    con: duckdb.DuckDBPyConnection,
    limit: int = 200,
    action: str | None = None,
    *,
    writes_only: bool = False,
) -> pd.DataFrame:
    """Return the latest ``limit`` audit rows, newest first (``occurred_at, actor, role, via, action,
    target, detail``): only those of ``action`` if given, without sign-ins if ``writes_only``."""
    params = {"limit": int(limit), "action": action, "writes_only": writes_only}
    return db.cursor(con).execute(db.load_sql("audit_recent"), params).df().drop(columns="audit_id")


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password`` as ``scrypt$n$r$p$salt$hash`` (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    encode = base64.b64encode
    return (
        f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"
    )


def verify_password(password: str, stored: str) -> bool:
    """Return True when ``password`` matches a hash made by :func:`hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# A hash nobody's password matches, checked for unknown user names so that a
# wrong name costs as long as a wrong password (no user enumeration by timing).
_DUMMY_HASH = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)


# --- the local users file ---------------------------------------------------------------


@dataclass(frozen=True)
class LocalUser:
    """One entry of the users file."""

    name: str
    role: str
    password_hash: str
    created_at: str


def check_user_name(name: str) -> str:
    """Return ``name`` when it is a valid user name; raise AccessError otherwise."""
    if not USER_NAME.match(name or ""):
        raise AccessError(
            N_(
                "a user name is 1 to 64 letters, digits or . _ @ + - and starts with a letter or digit"
            )
        )
    return name


def check_role(role: str) -> str:
    """Return ``role`` when it is one of ROLES; raise AccessError otherwise."""
    if role not in ROLES:
        raise AccessError(
            N_("unknown role {role}: choose one of {roles}"),
            role=repr(role),
            roles=", ".join(ROLES),
        )
    return role


def load_users(path: Path) -> dict[str, LocalUser]:
    """Return the users of the file at ``path`` by name (empty when it does not exist).

    Raises
    ------
    AccessError
        When the file exists but is not a users file.
    """
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            name: LocalUser(name, check_role(entry["role"]), entry["password"], entry["created_at"])
            for name, entry in data["users"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError, AccessError) as exc:
        raise AccessError(
            N_("{path} is not a valid users file: {why}"), path=str(path), why=str(exc)
        ) from exc


def _save_users(path: Path, users: Mapping[str, LocalUser]) -> None:
    data = {
        "users": {
            u.name: {"role": u.role, "password": u.password_hash, "created_at": u.created_at}
            for u in sorted(users.values(), key=lambda u: u.name)
        }
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed, so a crash never leaves half a file; readable
    # by its owner only, since it holds password hashes.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)


_users_lock = threading.Lock()


def set_user(
    path: Path,
    name: str,
    role: str,
    password: str | None = None,
    *,
    cur: duckdb.DuckDBPyConnection,
    actor: User,
) -> LocalUser:
    """Add a user or change one's role and/or password; return the entry as saved.

    A new user needs a password of at least MIN_PASSWORD_LENGTH characters.
    The change is checked against ``actor`` and recorded in the audit log.
    """
    check_user_name(name)
    check_role(role)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccessError(
            N_("a password needs at least {count} characters"), count=MIN_PASSWORD_LENGTH
        )
    with _users_lock:
        users = load_users(path)
        old = users.get(name)
        if old is None and password is None:
            raise AccessError(N_("{name} is a new user: give a password"), name=name)
        if not users and role != "admin":
            raise AccessError(N_("the first user must be an admin, or nobody could manage users"))
        entry = LocalUser(
            name,
            role,
            hash_password(password) if password is not None else old.password_hash,
            old.created_at if old else datetime.now(UTC).isoformat(timespec="seconds"),
        )
        if old is not None and old.role == "admin" and role != "admin":
            _keep_an_admin(users, name, staying=True)
        change = {"role": role, "new": old is None, "password_changed": password is not None}
        audited_write(cur, actor, "manage_users", name, change)
        users[name] = entry
        _save_users(path, users)
    return entry


def remove_user(path: Path, name: str, *, cur: duckdb.DuckDBPyConnection, actor: User) -> None:
    """Remove a user from the users file (checked against ``actor``, audited)."""
    with _users_lock:
        users = load_users(path)
        if name not in users:
            raise AccessError(N_("no user named {name}"), name=repr(name))
        if name == actor.name:
            raise AccessError(N_("you cannot remove yourself; ask another admin"))
        if users[name].role == "admin":
            _keep_an_admin(users, name, staying=False)
        audited_write(cur, actor, "manage_users", name, {"removed": True})
        del users[name]
        _save_users(path, users)


def _keep_an_admin(users: Mapping[str, LocalUser], leaving: str, *, staying: bool) -> None:
    # Users without an admin could not be managed but from the command line.
    # Removing the very last user is allowed: the app is then single-user again.
    others = [u for u in users.values() if u.name != leaving]
    if (staying or others) and not any(u.role == "admin" for u in others):
        raise AccessError(
            N_("{name} is the last admin: make another user an admin first"), name=leaving
        )


def authenticate(users: Mapping[str, LocalUser], name: str, password: str) -> User | None:
    """Return the user when ``name`` and ``password`` match an entry, else None."""
    entry = users.get(name)
    ok = verify_password(password, entry.password_hash if entry else _DUMMY_HASH)
    return User(entry.name, entry.role, "local") if ok and entry else None


# --- sign-in throttling -------------------------------------------------------------------


def sign_in_refusal(
    con: duckdb.DuckDBPyConnection,
    name: str,
    address: str | None,
    *,
    max_failures: int,
    window_s: float,
    now: datetime | None = None,
    lang: str = "en",
) -> str | None:
    """Return why a sign-in may not be tried now (said in ``lang``), or None when it may.

    After ``max_failures`` failed sign-ins within ``window_s`` seconds, the
    account (or the client address) is refused until the oldest failure
    leaves the window, even with the right password: a guesser learns
    nothing from further tries. The failures are the audit log's, so every
    process sharing the store counts the same ones, and an admin's
    :func:`unlock_account` (or the account's own successful sign-in)
    forgives the account's earlier failures.
    """
    now = now or datetime.now(UTC)
    since = now - timedelta(seconds=window_s)
    row = (
        db.cursor(con)
        .execute(
            db.load_sql("sign_in_failures"),
            {"since": since, "name": name, "address": address},
        )
        .fetchone()
    )
    account_failures, account_oldest, address_failures, address_oldest = row
    oldest = [
        t
        for count, t in ((account_failures, account_oldest), (address_failures, address_oldest))
        if count >= max_failures
    ]
    if not oldest:
        return None
    wait = int(window_s - (now - min(oldest)).total_seconds()) + 1
    _ = i18n.translator(lang)
    if wait >= 60:
        return _("too many failed sign-ins: try again in {minutes} min").format(
            minutes=i18n.number(max(1, wait // 60), lang)
        )
    return _("too many failed sign-ins: try again in {seconds} s").format(
        seconds=i18n.number(max(1, wait), lang)
    )


def unlock_account(cur: duckdb.DuckDBPyConnection, name: str, *, actor: User) -> None:
    """Forgive an account's failed sign-ins so it may sign in at once (admins; audited)."""
    require(actor, "manage_users")
    with db.transaction(cur) as tx:
        record(tx, actor, "unlock_account", name)


# --- identities from an OpenID Connect provider -----------------------------------------


def role_for_identity(
    email: str | None, groups: Iterable[str], rules: Mapping[str, str], default: str | None
) -> str | None:
    """Return the role the ``[access.roles]`` rules give an identity, or None for no access.

    A rule's key is an e-mail address, ``@domain`` for a whole domain, or
    ``group:NAME`` for a group claim. When several rules match, the highest
    role wins; when none does, ``default`` (which may be None: no access).
    """
    email = (email or "").strip().lower()
    matched = []
    for key, role in rules.items():
        key = key.strip().lower()
        if key.startswith("group:"):
            hit = key[6:] in {str(g).lower() for g in groups}
        elif key.startswith("@"):
            hit = bool(email) and email.endswith(key)
        else:
            hit = bool(email) and email == key
        if hit:
            matched.append(check_role(role))
    if matched:
        return max(matched, key=ROLES.index)
    return default


def is_loopback(address: str | None) -> bool:
    """Return True when a server address only listens on this machine.

    An unset or empty address means every interface, which is not loopback.
    """
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
