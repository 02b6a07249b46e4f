"""Who may upload, how many files, and freeing the uploads of sessions that are gone."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time


class UploadPermits:
    """Which Streamlit sessions may receive uploads, and for which sign-in session.

    The app grants a permit on every run of a session whose user may import
    and withdraws it otherwise, so the sign-in page and viewers never hold
    one. With local users the upload must also carry the cookie of the
    sign-in that was granted, so a leaked Streamlit session id is not enough.
    """

    def __init__(self, max_files: int = 5) -> None:
        self.max_files = max_files
        self._permits: dict[str, str | None] = {}
        self._files: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def grant(self, session_id: str, sid: str | None) -> None:
        """Let ``session_id`` receive uploads, from the sign-in ``sid`` (None: any)."""
        with self._lock:
            self._permits[session_id] = sid

    def withdraw(self, session_id: str) -> None:
        """Refuse uploads to ``session_id`` from now on."""
        with self._lock:
            self._permits.pop(session_id, None)
            self._files.pop(session_id, None)

    def take(self, session_id: str, file_id: str) -> bool:
        """Count one more file held by ``session_id``; return False past ``max_files``."""
        with self._lock:
            held = self._files.setdefault(session_id, set())
            if file_id not in held and len(held) >= self.max_files:
                return False
            held.add(file_id)
            return True

    def release(self, session_id: str, file_id: str) -> None:
        """Forget a file the session removed from its uploader."""
        with self._lock:
            self._files.get(session_id, set()).discard(file_id)

    def allows(self, session_id: str, sid: str | None) -> bool:
        """Return True when an upload to ``session_id`` from sign-in ``sid`` is allowed."""
        with self._lock:
            if session_id not in self._permits:
                return False
            granted = self._permits[session_id]
        return granted is None or granted == sid


UPLOADS = UploadPermits()
# A session gone this long has missed Streamlit's window to reconnect
# (two minutes): its uploads can never be read again.
UPLOAD_GRACE_S = 150.0
SWEEP_EVERY_S = 30.0


class UploadSweeper:
    """Frees the uploads of sessions that are gone.

    Streamlit keeps a closed tab's session for two minutes in case it
    reconnects, then forgets it without releasing the files uploaded to it,
    so a closed tab's uploads would stay in memory for the server's life.
    """

    def __init__(self, grace_s: float = UPLOAD_GRACE_S) -> None:
        self.grace_s = grace_s
        self._gone_since: dict[str, float] = {}

    def sweep(self, runtime, now: float) -> list[str]:
        """Free the uploads of sessions inactive for over ``grace_s``; return their ids."""
        manager = runtime.uploaded_file_mgr
        freed = []
        for session_id in list(getattr(manager, "file_storage", {})):
            if runtime.is_active_session(session_id):
                self._gone_since.pop(session_id, None)
                continue
            since = self._gone_since.setdefault(session_id, now)
            if now - since >= self.grace_s:
                manager.remove_session_files(session_id)
                UPLOADS.withdraw(session_id)
                self._gone_since.pop(session_id, None)
                freed.append(session_id)
        return freed


@contextlib.asynccontextmanager
async def lifespan(app):
    """Run the upload sweeper for as long as the server runs (``st.App``'s lifespan)."""
    from streamlit.runtime import Runtime

    sweeper = UploadSweeper()

    async def loop() -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            if Runtime.exists():
                sweeper.sweep(Runtime.instance(), time.monotonic())

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
