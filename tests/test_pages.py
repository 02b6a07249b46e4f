"""Every page renders through the real frame (Streamlit AppTest) against a real store."""

import json
from pathlib import Path

import exports
import pytest
import streamlit as st
from conftest import NYC311, ROOT
from streamlit.testing.v1 import AppTest

import ui
from analytics import ingest, metrics, store
from analytics.settings import load_settings
from ui import filters

APP = str(ROOT / "app.py")
PAGES = (
    "pages/overview.py",
    "pages/response_times.py",
    "pages/agents.py",
    "pages/backlog.py",
    "pages/seasonality.py",
    "pages/forecast.py",
    "pages/staffing.py",
    "pages/data.py",
    "pages/events.py",
    "pages/weekly_report.py",
    "pages/access.py",
)
NYC = "nyc311_2023-02-28"


@pytest.fixture(scope="module")
def filled_stores(tmp_path_factory):
    """Return a function giving the store holding ``files``, imported once for the module."""
    built: dict[tuple[Path, ...], Path] = {}

    def filled(files: tuple[Path, ...]) -> Path:
        if files not in built:
            db = tmp_path_factory.mktemp("pages") / "pages.sqlite"
            con = store.connect(db)
            for path in files:
                ingest.import_file(con, path, settings=load_settings())
            con.close()
            built[files] = db
        return built[files]

    return filled


@pytest.fixture
def app_with_db(filled_stores, tmp_path, monkeypatch):
    """Return a function that builds an AppTest on a database of the test's own, optionally filled.

    The database is a copy of one imported once for the module: an import of
    the 311 export costs seconds, a copy a fraction of one.
    """

    def build(*files: Path) -> AppTest:
        db = exports.copy_store(filled_stores(files), tmp_path / "pages.sqlite")
        monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
        # No users file: single-user mode, whatever the developer's data/ holds.
        monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "no-users.json"))
        # The connection is a process-wide resource: drop the previous test's.
        st.cache_resource.clear()
        st.cache_data.clear()
        return AppTest.from_file(APP, default_timeout=60)

    yield build
    st.cache_resource.clear()


def settled(at: AppTest) -> AppTest:
    """Run the app, then address the overview by its page: AppTest's first run is the
    entry script's, and widget state set then does not survive the switch to a page."""
    at.run()
    return at.switch_page("pages/overview.py").run()


def open_filters(at: AppTest) -> AppTest:
    """Open the sidebar's Filters expander (what a click does) and rerun."""
    at.session_state["filters"] = True
    return at.run()


def expected_overview(db: Path, **filters) -> metrics.OverviewFigures:
    con = store.connect(db)
    try:
        span = metrics.source_span(con, NYC)
        start, end = metrics.period(span.first_created_at.date(), span.as_of.date(), "UTC")
        return metrics.overview(con, metrics.Selection(NYC, start, end, **filters))
    finally:
        con.close()


def test_overview_on_an_empty_store_points_to_the_data_page(app_with_db):
    at = app_with_db().run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert any("The store is empty" in i.value for i in at.info)
    # The page stops early; the sidebar is drawn all the same.
    assert any("No data yet" in i.value for i in at.sidebar.info)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_store_without_error(app_with_db, page):
    at = app_with_db().run()
    at.switch_page(page).run()
    assert not at.exception
    assert not at.error


needs_nyc = pytest.mark.skipif(
    not NYC311.exists(), reason="../shared/realdata is not beside the repo"
)


@needs_nyc
def test_overview_cards_follow_the_period_and_filters(app_with_db, tmp_path):
    at = settled(app_with_db(NYC311))
    assert at.pills(key="source").value == NYC
    at.pills(key="period").set_value("All").run()
    assert not at.exception
    cards = {m.label: m.value for m in at.metric}
    everything = expected_overview(tmp_path / "pages.sqlite")
    assert cards["Tickets created"] == f"{everything.created:,}" == "4,999"
    # 311 exports carry no first response
    assert cards["Median first response"] == "—"  # and "not in this source" under it

    assert not at.multiselect  # the filters are drawn only while their expander is open
    open_filters(at).multiselect(key="filter_region").set_value(["BROOKLYN"]).run()
    cards = {m.label: m.value for m in at.metric}
    brooklyn = expected_overview(tmp_path / "pages.sqlite", regions=("BROOKLYN",))
    assert cards["Tickets created"] == f"{brooklyn.created:,}"
    assert brooklyn.created < everything.created
    assert at.query_params["region"] in ("BROOKLYN", ["BROOKLYN"])


@needs_nyc
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_real_data_with_filters(app_with_db, page):
    at = settled(app_with_db(NYC311))
    at.pills(key="period").set_value("All").run()
    open_filters(at).multiselect(key="filter_channel").set_value(["phone", "web"]).run()
    at.switch_page(page).run()
    assert not at.exception
    assert not at.error


@needs_nyc
def test_response_times_page_offers_the_breakdowns(app_with_db):
    at = settled(app_with_db(NYC311))
    at.pills(key="period").set_value("All").run()
    at.switch_page("pages/response_times.py").run()
    assert not at.exception
    assert at.title[0].value == "Response times"
    dims = at.get("button_group")
    assert dims, "the breakdown selector is drawn"


def french(at: AppTest, page: str) -> AppTest:
    """Run ``page`` over the whole history with ``?lang=fr``."""
    at.query_params["lang"] = "fr"
    at = settled(at)
    at.pills(key="period").set_value("All").run()
    at.switch_page(page).run()
    assert not at.exception
    return at


@needs_nyc
def test_response_times_page_speaks_french(app_with_db):
    at = french(app_with_db(NYC311), "pages/response_times.py")
    assert at.title[0].value == "Délais de réponse"
    assert at.main.segmented_control[0].label == "Évolution par"
    assert at.main.segmented_control[0].options == ["Jour", "Semaine"]
    # 311 exports carry no first response: said in French, with the reason
    assert any(
        i.value.startswith("Délai de première réponse\u202f: absent de cette source.")
        and "Cette source n'a pas de délais de première réponse" in i.value
        for i in at.info
    )
    (spec,) = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert spec["layout"]["title"]["text"] == (
        "Délai de résolution, médiane et p90 (par date de création)"
    )
    assert spec["layout"]["separators"] == ",\u202f"
    assert [trace["name"] for trace in spec["data"]] == ["Médiane", "p90"]


@needs_nyc
def test_backlog_page_speaks_french_with_french_numbers(app_with_db):
    at = french(app_with_db(NYC311), "pages/backlog.py")
    assert at.title[0].value == "Backlog"
    cards = {m.label: m.value for m in at.metric}
    # thousands with a narrow no-break space, decimals with a comma
    assert cards["Ouverts en fin de période"] == "1\u202f357"
    assert "," in cards["Résolus par jour (28 derniers jours)"]
    assert "." not in cards["Résolus par jour (28 derniers jours)"]
    assert "Quand le backlog s'accumule" in [h.value for h in at.subheader]
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    titles = [spec["layout"]["title"]["text"] for spec in specs]
    assert "Backlog (par date de l'événement)" in titles
    assert "Backlog ouvert par âge (par date de l'événement)" in titles
    heatmap = next(spec for spec in specs if spec["data"][0]["type"] == "heatmap")
    assert heatmap["data"][0]["y"] == ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
    age = next(spec for spec in specs if "âge" in spec["layout"]["title"]["text"])
    assert age["data"][0]["x"][0] == "&lt; 1 jour"  # plain text: Plotly shows "<"
    assert age["layout"]["yaxis"]["tickformat"] == ",d"


@needs_nyc
def test_data_page_lists_sources_with_counts(app_with_db):
    at = app_with_db(NYC311).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.title[0].value == "Data"
    table = at.table[0].value  # Markdown cells: the name escaped, so that it shows as typed
    assert table.loc[ui.md_escape(NYC), "Tickets"] == "4,999"
    assert table.loc[ui.md_escape(NYC), "Open"] == "545"
    assert " Feb 2023, " in table.loc[ui.md_escape(NYC), "First created"]  # readable, not ISO


@needs_nyc
def test_data_page_in_french_counts_and_dates_the_french_way(app_with_db):
    at = app_with_db(NYC311)
    at.query_params["lang"] = "fr"
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.title[0].value == "Données"
    assert [h.value for h in at.header] == ["Sources", "Modifications récentes"]
    table = at.table[0].value
    assert list(table.columns[:2]) == ["Tickets", "Ouverts"]
    assert table.loc[ui.md_escape(NYC), "Tickets"] == "4\u202f999"
    assert ui.md_escape(" févr. 2023, ") in table.loc[ui.md_escape(NYC), "Première création"]
    changes = at.table[1].value
    assert list(changes.columns) == ["Qui", "Quoi", "Sur", "Modifications"]
    assert changes["Quoi"].iloc[0] == ui.md_escape("import n° 1")


def test_data_page_on_an_empty_store_says_so(app_with_db):
    at = app_with_db().run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert any(m.value == "No source yet." for m in at.markdown)


@needs_nyc
def test_a_filter_still_applies_when_its_expander_is_closed(app_with_db, tmp_path):
    at = settled(app_with_db(NYC311))
    at.pills(key="period").set_value("All").run()
    open_filters(at).multiselect(key="filter_region").set_value(["BROOKLYN"]).run()
    at.session_state["filters"] = False
    at.run()
    assert not at.exception and not at.multiselect
    brooklyn = expected_overview(tmp_path / "pages.sqlite", regions=("BROOKLYN",))
    cards = {m.label: m.value for m in at.metric}
    assert cards["Tickets created"] == f"{brooklyn.created:,}"
    assert "Filtered: Region BROOKLYN" in [c.value for c in at.sidebar.caption]


@needs_nyc
def test_the_time_zone_is_chosen_in_its_expander_and_applies_to_the_selection(app_with_db):
    at = settled(app_with_db(NYC311))
    assert not at.selectbox  # one source, the zone box closed: no dropdown on the page
    # The desk's zone from the settings, whatever the browser's.
    assert "Time zone: Europe/Paris" in [e.label for e in at.sidebar.expander]
    at.session_state["tz_box"] = True
    at.run().selectbox(key="tz").set_value("America/New_York").run()
    assert not at.exception
    assert at.query_params["tz"] in ("America/New_York", ["America/New_York"])
    assert "Time zone: America/New_York" in [e.label for e in at.sidebar.expander]
    # The box closed on the choice, which stays and applies to the pages.
    assert not at.selectbox
    at.switch_page("pages/backlog.py").run()
    assert not at.exception and not at.selectbox
    assert any("Weekdays and hours in America/New_York." in c.value for c in at.caption)


@needs_nyc
def test_many_sources_are_a_dropdown_few_are_buttons(app_with_db, monkeypatch, tmp_path):
    second = tmp_path / "second.csv"
    second.write_bytes(NYC311.read_bytes())
    at = settled(app_with_db(NYC311, second))
    # A pill's option is Markdown: the name escaped, so that it shows as typed.
    pills = [p.options for p in at.sidebar.pills if p.key == "source"]
    assert pills == [[ui.md_escape(NYC), "second"]]
    monkeypatch.setattr(filters, "MAX_SOURCE_BUTTONS", 1)
    at.run()
    assert at.selectbox(key="source").options == [NYC, "second"]
    at.selectbox(key="source").set_value("second").run()
    assert not at.exception
    assert at.query_params["source"] in ("second", ["second"])
