"""The Response times page's tickets at risk, in a real browser, against the library."""

import csv

import pytest
from conftest import AppServer, screenshot, wait_until_idle
from playwright.sync_api import expect
from test_at_risk import ROWS, import_rows, selection

from analytics import store
from analytics.metrics import risk
from analytics.settings import load_settings

pytestmark = pytest.mark.browser


def test_the_at_risk_section_shows_the_count_and_the_list_a_manager_expects(
    tmp_path, monkeypatch, page
):
    config = tmp_path / "radar.toml"
    config.write_text("[sla]\ntarget_hours = 4\nby_priority = { urgent = 1, low = 8 }\n")
    monkeypatch.setenv("BACKLOG_RADAR_CONFIG", str(config))
    db = tmp_path / "app.sqlite"
    con = store.connect(db)
    import_rows(con, tmp_path, ROWS)
    expected = risk.tickets_at_risk(con, selection(), 4, load_settings())
    con.close()
    assert expected.count > 0 and expected.breached > 0

    server = AppServer(db, env={"BACKLOG_RADAR_CONFIG": str(config)}).start()
    try:
        page.goto(f"{server.url}/response_times?period=All")
        section = page.get_by_role("heading", name="Tickets at risk")
        section.wait_for()
        wait_until_idle(page)
        section.scroll_into_view_if_needed()
        line = f"{expected.count} tickets at risk of missing a target in the next 4 calendar hours"
        expect(page.get_by_text(line)).to_be_visible()
        expect(page.get_by_text(f"{expected.breached} already past one")).to_be_visible()
        grid = page.get_by_test_id("stDataFrame").last
        for ticket in expected.tickets["ticket_id"]:
            expect(grid).to_contain_text(ticket)

        with page.expect_download() as download:
            page.get_by_role("button", name="Download the tickets at risk (CSV)").click()
        rows = list(csv.DictReader(download.value.path().read_text(encoding="utf-8").splitlines()))
        assert [row["ticket_id"] for row in rows] == list(expected.tickets["ticket_id"])
        screenshot(page, "tickets_at_risk")
    finally:
        server.stop()
