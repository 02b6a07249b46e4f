"""The managers' pages in a real browser, on the real ServiceNow log.

Each test opens the app through its frame, as a person does, waits for the
charts, and checks what a manager reads: the numbers on the cards (against
the metric functions on the same database), the charts drawn, no error box.
"""

import re
from urllib.parse import quote

import exports
import pytest
from conftest import SERVICENOW_LOG, AppServer, choose, screenshot, wait_until_idle
from playwright.sync_api import expect

from analytics import ingest, metrics, store
from analytics.settings import load_settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not SERVICENOW_LOG.exists(), reason="../shared/realdata is not beside the repo"
    ),
]
SOURCE = "incident_event_log"


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """A store holding the UCI ServiceNow log, and the overview figures a manager should see."""
    db = tmp_path_factory.mktemp("pages") / "pages.sqlite"
    con = store.connect(db)
    ingest.import_file(con, SERVICENOW_LOG, settings=load_settings())
    span = metrics.source_span(con, SOURCE)
    start, end = metrics.period(span.first_created_at.date(), span.as_of.date(), "UTC")
    expected = {
        "all": metrics.overview(con, metrics.Selection(SOURCE, start, end)),
        "one_region": metrics.overview(
            con, metrics.Selection(SOURCE, start, end, regions=("Location 204",))
        ),
        "clear": metrics.days_to_clear(con, metrics.Selection(SOURCE, start, end)),
    }
    con.close()
    return db, expected


@pytest.fixture(scope="module")
def server(real_store):
    """One app for the module: the pages only read."""
    app = AppServer(real_store[0]).start()
    yield app
    app.stop()


def open_page(page, server, name: str, query: str = f"?source={SOURCE}&period=All") -> None:
    page.goto(server.url + "/" + query)
    page.get_by_test_id("stSidebar").get_by_text("Backlog Radar").wait_for()
    if name != "Overview":
        page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=name, exact=True).wait_for()


def wait_for_charts(page, count: int) -> None:
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')]"
        f".filter(p => p.querySelector('.main-svg')).length >= {count}",
        timeout=60_000,
    )
    page.wait_for_load_state("networkidle")


def card(page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label).first
    return metric.get_by_test_id("stMetricValue").inner_text()


def assert_no_error(page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stAlertContentError").count() == 0


def test_overview_cards_match_the_metrics_and_the_chart_is_drawn(real_store, server, page):
    _, expected = real_store
    open_page(page, server, "Overview")
    wait_for_charts(page, 1)
    figures = expected["all"]
    assert card(page, "Tickets created") == f"{figures.created:,}"
    assert card(page, "Tickets resolved") == f"{figures.resolved:,}"
    assert card(page, "Median first response") == f"{figures.frt_median_h:,.1f}\u00a0h"
    assert card(page, "p90 first response") == f"{figures.frt_p90_h:,.1f}\u00a0h"
    assert card(page, "SLA attainment") == f"{figures.sla_pct:.1f}%"
    assert card(page, "Backlog now") == f"{figures.backlog_open:,}"
    assert page.get_by_text("Tickets created (by creation date) and resolved").count() == 1
    # a run's later elements may follow the drawn chart: wait for them, do not look once
    page.get_by_role("heading", name="What changed").wait_for()
    page.get_by_text(re.compile("Next surge|No surge expected")).first.wait_for()
    assert_no_error(page)
    screenshot(page, "overview")


def test_the_verdict_is_read_first_and_agrees_with_the_cards(real_store, server, page):
    _, expected = real_store
    open_page(page, server, "Overview")
    wait_for_charts(page, 1)
    figures = expected["all"]
    # over the whole history there is no earlier period: the figures without a trend
    verdict = page.get_by_text(re.compile(r"^Backlog: "))
    expect(verdict).to_be_visible()
    text = verdict.inner_text().replace("\u200b", "")
    assert f"Backlog: {figures.backlog_open:,} open" in text
    assert card(page, "Backlog now") == f"{figures.backlog_open:,}"
    median = card(page, "Median first response")
    assert f"first replies {median} against a 6\u00a0h target." in text
    # above the cards: the first thing read under the title
    first_card = page.get_by_test_id("stMetric").first
    assert verdict.bounding_box()["y"] < first_card.bounding_box()["y"]
    assert_no_error(page)


def test_filters_travel_in_the_url_and_change_the_cards(real_store, server, page):
    _, expected = real_store
    query = f"?source={SOURCE}&period=All&region={quote('Location 204')}"
    open_page(page, server, "Overview", query)
    wait_for_charts(page, 1)
    assert card(page, "Tickets created") == f"{expected['one_region'].created:,}"
    assert "region=Location+204" in page.url or "region=Location%20204" in page.url


def test_a_filter_picked_in_the_sidebar_applies_and_stays_when_its_expander_closes(
    real_store, server, page
):
    _, expected = real_store
    open_page(page, server, "Overview")
    wait_for_charts(page, 1)
    sidebar = page.get_by_test_id("stSidebar")
    # drawn only once the expander is open
    assert sidebar.get_by_role("combobox", name="Region").count() == 0
    sidebar.get_by_text("Filters", exact=True).click()
    region = sidebar.get_by_role("combobox", name="Region")
    expect(region).to_be_visible()
    wait_until_idle(page)
    choose(page, region, "Location 204")
    page.wait_for_url("**region=Location**")
    created = f"{expected['one_region'].created:,}"
    page.wait_for_function(
        "v => [...document.querySelectorAll('[data-testid=stMetric]')].some("
        "m => m.innerText.includes('Tickets created') && m.innerText.includes(v))",
        arg=created,
    )
    sidebar.get_by_text("Filters", exact=True).click()
    sidebar.get_by_text("Filtered: Region Location 204").wait_for()
    expect(sidebar.get_by_role("combobox", name="Region")).to_have_count(0)
    assert card(page, "Tickets created") == created
    assert_no_error(page)


def test_response_times_page_draws_every_chart(server, page):
    open_page(page, server, "Response times")
    wait_for_charts(page, 5)
    for title in (
        "First response time, median and p90",
        "Resolution time, median and p90",
        "First response time distribution",
        "First responses within the 6 h target",
        "First response by region",
    ):
        page.get_by_text(title).first.wait_for()
    expect(page.get_by_role("heading", name="Slowest tickets")).to_be_visible()
    expect(page.get_by_role("button", name="Download the slowest tickets (CSV)")).to_be_visible()
    # the table is drawn when its expander opens
    assert page.get_by_test_id("stDataFrame").count() == 0
    page.get_by_text("tickets, slowest first").click()
    page.get_by_test_id("stDataFrame").wait_for()
    assert_no_error(page)
    screenshot(page, "response_times")


def test_staffing_plans_the_logs_own_locations_and_runs_the_what_if(server, page):
    # A tall window: the team list opens downwards, and the list draws only the
    # options that fit on the screen.
    page.set_viewport_size({"width": 1400, "height": 2400})
    open_page(page, server, "Staffing and what-if")
    wait_for_charts(page, 2)
    wait_until_idle(page)
    team = page.get_by_role("combobox", name="Team")
    team.scroll_into_view_if_needed()
    team.click()
    # The list draws after the click: on a loaded machine, not at once.
    page.get_by_role("option").first.wait_for()
    options = set(page.get_by_role("option").all_inner_texts())
    page.keyboard.press("Escape")
    # The log's own locations (its busiest eleven), none of the sample's regions.
    assert len(options) == 11
    assert all(re.fullmatch(r"Location \d+", option) for option in options)
    wait_until_idle(page)
    page.get_by_role("button", name="Run the what-if").click()
    table = page.get_by_test_id("stDataFrame").last
    expect(table).to_contain_text("Scenario", timeout=180_000)
    assert_no_error(page)
    screenshot(page, "staffing")


def test_backlog_page_shows_days_to_clear_and_the_heatmaps(real_store, server, page):
    _, expected = real_store
    open_page(page, server, "Backlog")
    wait_for_charts(page, 2)
    resolved = expected["clear"]["resolved_per_day"]
    assert card(page, "Resolved per day (last 28 days)") == f"{resolved:,.1f}"
    assert page.get_by_text("Backlog (by event date)").count() == 1
    assert page.get_by_text("Mean tickets created per hour").count() == 1
    page.get_by_role("tab", name="Open backlog").click()
    page.get_by_text("Mean open backlog at the end of the hour").wait_for()
    assert_no_error(page)
    screenshot(page, "backlog")


def test_a_shared_link_opened_first_after_a_restart_shows_the_page_in_its_frame(
    real_store, page, tmp_path
):
    # Until a session has run app.py, Streamlit takes the pages/ folder for
    # the app: this deep link used to open without the frame, with the file
    # names as navigation and a narrow page. On a copy of the store: the
    # module's server holds the file's lock.
    db = tmp_path / "restarted.sqlite"
    exports.copy_store(real_store[0], db)
    fresh = AppServer(db).start()
    try:
        page.goto(f"{fresh.url}/response_times?source={SOURCE}&period=All")
        page.get_by_role("heading", name="Response times", exact=True).wait_for()
        wait_for_charts(page, 5)
        wait_until_idle(page)
        navigation = page.get_by_test_id("stSidebarNav")
        expect(navigation.get_by_role("link", name="Weekly report", exact=True)).to_be_visible()
        expect(navigation.get_by_role("link", name="app", exact=True)).to_have_count(0)
        assert page.get_by_test_id("stMainBlockContainer").bounding_box()["width"] > 1000
        expect(page.get_by_test_id("stSidebar").get_by_text("Backlog Radar")).to_be_visible()
        assert "period=All" in page.url and "/response_times" in page.url
        assert_no_error(page)
        screenshot(page, "deep_link_after_restart")
    finally:
        fresh.stop()


def test_sidebar_choices_survive_moving_between_pages(server, page):
    open_page(page, server, "Overview", f"?source={SOURCE}")
    wait_for_charts(page, 1)
    sidebar = page.get_by_test_id("stSidebar")
    # The log's last months hold a trickle: it opens on the 90 days before it.
    expect(sidebar.get_by_role("radio", name="Custom", exact=True)).to_be_checked()
    assert "from=2016-03-08&to=2016-06-05" in page.url
    sidebar.get_by_role("radio", name="All", exact=True).click()
    page.wait_for_url("**period=All**")
    # The zone list is drawn when its expander opens; the choice is kept closed.
    assert sidebar.get_by_role("combobox").count() == 0
    sidebar.get_by_text("Time zone: Europe/Paris").click()
    zone = sidebar.get_by_role("combobox", name="Display time zone")
    expect(zone).to_be_visible()
    wait_until_idle(page)
    choose(page, zone, "Asia/Tokyo")
    page.wait_for_url("**tz=Asia%2FTokyo**")
    # The box closes on a choice and names it.
    expect(sidebar.get_by_text("Time zone: Asia/Tokyo")).to_be_visible()
    expect(sidebar.get_by_role("combobox")).to_have_count(0)
    for name in ("Backlog", "Response times", "Overview"):
        page.get_by_role("link", name=name, exact=True).click()
        page.get_by_role("heading", name=name, exact=True).wait_for()
        wait_for_charts(page, 1)
        page.wait_for_url("**period=All**")
        page.wait_for_url("**tz=Asia%2FTokyo**")
        expect(sidebar.get_by_role("radio", name="All", exact=True)).to_be_checked()
        expect(sidebar.get_by_text("Time zone: Asia/Tokyo")).to_be_visible()
