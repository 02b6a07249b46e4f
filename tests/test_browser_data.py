"""The Data page in a real browser: upload an export, import it, see the source listed."""

import pytest
from conftest import NYC311, screenshot
from exports import import_, zendesk
from playwright.sync_api import expect

from analytics import store

pytestmark = pytest.mark.browser


def open_data_page(page, server) -> None:
    # Enter through the home page and the navigation, as a person does.
    page.goto(server.url)
    page.get_by_test_id("stSidebar").get_by_text("Backlog Radar").wait_for()
    page.get_by_role("link", name="Data", exact=True).click()
    page.get_by_role("heading", name="Data").wait_for()


@pytest.mark.skipif(not NYC311.exists(), reason="../shared/realdata is not beside the repo")
def test_upload_import_and_see_source_listed(app_server_factory, page):
    server = app_server_factory()
    open_data_page(page, server)
    page.get_by_text("No source yet.").wait_for()

    page.locator("input[type=file]").set_input_files(str(NYC311))
    page.get_by_text("Recognised as").wait_for()
    assert page.get_by_text("NYC 311-style open-data service requests").first.is_visible()

    page.get_by_role("button", name="Validate (dry run)").click()
    page.get_by_text("Dry run: nothing was written").wait_for()
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Imported into source").wait_for(timeout=60_000)

    sources = page.get_by_test_id("stTable").first
    sources.get_by_text("nyc311_2023-02-28").wait_for()
    assert "4999" in sources.inner_text().replace(",", "")
    screenshot(page, "data_page_after_import")


def test_unreadable_file_gets_a_clear_message(app_server_factory, page, tmp_path):
    server = app_server_factory()
    binary = tmp_path / "tickets.csv"
    binary.write_bytes(bytes(range(256)) * 64)
    open_data_page(page, server)
    page.locator("input[type=file]").set_input_files(str(binary))
    page.get_by_text("This file cannot be read").wait_for()
    assert page.get_by_text("is a binary file, not a CSV text export").is_visible()


def test_after_an_import_the_page_offers_the_new_source_and_opens_it(
    app_server_factory, page, tmp_path
):
    db = tmp_path / "offer.sqlite"
    con = store.connect(db)
    (tmp_path / "first").mkdir()
    import_(con, zendesk(tmp_path / "first"), source="desk")
    con.close()
    server = app_server_factory(db)
    open_data_page(page, server)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("radio", name="desk", exact=True)).to_be_checked()

    page.locator("input[type=file]").set_input_files(str(zendesk(tmp_path)))
    page.get_by_text("Recognised as").wait_for()
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Imported into source").wait_for(timeout=60_000)
    # The sidebar lists the new source but still shows the one it showed.
    expect(sidebar.get_by_role("radio", name="desk", exact=True)).to_be_checked()
    page.get_by_role("button", name="Show zendesk_tickets").click()

    page.get_by_role("heading", name="Overview", exact=True).wait_for()
    page.wait_for_url("**source=zendesk_tickets**")
    expect(sidebar.get_by_role("radio", name="zendesk_tickets", exact=True)).to_be_checked()
    screenshot(page, "data_page_offer_opens_new_source")
