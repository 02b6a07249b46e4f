"""The Weekly report page in a real browser: pick a week, read it, download HTML and PDF."""

from datetime import date

import pytest
from conftest import AppServer, screenshot, wait_until_idle

from analytics import events, ingest, metrics, report, store
from analytics.settings import load_settings

pytestmark = pytest.mark.browser
WEEK = "2024-W20"


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_desk):
    out = tmp_path_factory.mktemp("report_page")
    files = sample_desk(start=date(2024, 1, 1), years=0.5, scale=0.1, seed=11)
    db = out / "page.sqlite"
    con = store.connect(db)
    ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    events.import_events_csv(con, files.events_csv)
    created = metrics.overview(con, report.week_selection("sample", date(2024, 5, 13), "UTC"))
    con.close()
    app = AppServer(db).start()
    yield app, created.created
    app.stop()


def test_pick_a_week_read_it_and_download_both_files(server, page, tmp_path):
    app, created = server
    # A link to the page itself, as a manager shares it (the zone is the figures').
    page.goto(app.url + "/weekly_report?source=sample&tz=UTC")
    page.get_by_role("heading", name="Weekly report", exact=True).wait_for()
    wait_until_idle(page)
    # Weeks are offered by their number and dates, newest first.
    page.get_by_test_id("stSelectbox").filter(has_text="Week").click()
    page.get_by_role("option", name=report.week_label(date(2024, 5, 13), "en"), exact=True).click()
    page.get_by_role("heading", name="Weekly report: week 20, 2024").wait_for(timeout=90_000)
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')]"
        ".filter(p => p.querySelector('.main-svg')).length >= 4",
        timeout=60_000,
    )
    assert (
        page.get_by_text(f"to {created:,} (from").count()
        + page.get_by_text(f"held steady at {created:,}").count()
        == 1
    )
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "weekly_report_page")

    with page.expect_download(timeout=60_000) as html:
        page.get_by_role("button", name="Download HTML").click()
    path = tmp_path / html.value.suggested_filename
    html.value.save_as(path)
    assert path.name == f"backlog-radar-{WEEK}-en.html"
    assert "Weekly report: week 20, 2024" in path.read_text(encoding="utf-8")

    with page.expect_download(timeout=120_000) as pdf:
        page.get_by_role("button", name="Download PDF").click()
    path = tmp_path / pdf.value.suggested_filename
    pdf.value.save_as(path)
    assert path.name == f"backlog-radar-{WEEK}-en.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
