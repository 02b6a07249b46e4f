"""The load client of benchmarks/bench_load.py against the real app: pages load, failures count.

The client speaks Streamlit's websocket protocol itself (no browser), so a
visit that failed on the server must come back as an error, or the load
benchmark would count failures as fast pages.
"""

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from conftest import ROOT, AppServer

from analytics import ingest, store
from analytics.settings import load_settings

# benchmarks/ is a folder of scripts, not a package.
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_load  # noqa: E402
import stclient  # noqa: E402

# Each test serves the app; no browser.
pytestmark = pytest.mark.slow
TITLES = {title for title, _ in bench_load.PAGES}


def run_async(coroutine):
    """Return ``asyncio.run(coroutine)``, run in a thread of its own: the browser tests'
    Playwright keeps an event loop running in the worker's main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def app(tmp_path_factory, sample_desk):
    """The app served on a small sample desk (half a year, a tenth of the volume)."""
    files = sample_desk(start=date(2024, 1, 1), years=0.5, scale=0.1, seed=11)
    db = tmp_path_factory.mktemp("load") / "load.sqlite"
    con = store.connect(db)
    ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    con.close()
    server = AppServer(db).start()
    yield server
    server.stop()


def test_five_sessions_load_each_managers_page_without_errors(app):
    records, wall = run_async(bench_load.run_load(app.url, 5, duration=3.0))

    assert [r.visit.error for r in records if r.visit.error] == []
    for session in range(5):
        assert {r.title for r in records if r.session == session} == TITLES
        firsts = [r.title for r in records if r.session == session and r.first]
        assert sorted(firsts) == sorted(TITLES)
    assert all(r.visit.seconds > 0 for r in records)
    summary = bench_load.summarise(records, wall)
    assert summary["errors"] == 0 and summary["visits"] == len(records)
    assert summary["pages"]["Backlog"]["first"]["visits"] == 5


def test_a_visit_applies_its_filters_and_follows_the_navigation(app):
    async def visits():
        async with await stclient.connect(app.url) as session:
            first = await session.visit("backlog", "period=All&region=Asia")
            return first, session.url_query, await session.visit("response_times")

    backlog, query, response_times = run_async(visits())

    assert backlog.error is None and response_times.error is None
    # The sidebar mirrors the filters it applied in the address bar.
    assert "region=Asia" in query and "period=All" in query


def test_a_page_the_app_does_not_have_is_an_error(app):
    async def visit():
        async with await stclient.connect(app.url) as session:
            await session.visit("")
            return await session.visit("no_such_page")

    assert run_async(visit()).error == "page not found"


def test_a_page_that_raises_is_an_error(tmp_path):
    script = tmp_path / "raises.py"
    script.write_text(
        "import streamlit as st\n"
        "def broken():\n"
        "    st.title('Broken')\n"
        "    raise ZeroDivisionError('no tickets')\n"
        "st.navigation([st.Page(broken, title='Broken', default=True)]).run()\n",
        encoding="utf-8",
    )
    server = AppServer(tmp_path / "unused.sqlite", script=script).start()
    try:
        records, _ = run_async(bench_load.run_load(server.url, 2, duration=0.0))
    finally:
        server.stop()

    assert records and all(r.visit.error for r in records)
    assert "ZeroDivisionError" in records[0].visit.error
