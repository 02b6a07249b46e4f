"""Ticket fields holding HTML, script or Markdown are shown as the text they hold."""

import csv
import random
import re
from datetime import datetime, timedelta

import hostile_text
import pytest
from conftest import AppServer, choose, screenshot, wait_until_idle

from analytics import ingest, store
from analytics.settings import load_settings

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
    db = tmp_path / "hostile.sqlite"
    con = store.connect(db)
    ingest.import_file(
        con,
        path,
        source="<b>desk</b>",
        preset="generic",
        mapping={"ticket_id": "id", "created_at": "created", "first_response_at": "first",
                 "resolved_at": "resolved", "category": "category", "region": "region"}, settings=load_settings(),
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


# --- names from the hostile corpus (tests/hostile/hostile_names.csv), on every page -----------

NAV = ("Overview", "Response times", "Backlog", "Forecast", "Staffing and what-if", "Seasonality",
       "Data", "Events", "Weekly report", "Access")  # fmt: skip
# Drawn markup that holds a word of the corpus: it came from the data.
FROM_DATA = re.compile("|".join(re.escape(m) for m in hostile_text.MARKERS), re.IGNORECASE)


@pytest.fixture(scope="module")
def names_app(tmp_path_factory):
    """One app on the corpus-named store for the module: its tests only read and download."""
    server = AppServer(hostile_text.write_store(tmp_path_factory.mktemp("names") / "names.sqlite"))
    yield server.start()
    server.stop()


def drawn_markup(page) -> list[str]:
    """Return the links, images, emphasis, code, LaTeX and icons whose text came from the data."""
    found = [f"link {a.get_attribute('href')}" for a in page.locator("a[href*='evil']").all()]
    found += [f"image {i.get_attribute('src')}" for i in page.locator("img[src*='evil']").all()]
    emphasis = page.locator(
        "[data-testid=stMarkdownContainer] :is(strong, b, em, i, del, code, h1, h2, h3, h4, h5, h6)"
    ).filter(has_text=FROM_DATA)
    found += [f"emphasis {text}" for text in emphasis.all_inner_texts()]
    found += [f"LaTeX {text}" for text in page.locator(".katex").all_inner_texts()]
    icons = page.locator("[data-testid=stMarkdownContainer] [data-testid=stIconMaterial]")
    found += [f"icon {text}" for text in icons.filter(has_text=FROM_DATA).all_inner_texts()]
    text = page.locator("body").inner_text()
    found += [f"emoji {emoji}" for emoji in ("\U0001f604", "\U0001f44d") if emoji in text]
    return found


def test_names_from_the_data_draw_no_markup_and_fetch_nothing(names_app, page):
    requests, dialogs = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{names_app.url}/?period=All")
    page.get_by_role("heading", name="Overview").wait_for()
    drawn, surge_as_typed = {}, False
    for name in NAV:
        page.get_by_role("link", name=name, exact=True).click()
        page.get_by_role("heading", name=name, exact=True).first.wait_for()
        wait_until_idle(page)
        if name == "Forecast":
            choose(page, page.get_by_role("combobox", name="Backtest origins"), "0")
            wait_until_idle(page)
            choose(page, page.get_by_role("combobox", name="Split"), "region")
            wait_until_idle(page)
            # The surge alerts of the regions (the total's come first).
            page.get_by_test_id("stAlert").filter(has_text="bold").first.wait_for()
            # A surge alert names its region, as typed.
            surge_as_typed = page.get_by_text("**bold**").count() > 0
        if name == "Events":
            event = f"{hostile_text.EVENT_NAME} (all, from 1 Jul 2026)"
            choose(page, page.get_by_role("combobox", name="Event"), event)
            # The caption names the source, as typed.
            page.get_by_text(f"Measured on source '{hostile_text.SOURCE}'").wait_for()
            wait_until_idle(page)
        if found := drawn_markup(page):
            drawn[name] = found
    screenshot(page, "hostile_names_last_page")
    assert drawn == {}
    assert surge_as_typed
    assert [url for url in requests if "evil.example" in url] == []
    assert dialogs == []
    # The source's name is shown as typed in the sidebar's pill.
    pill = page.get_by_test_id("stSidebar").get_by_text("login", exact=False).first
    assert pill.inner_text().replace("\u200b", "") == hostile_text.SOURCE


def test_tables_offer_only_the_neutralised_download(names_app, page):
    page.goto(f"{names_app.url}/response_times?period=All")
    page.get_by_role("heading", name="Response times").wait_for()
    wait_until_idle(page)
    page.get_by_text("The tickets, slowest first").click()
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    wait_until_idle(page)
    grid.hover()
    # The grid's toolbar shows on hover; its own CSV export would write cells raw.
    page.get_by_role("button", name="Search").wait_for()
    assert page.get_by_role("button", name="Download as CSV").count() == 0

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the slowest tickets (CSV)").click()
    rows = list(csv.DictReader(download.value.path().read_text(encoding="utf-8").splitlines()))
    ids = {row["ticket_id"] for row in rows}
    assert {"'" + ticket for ticket in hostile_text.FORMULA_IDS} <= ids
    cells = [value for row in rows for value in row.values()]
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells)
