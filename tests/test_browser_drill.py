"""A click on a chart's bar opens the tickets behind it, in a real browser on the real ServiceNow log."""

import csv
from urllib.parse import quote

import pandas as pd
import pytest
from conftest import ROOT, SERVICENOW_LOG, AppServer, screenshot, wait_until_idle
from playwright.sync_api import expect

from analytics import i18n, ingest, metrics, store
from analytics.settings import load_settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not SERVICENOW_LOG.exists(), reason="../shared/realdata is not beside the repo"
    ),
]
SOURCE = "incident_event_log"
TEMPLATE = "https://desk.example/tickets/{ticket_id}"


@pytest.fixture(scope="module")
def drill_store(tmp_path_factory):
    """A store holding the UCI log, settings with a ticket link, and the breakdown by region."""
    folder = tmp_path_factory.mktemp("drill")
    settings_file = folder / "backlog_radar.toml"
    text = (ROOT / "backlog_radar.toml").read_text(encoding="utf-8")
    settings_file.write_text(
        text.replace("[tickets]\n", f'[tickets]\nurl = "{TEMPLATE}"\n', 1), encoding="utf-8"
    )
    settings = load_settings({"BACKLOG_RADAR_SETTINGS": str(settings_file)})
    assert settings.people.url_template(SOURCE) == TEMPLATE
    db = folder / "drill.sqlite"
    con = store.connect(db)
    ingest.import_file(con, SERVICENOW_LOG, settings=settings)
    span = metrics.source_span(con, SOURCE)
    start, end = metrics.period(span.first_created_at.date(), span.as_of.date(), "UTC")
    selection = metrics.Selection(SOURCE, start, end)
    breakdown = metrics.response_times_page(con, selection, settings=settings).breakdown
    series = metrics.backlog_page(con, selection, settings=settings).series
    # the busiest weekday x hour of the arrivals heatmap, and its tickets
    heatmap = metrics.backlog_page(con, selection, settings=settings).heatmap
    busiest = heatmap.sort_values("arrivals_mean").iloc[-1]
    cell = (int(busiest["weekday"]), int(busiest["hour"]))
    behind = metrics.tickets_behind(con, selection, "weekday_hour", cell, settings, limit=1)
    con.close()
    return db, settings_file, breakdown, series, (cell, behind.total)


@pytest.fixture(scope="module")
def server(drill_store):
    db, settings_file, *_ = drill_store
    app = AppServer(db, env={"BACKLOG_RADAR_SETTINGS": str(settings_file)}).start()
    yield app
    app.stop()


def click(page, target) -> None:
    """Click where ``target`` is drawn: Plotly's drag layer above the traces takes the pointer."""
    # A click while a run still draws the page can be swallowed by the rerun after it.
    wait_until_idle(page)
    page.wait_for_load_state("networkidle")
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def open_page(page, server, path: str, name: str) -> None:
    # in UTC, as the expected figures: the desk's display zone may be another
    page.goto(f"{server.url}/{path}?source={quote(SOURCE)}&period=All&tz=UTC")
    page.get_by_role("heading", name=name, exact=True).wait_for()
    # the whole history, as the expected figures
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("radio", name="All", exact=True)).to_be_checked()


def test_a_breakdown_bar_click_lists_its_tickets_with_links(drill_store, server, page, tmp_path):
    _, _, breakdown, *_ = drill_store
    top = breakdown.iloc[0]
    open_page(page, server, "response_times", "Response times")
    chart = page.locator(".js-plotly-plot").filter(has_text="First response by region")
    chart.locator(".main-svg").first.wait_for()
    wait_until_idle(page)
    # the first bar of the first trace: the region with the most tickets, on top
    click(page, chart.locator(".plotly .bars .point path").first)
    caption = page.get_by_text(f"{int(top['created']):,} tickets created with region ")
    caption.wait_for()
    assert top["value"] in caption.inner_text()
    page.get_by_test_id("stDataFrame").first.wait_for()
    wait_until_idle(page)
    screenshot(page, "drill_breakdown")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download these tickets (CSV)").click()
    path = tmp_path / "tickets.csv"
    download.value.save_as(path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == top["created"]
    assert {row["region"] for row in rows} == {top["value"]}
    assert all(row["link"] == TEMPLATE.format(ticket_id=quote(row["ticket_id"])) for row in rows)
    assert rows[0]["created_at"].endswith("+00:00")


def test_a_backlog_line_point_click_lists_the_tickets_open_at_the_days_end(
    drill_store, server, page
):
    _, _, _, series, _ = drill_store
    open_page(page, server, "backlog", "Backlog")
    chart = page.locator(".js-plotly-plot").filter(has_text="Backlog (by event date)")
    chart.locator(".main-svg").first.wait_for()
    wait_until_idle(page)
    # a point of the Open line (the first trace) in the middle of the period
    index = len(series) // 2
    click(page, chart.locator(".scatterlayer .trace").first.locator(".points path").nth(index))
    day = series["bucket"].iloc[index]
    # In the chart's unified hover a click may land on either line of that day:
    # the list of the open tickets is one choice away.
    page.get_by_text(" tickets awaiting a first response at ").or_(
        page.get_by_text(" tickets open at ")
    ).first.wait_for()
    wait_until_idle(page)
    page.get_by_test_id("stMain").get_by_text("Open at the end", exact=True).click()
    caption = page.get_by_text(f"{int(series['open'].iloc[index]):,} tickets open at ")
    caption.wait_for()
    # the end of the day, readable: "open at 8 March 2016, 00:00"
    end = i18n.long_date((day + pd.Timedelta(days=1)).date(), "en", weekday=False)
    assert f"open at {end}, 00:00" in caption.inner_text().replace("\u200b", "")


def test_a_heatmap_cell_click_lists_the_tickets_created_at_that_weekday_and_hour(
    drill_store, server, page
):
    *_, ((weekday, hour), total) = drill_store
    open_page(page, server, "backlog", "Backlog")
    chart = page.locator(".js-plotly-plot").filter(has_text="Mean tickets created per hour")
    chart.locator(".main-svg").first.wait_for()
    wait_until_idle(page)
    # the invisible marker over the cell: one per weekday (Monday first) and hour
    cells = chart.locator(".scatterlayer .trace").first.locator(".points path")
    click(page, cells.nth((weekday - 1) * 24 + hour))
    caption = page.get_by_text(f"{total:,} tickets created on ")
    caption.wait_for()
    # md_escape keeps "09:00" from reading as an emoji shortcode with a zero-width space
    shown = caption.inner_text().replace("\u200b", "")
    assert f"{i18n.weekday_names('en')[weekday - 1]} at {hour:02d}:00" in shown
