"""Streamlit glue shared by the pages: the store connection, cached queries, widgets.

The only module besides the pages that imports Streamlit. The connection is a
``cache_resource`` (one per process, never mutated); every query takes its own
cursor, because a DuckDB connection is not thread-safe and each browser
session runs in its own thread. Query results are ``cache_data`` keyed on the
store's data version, so an import or a delete invalidates them at once.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import streamlit as st

from analytics import store
from analytics.settings import SAMPLE_SOURCE, Settings, load_settings

CACHE_TTL = 600


@st.cache_resource
def settings() -> Settings:
    """Return the process-wide settings."""
    return load_settings()


@st.cache_resource
def _connection() -> duckdb.DuckDBPyConnection:
    return store.connect(settings().db_path)


def cursor() -> duckdb.DuckDBPyConnection:
    """Return a fresh cursor on the store (one per query or per import)."""
    cur = _connection().cursor()
    cur.execute("set TimeZone = 'UTC'")
    return cur


def data_version() -> int:
    """Return the store's data version (cheap; not cached on purpose)."""
    with cursor() as cur:
        return store.data_version(cur)


@st.cache_data(ttl=CACHE_TTL, max_entries=32, show_spinner=False)
def sources_frame(version: int) -> pd.DataFrame:
    """Return the sources summary as a frame; ``version`` keys the cache."""
    del version
    with cursor() as cur:
        rows = store.list_sources(cur)
    return pd.DataFrame([r.__dict__ for r in rows])


def md_escape(text: str) -> str:
    """Return ``text`` with Markdown syntax escaped, so user text shows as typed."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", str(text))


def source_picker() -> str | None:
    """Draw the sidebar source picker; return the chosen source, or None when the store is empty."""
    frame = sources_frame(data_version())
    if frame.empty:
        st.sidebar.info("No data yet: import an export on the Data page.")
        return None
    names = frame["source"].tolist()
    default = names.index(SAMPLE_SOURCE) if SAMPLE_SOURCE in names else 0
    current = st.session_state.get("source")
    index = names.index(current) if current in names else default
    chosen = st.sidebar.selectbox("Data source", names, index=index, key="source_picker")
    st.session_state["source"] = chosen
    return chosen
