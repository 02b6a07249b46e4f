"""Sending what the jobs produce: e-mail through the ``[smtp]`` server, JSON to chat webhooks.

:func:`send_mail` and :func:`post_webhook` try once and raise
:class:`DeliveryError`. The :class:`Outbox` is what the jobs use: a message
that cannot go now is written to ``<state_dir>/outbox`` and retried with
backoff by every worker loop (:meth:`Outbox.retry_due`), so a mail server
that is down for an hour delays the report instead of losing it. After a day
of failures the files move to ``outbox/failed/`` and stay there.

No secret leaves this module: errors name the mail server or the webhook's
host, never a password or a webhook URL's path and query (chat webhooks
carry their token there).
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from analytics.jobs.config import Smtp

MAX_BACKOFF = timedelta(minutes=60)
GIVE_UP_AFTER = timedelta(hours=24)


class DeliveryError(Exception):
    """A message could not be delivered; the one-line message holds no secret."""


def send_mail(
    smtp: Smtp, message: EmailMessage, recipients: Sequence[str] | None = None
) -> dict[str, str]:
    """Send ``message`` through ``smtp``; return the recipients refused, each with the reply.

    The message goes to ``recipients`` (default: its To, Cc and Bcc). An
    empty dict means the server took every recipient; when it takes none, or
    the connection fails, DeliveryError is raised. ``security`` "none"
    speaks plain SMTP, "starttls" upgrades the connection and "ssl" starts
    in TLS; both check the server's certificate. The message gets
    ``From: smtp.sender`` when it has no From.
    """
    if message["From"] is None:
        message["From"] = smtp.sender
    try:
        with _connect(smtp) as server:
            if smtp.security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            refused = server.send_message(message, to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            _redact(f"mail through {smtp.host}:{smtp.port} failed: {_reason(exc)}", smtp.password)
        ) from None
    return {address: _reply(*reply) for address, reply in refused.items()}


def _connect(smtp: Smtp) -> smtplib.SMTP:
    if smtp.security == "ssl":
        return smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_s, context=ssl.create_default_context()
        )
    return smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)


def post_webhook(url: str, payload: dict, timeout_s: float = 10.0) -> None:
    """POST ``payload`` as JSON to ``url`` (Slack and Teams incoming webhooks); raises DeliveryError.

    Any answer outside 2xx is a failure. The error names the host only.
    """
    host = url_host(url)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        # the settings refuse any webhook that is not http(s)
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read(65536)
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook to {host} failed: HTTP {exc.code}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        message = f"webhook to {host} failed: {_reason(reason)}"
        raise DeliveryError(_redact(message, *_url_secrets(url))) from None
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook to {host} failed: HTTP {status}")


def url_host(url: str) -> str:
    """Return the host (and port, when given) of ``url``: what may be shown of a webhook."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    return f"{host}:{port}" if port else host


def _url_secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    return [url, parts.path if len(parts.path) > 1 else "", parts.query, parts.password or ""]


def _reason(exc: BaseException | str) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = sorted({_reply(*reply) for reply in exc.recipients.values()})
        return f"every recipient was refused ({'; '.join(replies)})"
    return str(exc) or type(exc).__name__


def _reply(code: int, text: bytes | str) -> str:
    """Return an SMTP reply as one line: ``450 4.2.1 mailbox busy``."""
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return " ".join(f"{code} {text}".split())


def _redact(text: str, *secrets: str | None) -> str:
    """Return ``text`` on one line, with each non-empty secret replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(text.split())[:500]


class Outbox:
    """Messages waiting to be delivered, in ``<state_dir>/outbox`` (0700).

    Each waiting item is a JSON sidecar ``<id>.json`` (0600: it holds the
    webhook's URL) with, for mail, the message in ``<id>.eml``. An item is
    removed only after its delivery succeeded, and files are written whole
    (temporary file, then rename), so a crash loses nothing. One worker at a
    time retries (a lock on the folder), so no item goes out twice.
    """

    def __init__(self, state_dir: Path) -> None:
        self.folder = Path(state_dir) / "outbox"
        self.failed = self.folder / "failed"

    def send_mail(
        self,
        smtp: Smtp,
        message: EmailMessage,
        *,
        run_id: int | None,
        job: str,
        now: datetime | None = None,
    ) -> dict:
        """Send ``message`` now, or queue it; return ``{"channel": "email", "to", "status"}``.

        ``to`` is the message's To addresses, comma-separated; ``status``
        "sent", or "queued" with ``waiting``, the addresses whose copy waits
        in the outbox: all of them when the server could not be reached,
        those it refused (the others have theirs) when it took some.
        """
        _complete_headers(message, smtp)
        to = ", ".join(addr for _, addr in getaddresses(message.get_all("To", [])))
        try:
            refused = send_mail(smtp, message)
        except DeliveryError as exc:
            waiting, error = None, str(exc)
        else:
            if not refused:
                return {"channel": "email", "to": to, "status": "sent"}
            waiting, error = sorted(refused), _refusal(smtp, refused)
        item = self._item(run_id, job, "email", ", ".join(waiting) if waiting else to, error, now)
        self._write(self.folder / f"{item['id']}.eml", message.as_bytes(policy=policy.SMTP))
        self._write_item(item | {"recipients": waiting})
        everyone = [addr for _, addr in getaddresses(message.get_all("To", []))]
        return {"channel": "email", "to": to, "status": "queued", "waiting": waiting or everyone}

    def send_webhook(
        self, url: str, payload: dict, *, run_id: int | None, job: str, now: datetime | None = None
    ) -> dict:
        """Post ``payload`` to ``url`` now, or queue it; return ``{"channel": "webhook", "to", "status"}``.

        ``to`` is the webhook's host: its path holds its token.
        """
        to = url_host(url)
        try:
            post_webhook(url, payload)
            return {"channel": "webhook", "to": to, "status": "sent"}
        except DeliveryError as exc:
            item = self._item(run_id, job, "webhook", to, str(exc), now)
            self._write_item(item | {"url": url, "payload": payload})
            return {"channel": "webhook", "to": to, "status": "queued"}

    def retry_due(self, smtp: Smtp | None, now: datetime) -> list[dict]:
        """Retry the queued items due at ``now``; return what became of each one tried.

        Each entry: ``{"run_id", "job", "channel", "to", "status"}``, status
        "sent", "queued" (retried again 1, 2, 4 ... up to 60 minutes after
        each failure) or "failed" (still failing a day after the first
        failure: moved to ``outbox/failed/``). Returns [] while another
        worker is retrying.
        """
        with self._lock() as locked:
            if not locked:
                return []
            tried = []
            for item in self._items(self.folder):
                if datetime.fromisoformat(item["next_try"]) <= now:
                    status = self._retry(item, smtp, now)
                    tried.append(_public(item) | {"status": status})
            return tried

    def pending(self) -> list[dict]:
        """Return the queued and failed items, oldest first, without their URLs or contents.

        Each: ``{"id", "run_id", "job", "channel", "to", "status", "attempts",
        "first_failed", "next_try", "error"}``, status "queued" or "failed".
        """
        listed = [
            _public(item) | _progress(item) | {"status": status}
            for folder, status in ((self.folder, "queued"), (self.failed, "failed"))
            for item in self._items(folder)
        ]
        return sorted(listed, key=lambda entry: entry["first_failed"])

    def _retry(self, item: dict, smtp: Smtp | None, now: datetime) -> str:
        try:
            refused = self._deliver(item, smtp)
        except DeliveryError as exc:
            refused, item["error"] = None, str(exc)
        if refused is not None and not refused:
            # the sidecar goes first: without it the item is no longer queued
            (self.folder / f"{item['id']}.json").unlink()
            (self.folder / f"{item['id']}.eml").unlink(missing_ok=True)
            return "sent"
        if refused:  # the others have their copy now: only these wait
            item |= {"recipients": sorted(refused), "to": ", ".join(sorted(refused))}
            item["error"] = _refusal(smtp, refused)
        item["attempts"] += 1
        if now - datetime.fromisoformat(item["first_failed"]) >= GIVE_UP_AFTER:
            self._give_up(item)
            return "failed"
        item["next_try"] = (now + backoff(item["attempts"])).isoformat()
        self._write_item(item)
        return "queued"

    def _deliver(self, item: dict, smtp: Smtp | None) -> dict[str, str]:
        """Deliver ``item`` once more; return the recipients refused (always none for a webhook)."""
        if item["channel"] == "webhook":
            post_webhook(item["url"], item["payload"])
            return {}
        if smtp is None:
            raise DeliveryError("no [smtp] section in the settings file: the mail cannot be sent")
        try:
            raw = (self.folder / f"{item['id']}.eml").read_bytes()
        except OSError as exc:
            raise DeliveryError(
                f"the queued message {item['id']} cannot be read: {exc.strerror}"
            ) from None
        message = BytesParser(policy=policy.default).parsebytes(raw)
        return send_mail(smtp, message, item.get("recipients"))

    def _give_up(self, item: dict) -> None:
        _mkdir(self.failed)
        self._write_item(item)
        for suffix in (".json", ".eml"):  # the sidecar first: it is what makes an item queued
            source = self.folder / f"{item['id']}{suffix}"
            if source.exists():
                os.replace(source, self.failed / source.name)

    def _item(
        self, run_id: int | None, job: str, channel: str, to: str, error: str, now: datetime | None
    ) -> dict:
        now = now or datetime.now(UTC)
        return {
            "id": f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}",
            "run_id": run_id,
            "job": job,
            "channel": channel,
            "to": to,
            "attempts": 1,
            "first_failed": now.isoformat(),
            "next_try": (now + backoff(1)).isoformat(),
            "error": error,
        }

    def _items(self, folder: Path) -> list[dict]:
        if not folder.is_dir():
            return []
        items = []
        for path in sorted(folder.glob("*.json")):
            with contextlib.suppress(OSError, ValueError):  # a stray file is not an item
                items.append(json.loads(path.read_text(encoding="utf-8")))
        return items

    def _write_item(self, item: dict) -> None:
        self._write(self.folder / f"{item['id']}.json", json.dumps(item, indent=1).encode())

    def _write(self, path: Path, data: bytes) -> None:
        _mkdir(self.folder)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[bool]:
        _mkdir(self.folder)
        with open(self.folder / ".lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after failure number ``attempts``: 1, 2, 4 ... minutes, at most 60."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 10)), MAX_BACKOFF)


def _refusal(smtp: Smtp, refused: dict[str, str]) -> str:
    """Return the one-line reason a server gave for refusing some recipients (no address)."""
    replies = "; ".join(sorted(set(refused.values())))
    return f"mail through {smtp.host}:{smtp.port}: {len(refused)} recipient(s) refused ({replies})"


def _complete_headers(message: EmailMessage, smtp: Smtp) -> None:
    # set before the first try, so a retried message keeps its identity and date
    if message["From"] is None:
        message["From"] = smtp.sender
    if message["Date"] is None:
        message["Date"] = formatdate(localtime=False)
    if message["Message-ID"] is None:
        message["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2])


def _public(item: dict) -> dict:
    return {key: item[key] for key in ("run_id", "job", "channel", "to")}


def _progress(item: dict) -> dict:
    keys = ("id", "attempts", "first_failed", "next_try", "error")
    return {key: item.get(key) for key in keys}


def _mkdir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)  # mkdir's mode is masked by the umask
