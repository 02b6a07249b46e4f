"""The app under Streamlit's AppTest, on a store a test has written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from conftest import ROOT
from streamlit.testing.v1 import AppTest

APP = str(ROOT / "app.py")
# Every page of the app, so a new page is covered without a change here.
PAGES = tuple(sorted(f"pages/{path.name}" for path in (ROOT / "pages").glob("*.py")))


def app_on(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """Yield an AppTest of app.py on store ``db``, in single-user mode (for a fixture)."""
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "no-users.json"))
    # The connection is a process-wide resource: drop the previous test's.
    st.cache_resource.clear()
    st.cache_data.clear()
    yield AppTest.from_file(APP, default_timeout=180)
    st.cache_resource.clear()


def open_page(at: AppTest, page: str) -> AppTest:
    """Run the app, switch to ``page`` and choose the whole history in the sidebar."""
    at.run()
    at.switch_page(page).run()
    at.pills(key="period").set_value("All").run()
    return at


def fresh_app(
    db: Path | str, monkeypatch: pytest.MonkeyPatch, timeout: float = 180, lang: str | None = None
) -> AppTest:
    """Return app.py under AppTest on store ``db``, not run yet, with the caches of earlier
    tests dropped; ``lang`` goes into its link (``?lang=fr``)."""
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=timeout)
    if lang:
        at.query_params["lang"] = lang
    return at


def page_on(db: Path | str, page: str, monkeypatch: pytest.MonkeyPatch, timeout: float = 180):
    """Return app.py under AppTest on store ``db``, run and switched to ``page``."""
    at = fresh_app(db, monkeypatch, timeout)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return at
