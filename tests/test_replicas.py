"""Two app servers behind nginx, in a real browser: one sign-in, one store, sticky sessions.

The deployment of docs/deploy.md ("Several app servers behind a proxy") on
one machine: two app servers on one embedded store (one host), signing
cookies with one secret, and nginx in front (tests/nginx.py) under a public
name the servers allow. The shared store on PostgreSQL has its own two-server
test (test_browser_shared_store.py).

Each browser keeps to one server, WebSocket and uploads included; an import
through one server shows through the other at its next rerun; and when its
server is taken out of the proxy, a browser moves to the other one, stays
signed in, and stays there once its server is back.
"""

from __future__ import annotations

import time

import pytest
from conftest import NYC311, screenshot, wait_until_idle
from nginx import BROWSER_HEADER, STICKY_COOKIE, UPSTREAM_HEADER, nginx_proxy

from analytics import access, store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not NYC311.exists(), reason="../shared/realdata is not beside the repo"),
]
# Chromium resolves every *.localhost name to loopback; the app serves it
# only because server.allowedHosts names it, as it would a public name.
NAME = "radar.localhost"
SOURCE = "nyc311_2023-02-28"
USER, PASSWORD = "alice", "alice-password-1"


@pytest.fixture
def replicas(tmp_path, app_server_factory):
    """Return the two app servers, on one new store with one admin, signing with one secret."""
    db, users = tmp_path / "app.sqlite", tmp_path / "users.json"
    con = store.connect(db)
    access.set_user(users, USER, "admin", PASSWORD, cur=con, actor=access.SYSTEM)
    con.close()
    env = {
        "BACKLOG_RADAR_USERS": str(users),
        "BACKLOG_RADAR_SESSION_SECRET": "one key for every server of the deployment",
        # The public name, and the loopback address that health checks use.
        "STREAMLIT_SERVER_ALLOWED_HOSTS": f"{NAME} 127.0.0.1",
    }
    return [app_server_factory(db, env=env) for _ in range(2)]


def new_page(browser, proxy, who: str, sticky: str | None = None):
    """Return a page in a new browser context (a new person), named ``who`` in the proxy's log.

    With ``sticky``, the browser already holds that sticky cookie (as if it had
    been on that server before).
    """
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, extra_http_headers={BROWSER_HEADER: who}
    )
    if sticky:
        context.add_cookies([{"name": STICKY_COOKIE, "value": sticky, "url": proxy.url}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def sign_in(page, proxy) -> None:
    page.goto(proxy.url)
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    signed_in(page)


def signed_in(page) -> None:
    page.get_by_test_id("stSidebar").get_by_text(f"{USER} · admin").wait_for()
    wait_until_idle(page)


def open_data_page(page) -> None:
    page.get_by_role("link", name="Data", exact=True).click()
    page.get_by_role("heading", name="Data").wait_for()
    wait_until_idle(page)


def sticky_cookie(page) -> str:
    """Return the sticky cookie the proxy last gave the page's browser."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return cookies[STICKY_COOKIE]


def finished_requests(proxy, browsers: set[str], timeout_s: float = 15) -> list:
    """Return the proxy's log once each browser's WebSocket (closed with its tab) is in it."""
    deadline = time.monotonic() + timeout_s
    while True:
        done = proxy.requests()
        streams = {r.browser for r in done if r.path == "/_stcore/stream"}
        if browsers <= streams or time.monotonic() > deadline:
            return done
        time.sleep(0.2)


def test_a_browser_keeps_to_its_server_until_drained_and_sees_the_others_imports(replicas, browser):
    upstreams = [f"127.0.0.1:{server.port}" for server in replicas]
    with nginx_proxy([server.port for server in replicas], name=NAME) as proxy:
        importer = new_page(browser, proxy, "importer")
        answered_by = set()
        importer.on("response", lambda r: answered_by.add(r.headers.get(UPSTREAM_HEADER.lower())))
        sign_in(importer, proxy)
        home = proxy.upstream_for(sticky_cookie(importer))
        (away,) = set(upstreams) - {home}
        assert answered_by == {home}, f"one browser's requests reached {answered_by}"

        # A second person, on the other server.
        reader = new_page(browser, proxy, "reader", sticky=proxy.cookie_for(away))
        sign_in(reader, proxy)
        open_data_page(reader)
        reader.get_by_text("No source yet.").wait_for()

        open_data_page(importer)
        importer.locator("input[type=file]").set_input_files(str(NYC311))
        importer.get_by_text("Recognised as").wait_for()
        importer.get_by_role("button", name="Import", exact=True).click()
        importer.get_by_text("Imported into source").wait_for(timeout=120_000)
        assert answered_by == {home}, f"one browser's requests reached {answered_by}"

        # The other server's session, untouched since: its next rerun shows the import.
        reader.get_by_role("link", name="Overview", exact=True).click()
        wait_until_idle(reader)
        open_data_page(reader)
        reader.get_by_test_id("stSidebar").get_by_text(SOURCE).wait_for()
        sources = reader.get_by_test_id("stTable").first
        sources.get_by_text(SOURCE).wait_for()
        assert "4999" in sources.inner_text().replace(",", "")
        screenshot(reader, "replicas_other_server_sees_the_import")

        # The importer's server taken out, as for an upgrade: its next page
        # load reaches the other server, which accepts its sign-in cookie...
        proxy.take_out(home)
        moved = importer.goto(proxy.url)
        assert moved.headers[UPSTREAM_HEADER.lower()] == away
        signed_in(importer)
        importer.get_by_test_id("stSidebar").get_by_text(SOURCE).wait_for()
        # ...and it stays there once its own server is back.
        proxy.put_back()
        stayed = importer.reload()
        assert stayed.headers[UPSTREAM_HEADER.lower()] == away
        assert sticky_cookie(importer) == proxy.cookie_for(away)
        signed_in(importer)

        importer.context.close()
        reader.context.close()
        done = finished_requests(proxy, {"importer", "reader"})

    assert {r.upstream for r in done if r.browser == "reader"} == {away}
    own = [r for r in done if r.browser == "importer"]
    streams = {(r.upstream, r.status) for r in own if r.path == "/_stcore/stream"}
    assert streams == {(home, 101), (away, 101)}, "a WebSocket before and after the move"
    uploads = {(r.upstream, r.status) for r in own if r.path.startswith("/_stcore/upload_file/")}
    assert uploads and all(u == home and status < 300 for u, status in uploads), uploads
