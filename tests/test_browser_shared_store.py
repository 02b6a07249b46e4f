"""Two app servers on one store, in a real browser: an import through one shows on the other.

Each server is its own process with its own connection and its own local copy
of the tickets, as two hosts behind a proxy would be. On both catalogs: the
embedded SQLite one and a real PostgreSQL one.
"""

import pytest
from conftest import NYC311, screenshot

from analytics import store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not NYC311.exists(), reason="../shared/realdata is not beside the repo"),
]
SOURCE = "nyc311_2023-02-28"


def open_data_page(page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("stSidebar").get_by_text("Backlog Radar").wait_for()
    page.get_by_role("link", name="Data", exact=True).click()
    page.get_by_role("heading", name="Data").wait_for()


def test_an_import_through_one_server_shows_on_the_other_at_its_next_rerun(
    store_location, app_server_factory, browser, tmp_path
):
    store.connect(**store_location).close()
    env = {}
    if store_location.get("catalog"):
        env = {
            "BACKLOG_RADAR_CATALOG": store_location["catalog"],
            "BACKLOG_RADAR_DATA_PATH": str(store_location["data_path"]),
        }
    db = store_location["path"] or tmp_path / "unused.sqlite"
    first, second = (app_server_factory(db, env=env) for _ in range(2))
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    one, other = context.new_page(), context.new_page()
    for page in (one, other):
        page.set_default_timeout(60_000)
    try:
        open_data_page(other, second.url)
        other.get_by_text("No source yet.").wait_for()

        open_data_page(one, first.url)
        one.locator("input[type=file]").set_input_files(str(NYC311))
        one.get_by_text("Recognised as").wait_for()
        one.get_by_role("button", name="Import", exact=True).click()
        one.get_by_text("Imported into source").wait_for(timeout=120_000)

        # The other server's session, untouched since: its next rerun shows the import.
        other.get_by_role("link", name="Overview", exact=True).click()
        other.get_by_role("link", name="Data", exact=True).click()
        sources = other.get_by_test_id("stTable").first
        try:
            sources.get_by_text(SOURCE).wait_for(timeout=20_000)
        except Exception:
            print("BODY>>>", other.inner_text("body")[-3000:])
            raise
        assert "4999" in sources.inner_text().replace(",", "")
        screenshot(other, "second_server_sees_the_import")
    finally:
        context.close()
