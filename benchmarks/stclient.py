"""One Streamlit app session without a browser: the websocket protocol the frontend speaks.

A session is a websocket at ``<app url>/_stcore/stream`` carrying protobufs:
``BackMsg`` from the client (here only ``rerun_script``, a ``ClientState``) and
``ForwardMsg`` from the server (``new_session`` when a run starts, ``delta``
for each element, ``navigation`` for the pages of ``st.navigation``,
``script_finished`` when the run ends). A visit to a page is one rerun
request and the run it starts, as a click in the sidebar is::

    async with await connect("http://localhost:8501") as session:
        visit = await session.visit("backlog", "period=All&region=Asia")

Nothing runs when a session connects: the frontend, too, asks for the first
run. That first request names the page by its URL path (a followed link);
later ones by the page's script hash from the app's ``navigation`` message
(a click in the sidebar).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Delta_pb2 import Delta
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as open_websocket
from websockets.exceptions import ConnectionClosed

STREAM_PATH = "_stcore/stream"
# The frontend's offer: the protocol, then its XSRF token, which the server
# checks only to read a Streamlit sign-in cookie. Without a token the
# frontend sends this placeholder in its place, so positions stay the same.
SUBPROTOCOLS = ("streamlit", "PLACEHOLDER_AUTH_TOKEN")
VISIT_TIMEOUT = 180.0
# What the frontend keeps cached unless the server's new_session says otherwise.
DEFAULT_MAX_CACHED_MESSAGE_AGE = 2


@dataclass(frozen=True)
class Visit:
    """One page load: the page's URL path, the query string sent, seconds, and any error.

    ``error`` is None for a run that finished successfully on the page asked
    for without drawing an exception or an error box.
    """

    page: str
    query: str
    seconds: float
    error: str | None = None


def stream_url(url: str) -> str:
    """Return the websocket URL of the app at ``url`` (``https://h/radar`` -> ``wss://h/radar/_stcore/stream``)."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = f"{parts.path.rstrip('/')}/{STREAM_PATH}"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


async def connect(url: str, *, open_timeout: float = 30.0) -> AppSession:
    """Open a session on the Streamlit app served at ``url``; return it, before any run.

    The handshake is a browser's on the same origin: the ``streamlit``
    subprotocol and an ``Origin`` equal to the app's own, which Streamlit
    (and a host guard in front of it) compare with the ``Host`` header.
    """
    parts = urlsplit(url)
    websocket = await open_websocket(
        stream_url(url),
        origin=f"{parts.scheme}://{parts.netloc}",
        subprotocols=list(SUBPROTOCOLS),
        open_timeout=open_timeout,
        # A page's charts can be megabytes in one message; a browser takes any size.
        max_size=None,
    )
    return AppSession(websocket, url.rstrip("/"))


class ProtocolError(Exception):
    """The server sent what a frontend could not use (a reference to an uncached message)."""


class MessageCache:
    """The frontend's ForwardMsg cache: large elements the server sends once, then by hash.

    The client lists the hashes it holds in each rerun request; the server
    replaces an element it would send again by a ``ref_hash``. A message
    unused for more than ``max_age`` finished runs is dropped, as the
    frontend drops it.
    """

    def __init__(self) -> None:
        self.max_age = DEFAULT_MAX_CACHED_MESSAGE_AGE
        self._runs = 0
        self._messages: dict[str, tuple[ForwardMsg, int]] = {}

    def hashes(self) -> list[str]:
        """Return the hashes of the messages held."""
        return list(self._messages)

    def resolve(self, msg: ForwardMsg) -> ForwardMsg:
        """Return the message ``msg`` stands for (itself unless a reference), caching it if cacheable."""
        if msg.WhichOneof("type") == "ref_hash":
            held = self._messages.get(msg.ref_hash)
            if held is None:
                raise ProtocolError(f"reference to an uncached message {msg.ref_hash}")
            self._messages[msg.ref_hash] = (held[0], self._runs)
            return held[0]
        if msg.metadata.cacheable and msg.hash and msg.hash not in self._messages:
            self._messages[msg.hash] = (msg, self._runs)
        return msg

    def run_finished(self) -> None:
        """Age the cache by one run; drop what has gone unused too long."""
        self._runs += 1
        self._messages = {
            key: held
            for key, held in self._messages.items()
            if self._runs - held[1] <= self.max_age
        }


@dataclass
class _Run:
    """What a visit has seen so far."""

    run_id: str | None = None  # the run under way, from its new_session
    page_hash: str | None = None  # the page the app's navigation says it draws
    finished: bool = False
    problem: str | None = None

    def fail(self, problem: str) -> None:
        self.problem = self.problem or problem  # the first problem is the cause


def delta_problem(delta: Delta) -> str | None:
    """Return what is wrong if ``delta`` draws an exception or an error box, else None."""
    if delta.WhichOneof("type") != "new_element":
        return None
    element = delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        return f"exception {element.exception.type}: {element.exception.message}"
    if kind == "alert" and element.alert.format == Alert.ERROR:
        return f"error box: {element.alert.body}"
    return None


class AppSession:
    """A connected app session; :meth:`visit` loads pages in it, one at a time."""

    def __init__(self, websocket: ClientConnection, url: str) -> None:
        self._websocket = websocket
        self._url = url
        self._cache = MessageCache()
        # URL path -> page script hash, from the app's last navigation message.
        self.pages: dict[str, str] = {}
        # The query string the app last put in the address bar (st.query_params).
        self.url_query = ""

    async def __aenter__(self) -> AppSession:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """Return True once the websocket is closed (by either side)."""
        return self._websocket.close_code is not None

    async def close(self) -> None:
        """Close the websocket; the server then ends the session."""
        await self._websocket.close()

    async def visit(self, page: str, query: str = "", timeout: float = VISIT_TIMEOUT) -> Visit:
        """Load ``page`` (its URL path, ``""`` for the default page) with ``query``; return the visit.

        Its time runs from sending the rerun request to the ``script_finished``
        of the run it started, ``FINISHED_SUCCESSFULLY``; a run the app ends
        with ``st.rerun`` is followed into the next. An error is an exception
        or error box drawn, a page not found or another page drawn, another
        finish status, a closed connection or no finish within ``timeout``.
        """
        run = _Run()
        began = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                await self._websocket.send(self._rerun_request(page, query).SerializeToString())
                while not run.finished:
                    msg = ForwardMsg.FromString(await self._websocket.recv())
                    self._see(self._cache.resolve(msg), run)
        except TimeoutError:
            run.fail(f"no end of the run within {timeout:g} s")
        except ConnectionClosed as closed:
            run.fail(f"connection closed ({closed})")
        except ProtocolError as error:
            run.fail(str(error))
        seconds = time.perf_counter() - began
        if run.finished and self.pages.get(page) is None:
            run.fail(f"no page {page!r} in the app's navigation")
        elif run.finished and run.page_hash != self.pages[page]:
            run.fail(f"the app drew another page than {page!r}")
        return Visit(page, query, seconds, run.problem)

    def _rerun_request(self, page: str, query: str) -> BackMsg:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        else:
            state.page_name = page  # a link followed: the server finds the page by its path
        state.cached_message_hashes.extend(self._cache.hashes())
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"{self._url}/{page}" + (f"?{query}" if query else "")
        info.is_embedded, info.color_scheme = False, "light"
        return msg

    def _see(self, msg: ForwardMsg, run: _Run) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            run.run_id = msg.metadata.run.script_run_id
            max_age = msg.new_session.config.max_cached_message_age
            self._cache.max_age = max_age or self._cache.max_age
        elif run.run_id is None:
            return  # the end of a run from before this visit (one that timed out)
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            run.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.url_query = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            run.fail("page not found")
        elif kind == "delta" and (problem := delta_problem(msg.delta)):
            run.fail(problem)
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            run.fail(f"script error: {msg.session_event.script_compilation_exception.message}")
        elif kind == "script_finished":
            self._finish(msg, run)

    def _finish(self, msg: ForwardMsg, run: _Run) -> None:
        if msg.metadata.run.script_run_id not in ("", run.run_id):
            return  # not this visit's run
        status = msg.script_finished
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            run.run_id = None  # the app asked for a rerun: the visit ends with that run
        elif status != ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                run.fail(f"run ended with {ForwardMsg.ScriptFinishedStatus.Name(status)}")
            run.finished = True
            self._cache.run_finished()
