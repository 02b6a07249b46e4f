"""Every page in French, in a real browser asking for French, on the real ServiceNow log.

A French manager opens a link with ``?lang=fr`` and reads each page: the
headings and navigation in French, no English left in the main area (charts
included), numbers in the French way, how fresh the data is, and no error.
"""

import re

import pytest
from conftest import SERVICENOW_LOG, AppServer, screenshot, wait_until_idle

from analytics import i18n, ingest, store
from analytics.settings import load_settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not SERVICENOW_LOG.exists(), reason="../shared/realdata is not beside the repo"
    ),
]
SOURCE = "incident_event_log"
# Page file -> its title in English, the catalogue's message for it.
PAGES = {
    "overview": "Overview",
    "response_times": "Response times",
    "agents": "Agents and teams",
    "backlog": "Backlog",
    "forecast": "Forecast",
    "staffing": "Staffing and what-if",
    "seasonality": "Seasonality",
    "data": "Data",
    "events": "Events",
    "schedules": "Schedules",
    "weekly_report": "Weekly report",
    "access": "Access",
}
# Words of English sentences, labels and dates that French never uses. The
# log's own names (Category 26, Location 204, Group 70) hold none of them.
ENGLISH = re.compile(
    r"\b(the|and|of|per|with|from|No|Download|Median|hours|days|week|weeks|Show|"
    r"created|resolved|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"January|February|April|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)
PATH = re.compile(r"\S*/\S*")
# 12,345 or 3.5 h: numbers written the English way.
ENGLISH_NUMBER = re.compile(r"\b\d{1,3},\d{3}\b|\b\d+\.\d+\s?(h|%)")
# 12 345 (a narrow no-break space), 3,5 (a decimal comma) or 59 % (a no-break space):
# the French way. An English 1,234 has three digits after its comma.
FRENCH_NUMBER = re.compile("\\d\u202f\\d{3}|\\d,\\d{1,2}\\b|\\d\u00a0%")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("french") / "french.sqlite"
    con = store.connect(db)
    ingest.import_file(con, SERVICENOW_LOG, settings=load_settings())
    con.close()
    app = AppServer(db).start()
    yield app
    app.stop()


@pytest.fixture
def french_page(browser):
    """A page whose browser asks for French, as a French manager's does."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def main_text(page) -> str:
    """Return what the main area shows: its text and its charts' titles, axes and legends."""
    main = page.get_by_test_id("stMain")
    charts = page.evaluate(
        "[...document.querySelectorAll('[data-testid=stMain] .main-svg text')]"
        ".map(t => t.textContent).join('\\n')"
    )
    text = main.inner_text()
    # Streamlit writes its file uploader's instructions itself, in English only.
    for own in page.get_by_test_id("stFileUploaderDropzoneInstructions").all():
        text = text.replace(own.inner_text(), "")
    return text + "\n" + charts


def test_every_page_reads_in_french(server, french_page):
    page = french_page
    seen = []
    for path, title in PAGES.items():
        query = f"?source={SOURCE}&period=All&lang=fr"
        page.goto(f"{server.url}/{'' if path == 'overview' else path}{query}")
        heading = i18n.gettext("fr", title)
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        # The page's run has begun drawing below its title (the running
        # indicator may not show yet at the title alone); then it ends.
        page.wait_for_function(
            "document.querySelectorAll('[data-testid=stMain] [data-testid=stElementContainer]')"
            ".length >= 5",
            timeout=120_000,
        )
        wait_until_idle(page)
        if path == "forecast":
            # The backtest runs beside the page: its cards arrive when it is done.
            page.get_by_test_id("stMetric").first.wait_for(timeout=180_000)
            wait_until_idle(page)
        page.wait_for_load_state("networkidle")
        # Every chart drawn, so that its titles and labels are read too.
        page.wait_for_function(
            "[...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))"
        )
        text = main_text(page)
        assert page.get_by_test_id("stException").count() == 0, path
        assert "Données jusqu’au" in text or "Données jusqu'au" in text, path
        # Paths and zones (/tmp/pytest-of-root/..., Europe/Paris) are names, not words.
        english = [line for line in text.splitlines() if ENGLISH.search(PATH.sub("", line))]
        assert not english, f"{path}: English left on screen: {english}"
        assert not ENGLISH_NUMBER.search(text), f"{path}: {ENGLISH_NUMBER.search(text)[0]}"
        if FRENCH_NUMBER.search(text):
            seen.append(path)
        screenshot(page, f"french-{path}")
        # The navigation is French too.
        nav = page.get_by_test_id("stSidebarNav").inner_text()
        assert i18n.gettext("fr", "Response times") in nav
    # The pages of cards show numbers the French way (charts may still be drawing).
    assert {"overview", "backlog"} <= set(seen), seen


def test_the_sidebar_switch_turns_a_page_to_english_and_the_link_keeps_it(server, french_page):
    page = french_page
    page.goto(f"{server.url}/?source={SOURCE}&period=All")
    # The browser asks for French: the app answers in French without being told.
    page.get_by_role("heading", name=i18n.gettext("fr", "Overview"), exact=True).wait_for()
    wait_until_idle(page)
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Overview", exact=True).wait_for()
    wait_until_idle(page)
    assert "lang=en" in page.url
    assert "Data up to" in page.get_by_test_id("stMain").inner_text()
