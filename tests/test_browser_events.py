"""The events calendar in a real browser: add an event, see it on a chart, measure its impact."""

import pytest
from conftest import AppServer, choose, screenshot
from playwright.sync_api import expect

from analytics import events, ingest, store
from analytics.settings import load_settings

pytestmark = pytest.mark.browser
EVENT = "Autumn outage"


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_desk):
    """The app on a small two-year sample desk with its story's events."""
    folder = tmp_path_factory.mktemp("browser_events")
    files = sample_desk(years=2, scale=0.25)
    db = folder / "events.sqlite"
    con = store.connect(db)
    ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    events.import_events_csv(con, files.events_csv, source="sample")  # as `make run` does
    con.close()
    app = AppServer(db).start()
    yield app
    app.stop()


def open_page(page, server, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=name, exact=True).wait_for()


def wait_for_charts(page, count: int) -> None:
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')]"
        f".filter(p => p.querySelector('.main-svg')).length >= {count}",
        timeout=90_000,
    )


def choose_event(page, label: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Event", exact=True))
    choose(page, box, label)
    expect(box.get_by_role("combobox")).to_have_value(label)


def assert_no_error(page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stAlertContentError").count() == 0


def test_create_an_event_see_it_on_the_backlog_chart_and_open_its_impact(server, page):
    page.goto(server.url + "/?source=sample&period=Last+90+days&tz=Europe%2FParis")
    page.get_by_test_id("stSidebar").get_by_text("Backlog Radar").wait_for()
    open_page(page, server, "Events")

    form = page.get_by_test_id("stForm")
    form.get_by_label("Name").fill(EVENT)
    form.get_by_test_id("stSelectbox").filter(has_text="Kind").click()
    page.get_by_role("option", name="outage", exact=True).click()
    # The date fields are native date inputs: fill them in ISO format.
    for label, typed in (("Start", "2024-11-04"), ("End", "2024-11-10")):
        field = form.get_by_test_id("stDateInput").filter(has_text=label).locator("input")
        field.fill(typed)
        field.dispatch_event("blur")
    # A new event belongs to the selected source unless "All sources" is chosen.
    owner = form.get_by_test_id("stSelectbox").filter(has_text="For")
    expect(owner.get_by_role("combobox")).to_have_value("sample")
    form.get_by_role("button", name="Add event").click()
    page.get_by_text(f"Added '{EVENT}'").wait_for()
    assert_no_error(page)
    screenshot(page, "events_calendar")

    open_page(page, server, "Backlog")
    wait_for_charts(page, 1)
    backlog = page.locator(".js-plotly-plot").first
    backlog.get_by_text(EVENT).first.wait_for()
    screenshot(page, "events_on_backlog")

    open_page(page, server, "Events")
    choose_event(page, f"{EVENT} (all, from 4 Nov 2024)")
    page.get_by_text("Outage, all regions, from 2024-11-04:").wait_for(timeout=120_000)
    wait_for_charts(page, 2)
    page.get_by_text(f"actual against no {EVENT}").first.wait_for()
    metric = page.get_by_test_id("stMetric").filter(has_text="Tickets/day (intervention)")
    assert metric.get_by_test_id("stMetricValue").inner_text().endswith("%")
    page.get_by_text("no region to compare with").wait_for()
    assert_no_error(page)
    screenshot(page, "events_impact")


def test_a_staggered_rollout_shows_both_estimates_side_by_side(server, page):
    page.goto(server.url + "/?source=sample&period=All&tz=Europe%2FParis")
    page.get_by_test_id("stSidebar").get_by_text("Backlog Radar").wait_for()
    open_page(page, server, "Events")
    choose_event(page, "New interface: Europe (Europe, from 2 Sep 2024)")
    page.get_by_text("Interface rollout, Europe, from 2024-09-02: +").wait_for(timeout=120_000)
    wait_for_charts(page, 2)
    did = page.get_by_test_id("stMetric").filter(has_text="difference in differences")
    assert did.get_by_test_id("stMetricValue").inner_text().startswith("+")
    page.get_by_text("actual against no New interface: Europe").first.scroll_into_view_if_needed()
    screenshot(page, "events_rollout_chart")
    page.get_by_role("button", name="Save this effect for the forecast").click()
    page.get_by_text("Saved 3 estimates for New interface: Europe").wait_for()
    assert_no_error(page)
    screenshot(page, "events_rollout_impact")


def test_the_seasonality_page_shows_the_september_peak_and_candidate_events(server, page):
    page.goto(server.url + "/?source=sample&period=All&tz=Europe%2FParis")
    page.get_by_test_id("stSidebar").get_by_text("Backlog Radar").wait_for()
    open_page(page, server, "Seasonality")
    wait_for_charts(page, 6)
    for title in (
        "Tickets per day by month",
        "Tickets per day by ISO week",
        "Tickets per day by weekday, spread across weeks",
        "Tickets per day by hour of day, spread across weeks",
    ):
        page.get_by_text(title).first.wait_for()
    page.get_by_role("heading", name="Candidate events").wait_for()
    page.get_by_test_id("stDataFrame").wait_for()  # the candidate events
    assert_no_error(page)
    screenshot(page, "seasonality")
