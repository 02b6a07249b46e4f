"""Slow results a page shows once they are ready, without holding the page up.

The overview's surge line is a backtested forecast: seconds of work, where
the rest of the page takes a fraction of one. Computed in the page's run, it
held every manager's first visit of the overview for those seconds, and
twenty managers opening it together waited for twenty forecasts. Started in
the background instead, the page draws at once, says the line is on its way,
and redraws when it is there; sessions asking for the same result share one
computation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from ui.cache import connection, data_version

# A marker, not a value: the result is still being computed.
PENDING = object()
# Two threads: one reads a forecast's history while the other waits for a fit
# process (analytics.forecast.workers). More would only run more history
# queries at once, in the app's own process, beside the pages' queries.
_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background")
_RESULTS: OrderedDict[tuple, Future] = OrderedDict()
_LOCK = threading.Lock()
MAX_RESULTS = 256
POLL_SECONDS = 1.0


def soon(function: Callable, *args, **kwargs):
    """Return ``function(connection, *args, **kwargs)`` once computed, else :data:`PENDING`.

    The first call for a data version and arguments starts the computation
    in the background; later calls, from any session, find it running or done.
    A computation that failed raises here, once, and is started again by the
    next call. Arguments are as for :func:`ui.cache.cached`.
    """
    # Selections and settings are frozen dataclasses, whose repr is their value;
    # settings hold mappings, which do not hash.
    key = (function.__module__, function.__qualname__, data_version(),
           repr(args), repr(sorted(kwargs.items())))  # fmt: skip
    with _LOCK:
        future = _RESULTS.get(key)
        if future is None:
            future = _RESULTS[key] = _THREADS.submit(function, connection(), *args, **kwargs)
            while len(_RESULTS) > MAX_RESULTS:
                _RESULTS.popitem(last=False)
        _RESULTS.move_to_end(key)
    if not future.done():
        return PENDING
    if future.exception() is not None:
        with _LOCK:
            if _RESULTS.get(key) is future:
                del _RESULTS[key]
    return future.result()


def show_when_ready(
    function: Callable, *args, draw: Callable[[object], None], waiting: str, **kwargs
) -> None:
    """Draw ``soon(function, ...)`` with ``draw`` now if it is ready, else ``waiting``
    until it is, then the page again with it."""
    value = soon(function, *args, **kwargs)
    if value is not PENDING:
        draw(value)
        return

    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        if soon(function, *args, **kwargs) is PENDING:
            st.caption(waiting)
        else:
            st.rerun()

    poll()
