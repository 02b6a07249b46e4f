"""Ticket fields holding HTML, script or Markdown are shown as the text they hold."""

import csv
import random
from datetime import datetime, timedelta

import pytest
from conftest import screenshot, wait_until_idle

from analytics import importer, store

pytestmark = pytest.mark.browser

CATEGORIES = [
    "<b>bold</b>",
    "<img src=x onerror=alert(1)>",
    "[link](javascript:alert(1))",
    "Billing",
]
REGIONS = ["<script>alert(1)</script>", "+cmd|' /C calc'!A0"]


@pytest.fixture
def hostile_store(tmp_path):
    rng = random.Random(7)
    path = tmp_path / "hostile.csv"
    start = datetime(2026, 8, 3)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "created", "first", "resolved", "category", "region"])
        for i in range(1500):
            created = start + timedelta(minutes=rng.randint(0, 60 * 24 * 90))
            first = created + timedelta(hours=rng.expovariate(1 / 5))
            resolved = first + timedelta(hours=rng.expovariate(1 / 20))
            out.writerow([f"T{i}", created.isoformat(), first.isoformat(), resolved.isoformat(),
                          rng.choice(CATEGORIES), rng.choice(REGIONS)])  # fmt: skip
    db = tmp_path / "hostile.duckdb"
    con = store.connect(db)
    importer.import_file(
        con,
        path,
        source="<b>desk</b>",
        preset="generic",
        mapping={"ticket_id": "id", "created_at": "created", "first_response_at": "first",
                 "resolved_at": "resolved", "category": "category", "region": "region"},
    )  # fmt: skip
    con.close()
    return db


def svg_texts(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('svg text')].map(t => t.textContent)")


def test_html_in_ticket_fields_stays_text(hostile_store, app_server_factory, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    server = app_server_factory(hostile_store)
    page.goto(f"{server.url}/?period=All")
    page.get_by_role("heading", name="Overview").wait_for()
    page.get_by_role("link", name="Response times", exact=True).click()
    page.get_by_text("First response by region").first.wait_for()
    wait_until_idle(page)
    texts = svg_texts(page)
    assert any("<script>alert(1)</script>" in t for t in texts)  # the region, as typed
    screenshot(page, "hostile_text_response_times")

    # The downloads neutralise formulas: a spreadsheet shows the text, runs nothing.
    with page.expect_download() as slowest:
        page.get_by_role("button", name="Download the slowest tickets (CSV)").click()
    text = slowest.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    regions = {row["region"] for row in rows}
    assert regions == {"<script>alert(1)</script>", "'+cmd|' /C calc'!A0"}
    cells = [value for row in rows for value in row.values()]
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells)
    wait_until_idle(page)  # a click during a rerun can be lost
    with page.expect_download() as chart_data:
        page.get_by_role("button", name="Download data (CSV)").nth(-1).click()
    assert chart_data.value.path().stat().st_size > 0

    page.get_by_role("link", name="Weekly report", exact=True).click()
    page.get_by_text("Categories and regions that moved most").first.wait_for()
    wait_until_idle(page)
    texts = svg_texts(page)
    assert any("<b>bold</b>" in t for t in texts)  # shown with its tags, not in bold
    assert (
        page.locator("svg text b, svg tspan[style*='font-weight:bold']")
        .filter(has_text="bold")
        .filter(has_not_text="moved")
        .count()
        == 0
    )

    page.get_by_role("link", name="Data", exact=True).click()
    page.get_by_test_id("stTable").first.get_by_text("<b>desk</b>").wait_for()
    assert page.locator("img[src=x], script:has-text('alert(1)')").count() == 0
    assert dialogs == []
