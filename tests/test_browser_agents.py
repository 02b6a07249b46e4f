"""The Agents and teams page in Chromium, with agents shown as pseudonyms."""

from __future__ import annotations

import pytest
from conftest import AppServer, wait_until_idle
from test_agents import KEY, REAL_NAMES, SOURCE, hand  # noqa: F401 (the store fixture)

from analytics import people

pytestmark = pytest.mark.browser


@pytest.fixture
def server(hand, tmp_path):  # noqa: F811
    config = tmp_path / "pseudonyms.toml"
    config.write_text('[people]\nshow = "pseudonyms"\n', encoding="utf-8")
    app = AppServer(
        hand[0],
        env={"BACKLOG_RADAR_CONFIG": str(config), "BACKLOG_RADAR_PSEUDONYM_KEY": KEY.decode()},
    ).start()
    yield app
    app.stop()


def test_pseudonyms_replace_every_name_in_the_table_and_its_csv(server, page):
    page.goto(f"{server.url}/?source={SOURCE}&period=All")
    page.get_by_role("link", name="Agents and teams", exact=True).click()
    page.get_by_role("heading", name="Agents and teams", exact=True).wait_for()
    table = page.get_by_test_id("stDataFrame").first
    table.wait_for()
    wait_until_idle(page)
    pseudonym = people.pseudonym("Ana Silva", KEY)
    page.get_by_text(pseudonym).first.wait_for(state="attached")
    text = page.locator("body").inner_text() + table.inner_html()
    assert pseudonym in text
    assert not any(name.casefold() in text.casefold() for name in REAL_NAMES)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the agent figures (CSV)").click()
    csv = download.value.path().read_text(encoding="utf-8")
    assert csv.startswith("assignee,handled,")
    assert pseudonym in csv
    assert not any(name.casefold() in csv.casefold() for name in REAL_NAMES)
