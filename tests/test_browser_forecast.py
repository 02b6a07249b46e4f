"""Browser: open the forecast page, add a planned event, see the forecast change and the
surge alert appear; switch to hourly and see the open hours and the error by hour of
day (the real app in Chromium, on a small simulated desk)."""

from datetime import date

import pytest
from conftest import AppServer, screenshot, wait_until_idle

from analytics import events, ingest, store
from analytics.settings import load_settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_desk):
    folder = tmp_path_factory.mktemp("forecast_browser")
    files = sample_desk(start=date(2024, 1, 1), years=1.2, scale=0.1)
    db = folder / "store.sqlite"
    con = store.connect(db)
    ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    events.import_events_csv(con, files.events_csv)
    con.close()
    app = AppServer(db).start()
    yield app
    app.stop()


def card(page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label).first
    return metric.get_by_test_id("stMetricValue").inner_text()


def wait_for_charts(page, count: int) -> None:
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')]"
        f".filter(p => p.querySelector('.main-svg')).length >= {count}",
        timeout=120_000,
    )


def open_forecast(page, server) -> None:
    """Open the Forecast page on the whole sample and wait for its first charts."""
    page.goto(server.url + "/?source=sample&period=All")
    page.get_by_test_id("stSidebar").get_by_text("Backlog Radar").wait_for()
    page.get_by_role("link", name="Forecast", exact=True).click()
    page.get_by_role("heading", name="Forecast").wait_for()
    wait_for_charts(page, 2)


def test_a_planned_event_changes_the_forecast_and_raises_a_surge_alert(server, page):
    open_forecast(page, server)
    page.get_by_role("heading", name="Surge alerts").wait_for()
    alerts_before = set(page.get_by_test_id("stAlertContentWarning").all_inner_texts())
    before = card(page, "Forecast tickets, next 28 days")
    assert page.get_by_text("Actual and forecast".lower(), exact=False).count() >= 1
    screenshot(page, "forecast_before_event")

    wait_until_idle(page)
    page.get_by_text("Planned events").click()
    page.get_by_label("Event name").fill("Spring campaign")
    page.get_by_label("Uplift %").fill("300")
    page.get_by_label("Days", exact=True).fill("10")
    wait_until_idle(page)
    page.get_by_role("button", name="Add planned event").click()

    # The forecast is refitted with the event: slow on a loaded machine.
    page.get_by_text("Spring campaign").first.wait_for(timeout=180_000)
    page.wait_for_function(
        "(before) => [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".some(m => m.innerText.includes('from planned events'))",
        arg=before,
    )
    after = card(page, "Forecast tickets, next 28 days")
    assert int(after.replace(",", "")) > int(before.replace(",", ""))
    # A surge the planned event causes: an alert on the total that was not there before.
    page.get_by_test_id("stAlertContentWarning").filter(has_text="total").first.wait_for()
    new = set(page.get_by_test_id("stAlertContentWarning").all_inner_texts()) - alerts_before
    assert any("total" in text and "likely" in text for text in new), new
    # The chart's legend is drawn after the cards: wait for it rather than count it.
    page.get_by_text("Forecast with planned events").first.wait_for()
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "forecast_with_event")


def test_the_hourly_forecast_shows_the_open_hours_and_the_error_by_hour(server, page):
    open_forecast(page, server)
    wait_until_idle(page)
    page.get_by_text("Hourly", exact=True).click()
    page.get_by_text("Forecast tickets, next 48 hours").wait_for(timeout=180_000)
    page.get_by_text("Open hours: ").wait_for()
    page.get_by_text("scored on open hours").wait_for()
    page.get_by_text("Backtest error by hour of day").first.wait_for(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "forecast_hourly")
