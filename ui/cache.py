"""The store connection, and query results cached on the store's data version."""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import threading
import zoneinfo
from datetime import date, timedelta

import duckdb
import pandas as pd
import streamlit as st

from analytics import events, lake, metrics, replica, store
from analytics.forecast import workers
from analytics.settings import Settings, load_settings
from ui.text import md_escape

CACHE_TTL = 600
_log = logging.getLogger(__name__)


@st.cache_resource
def settings() -> Settings:
    """Return the process-wide settings."""
    return load_settings()


def _says_store_failures(function):
    """Wrap ``function`` so that the store failing under it (its catalog gone, a data
    file removed) ends the run with one line instead of a traceback."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except duckdb.Error as exc:
            if (line := lake.describe_failure(exc)) is None:
                raise
            st.error(md_escape(line), icon=":material/cloud_off:")
            st.stop()

    return guarded


@st.cache_resource
def start_fit_workers() -> int:
    """Start this process's model-fit workers, once (``[forecast] workers``); return how many."""
    return workers.start(settings().forecast.workers)


@st.cache_resource
def connection() -> duckdb.DuckDBPyConnection:
    return store.open_configured(settings())


def warm_up() -> int | None:
    """Open the store and bring this process's copy of the tickets up to date; return
    the snapshot copied, or None when the store cannot be read yet.

    The server calls it once at start, in a thread of its own: the first copy
    of a big store takes tens of seconds (``docs/deploy.md``), which the first
    manager to open a page would otherwise wait through. A page that comes
    while it runs waits for the same copy, not for a second one.
    """
    try:
        return replica.sync(connection())
    except (duckdb.Error, lake.CatalogError, store.OldStoreError) as exc:
        # The page says why (store_problem); the log keeps the exception's kind only.
        _log.warning("the store could not be read at start: %s", type(exc).__name__)
        connection.clear()
        return None


@_says_store_failures
def cursor() -> duckdb.DuckDBPyConnection:
    """Return a fresh cursor on the store (one per query or per import)."""
    return store.cursor(connection())


@_says_store_failures
def data_version() -> int:
    """Return the store's data version, read once per run of the app's frame.

    Every cached call keys on it; a page asks for it a dozen times a run, and
    a write ends its run with ``st.rerun()``, so the next run reads it afresh.
    """
    if getattr(_frame, "active", False) and getattr(_frame, "version", None) is not None:
        return _frame.version
    with cursor() as cur:
        version = store.data_version(cur)
    if getattr(_frame, "active", False):
        _frame.version = version
    return version


@_says_store_failures
@st.cache_data(ttl=CACHE_TTL, max_entries=32, show_spinner=False)
def sources_frame(version: int) -> pd.DataFrame:
    """Return the sources summary as a frame; ``version`` keys the cache."""
    del version
    with cursor() as cur:
        rows = store.list_sources(cur)
    return pd.DataFrame([r.__dict__ for r in rows])


@_says_store_failures
@st.cache_data(ttl=CACHE_TTL, max_entries=32, show_spinner=False)
def source_facts(source: str, version: int) -> tuple[metrics.SourceSpan, dict[str, list[str]]]:
    del version
    con = connection()
    return metrics.source_span(con, source), metrics.filter_values(con, source)


@st.cache_data(ttl=CACHE_TTL, max_entries=512, show_spinner=False)
def _cached_call(path: str, version: int, args: tuple, kwargs: tuple, _checks: tuple = ()):
    del version
    module_name, _, name = path.rpartition(".")
    # Only library functions are called this way, never anything a URL could name.
    if not module_name.startswith("analytics."):
        raise ValueError(f"not a library function: {path}")
    function = getattr(importlib.import_module(module_name), name)
    return function(connection(), *args, **dict(kwargs), **dict(_checks))


@_says_store_failures
def cached(function, *args, **kwargs):
    """Return ``function(connection, *args, **kwargs)``, cached on the store's data version.

    ``function`` is an ``analytics`` function taking the store connection
    first; its arguments must be hashable by Streamlit (frozen dataclasses,
    tuples, strings, dates, numbers). A callable keyword argument (a check
    such as :func:`session_ended`) is passed on but is no part of the key.
    """
    path = f"{function.__module__}.{function.__qualname__}"
    keyed = tuple(sorted((k, v) for k, v in kwargs.items() if not callable(v)))
    checks = tuple((k, v) for k, v in kwargs.items() if callable(v))
    return _cached_call(path, data_version(), args, keyed, checks)


def metric(name: str, selection: metrics.Selection, **params):
    """Return ``analytics.metrics.<name>(selection, **params)``, cached on the data version."""
    return cached(getattr(metrics, name), selection, settings=settings(), **params)


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _events(
    first_day: date, last_day: date, regions: tuple, source: str, version: int
) -> pd.DataFrame:
    del version
    return events.events_in_range(connection(), first_day, last_day, regions, source=source)


@_says_store_failures
def events_for(selection: metrics.Selection) -> pd.DataFrame:
    """Return the selected source's events overlapping the selection, for chart bands.

    A source's charts show its own events and every source's, never another source's.
    """
    zone = zoneinfo.ZoneInfo(selection.tz)
    first = selection.start.astimezone(zone).date()
    last = (selection.end.astimezone(zone) - timedelta(microseconds=1)).date()
    return _events(first, last, selection.regions, selection.source, data_version())


_frame = threading.local()


def store_problem() -> str | None:
    """Return one line saying why the store cannot serve this run, or None when it can.

    The catalog may be unreachable (a PostgreSQL server stopped: the next run
    tries again, no restart needed), or the configured path may be a store
    of the format before DuckLake.
    """
    try:
        # The run's snapshot id, which the frame's data_version() then reuses. The
        # local copy answers it from a stat of the catalog while nothing commits.
        _frame.version = replica.sync(connection())
    except (lake.CatalogError, store.OldStoreError) as exc:
        connection.clear()
        return str(exc)
    except duckdb.Error as exc:
        if (line := lake.describe_failure(exc)) is None:
            raise
        return line
    return None


def in_frame() -> bool:
    """Return True while app.py's frame runs this script run (see :func:`frame`)."""
    return getattr(_frame, "active", False)


def frame_user():
    """Return who app.py let into this run (see :func:`frame`), or None outside the frame."""
    return getattr(_frame, "user", None) if in_frame() else None


@contextlib.contextmanager
def frame(user=None):
    """Mark the current script run as passing through app.py's frame, for ``user``.

    app.py checks who is asking once per run; the pages then ask the frame
    instead of checking the sign-in (and its revocation) a second time.
    """
    # Keeps the snapshot id store_problem() read at the top of this run.
    _frame.active, _frame.user = True, user
    try:
        yield
    finally:
        _frame.active, _frame.version, _frame.user = False, None, None
