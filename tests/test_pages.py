"""Every page renders through the real frame (Streamlit AppTest) against a real store."""

from pathlib import Path

import pytest
import streamlit as st
from conftest import NYC311, ROOT
from streamlit.testing.v1 import AppTest

from analytics import importer, store

APP = str(ROOT / "app.py")


@pytest.fixture
def app_with_db(tmp_path, monkeypatch):
    """Return a function that builds an AppTest on a fresh database, optionally filled."""

    def build(*files: Path) -> AppTest:
        db = tmp_path / "pages.duckdb"
        con = store.connect(db)
        for path in files:
            importer.import_file(con, path)
        con.close()
        monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
        # The connection is a process-wide resource: drop the previous test's.
        st.cache_resource.clear()
        st.cache_data.clear()
        return AppTest.from_file(APP, default_timeout=60)

    yield build
    st.cache_resource.clear()


def test_overview_on_an_empty_store_points_to_the_data_page(app_with_db):
    at = app_with_db().run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert "The store is empty" in at.info[0].value


@pytest.mark.skipif(not NYC311.exists(), reason="../shared/realdata is not beside the repo")
def test_overview_shows_the_selected_source_counts(app_with_db):
    at = app_with_db(NYC311).run()
    assert not at.exception
    assert at.sidebar.selectbox(key="source_picker").value == "nyc311_2023-02-28"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tickets"] == "4,999"
    assert metrics["Open now"] == "545"
    assert metrics["First ticket"] == "2023-02-28"


@pytest.mark.skipif(not NYC311.exists(), reason="../shared/realdata is not beside the repo")
def test_data_page_lists_sources_with_counts(app_with_db):
    at = app_with_db(NYC311).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.title[0].value == "Data"
    table = at.table[0].value
    assert table.loc["nyc311_2023-02-28", "Tickets"] == 4999
    assert table.loc["nyc311_2023-02-28", "Open"] == 545


def test_data_page_on_an_empty_store_says_so(app_with_db):
    at = app_with_db().run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert any(m.value == "No source yet." for m in at.markdown)
