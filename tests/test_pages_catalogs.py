"""Every page on both catalogs: the app on an embedded store and on a PostgreSQL one.

A small simulated desk is imported with its events; each page then opens
under AppTest on the whole history, with no exception and no error, and the
managers' pages show the same figures on both catalogs.
"""

from __future__ import annotations

from datetime import date

import pytest
import streamlit as st
from apptest import APP, PAGES, open_page
from streamlit.testing.v1 import AppTest

from analytics import events, ingest, store
from analytics.settings import load_settings


@pytest.fixture(scope="module")
def desk(sample_desk):
    return sample_desk(start=date(2024, 1, 1), years=0.3, scale=0.05)


@pytest.fixture
def app(store_location, desk, tmp_path, monkeypatch):
    con = store.connect(**store_location)
    ingest.import_file(con, desk.tickets_csv, source="sample", settings=load_settings())
    events.import_events_csv(con, desk.events_csv, source="sample")
    con.close()
    if store_location.get("catalog"):
        monkeypatch.setenv("BACKLOG_RADAR_CATALOG", store_location["catalog"])
        monkeypatch.setenv("BACKLOG_RADAR_DATA_PATH", str(store_location["data_path"]))
    else:
        monkeypatch.setenv("BACKLOG_RADAR_DB", str(store_location["path"]))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "no-users.json"))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield AppTest.from_file(APP, default_timeout=180)
    st.cache_resource.clear()


FIGURES: dict[str, list[str]] = {}


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/backlog.py"])
def test_the_managers_pages_show_the_same_figures_on_both_catalogs(app, page, store_location):
    at = open_page(app, page)
    assert not at.exception and not at.error
    figures = [f"{m.label}={m.value}" for m in at.metric]
    assert figures
    seen = FIGURES.setdefault(page, figures)
    assert seen == figures  # the second catalog's run against the first's


# On PostgreSQL only: test_pages.py opens every page on the embedded store.
@pytest.mark.parametrize("store_location", ["postgres"], indirect=True)
@pytest.mark.parametrize(
    "page", [p for p in PAGES if p not in ("pages/overview.py", "pages/backlog.py")]
)
def test_every_other_page_opens_without_an_error_on_postgresql(app, page):
    at = app.run()
    at.switch_page(page).run()
    assert not at.exception and not at.error
