"""Sign-in and roles in a real browser against the real app.

Each role sees what it may do and nothing more; a write forged over the
app's WebSocket by a viewer is refused by the server; sign-in works through a
real (local) OpenID Connect provider and through the local users file; and an
app with no sign-in refuses to serve a non-loopback address.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, AppServer, screenshot, wait_until_idle
from exports import import_, zendesk
from oidc_provider import Provider

from analytics import access, events, store

pytestmark = pytest.mark.browser

PASSWORDS = {"alice": "alice-password-1", "ana": "ana-password-22", "vic": "vic-password-333"}
ROLES = {"alice": "admin", "ana": "analyst", "vic": "viewer"}


def write_signed_store(folder: Path) -> tuple[Path, Path]:
    """Return (database, users file) in ``folder``: one small source, one event, three users."""
    db, users = folder / "app.sqlite", folder / "app-users.json"
    con = store.connect(db)
    import_(con, zendesk(folder), source="desk")
    events.save_events(
        con,
        pd.DataFrame(
            [{"event_id": None, "name": "Rollout France", "kind": "interface rollout",
              "region": "all", "starts_on": date(2024, 3, 4), "ends_on": None, "notes": None}]
        ),
    )  # fmt: skip
    for name, role in ROLES.items():
        access.set_user(users, name, role, PASSWORDS[name], cur=con, actor=access.SYSTEM)
    con.close()
    return db, users


@pytest.fixture
def signed_store(tmp_path):
    """Return (database, users file) of a signed-in store of the test's own."""
    return write_signed_store(tmp_path)


@pytest.fixture
def app(signed_store, app_server_factory):
    """The app on a store of the test's own: for a test whose writes another test would see."""
    db, users = signed_store
    return app_server_factory(db, env={"BACKLOG_RADAR_USERS": str(users)})


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app for the module's tests that change nothing another test looks at.

    Each test has its own browser context, hence its own cookie and session.
    They sign in and out, fail one sign-in (far from a lockout), upload
    without importing and save the calendar unchanged, which only the test
    doing it reads back in the change log.
    """
    db, users = write_signed_store(tmp_path_factory.mktemp("shared"))
    server = AppServer(db, env={"BACKLOG_RADAR_USERS": str(users)}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def single_user_app(tmp_path_factory):
    """One app with no sign-in for the module: the tests using it only read."""
    server = AppServer(tmp_path_factory.mktemp("single") / "single.sqlite").start()
    yield server
    server.stop()


def sign_in(page, server, name: str, password: str | None = None) -> None:
    page.goto(server.url)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(password or PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()


def wait_until(page, condition, timeout_s: float = 30, every_ms: int = 100) -> None:
    """Wait until ``condition()`` is true, checking every ``every_ms``; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the browser never got there"
        page.wait_for_timeout(every_ms)


def signed_in_as(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(f"{name} · {ROLES[name]}").wait_for()
    wait_until_idle(page)


def open_page(page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    wait_until_idle(page)


class Relay:
    """Sits on the page's WebSocket to the app: forwards, or captures instead of sending."""

    def __init__(self) -> None:
        self.capturing = False
        self.captured: list = []
        self.server = None

    def __call__(self, ws) -> None:
        self.server = ws.connect_to_server()

        def from_page(message) -> None:
            if self.capturing:
                self.captured.append(message)
            else:
                self.server.send(message)

        ws.on_message(from_page)
        self.server.on_message(ws.send)


def session_on(browser, server, name: str, title: str):
    """Return (page, relay): a new browser session signed in as ``name``, on page ``title``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    relay = Relay()
    page.route_web_socket("**/_stcore/stream", relay)
    sign_in(page, server, name)
    signed_in_as(page, name)
    open_page(page, title)
    return page, relay


def test_nothing_shows_before_sign_in_and_a_wrong_password_is_refused(shared_app, page):
    page.goto(shared_app.url)
    page.get_by_label("Password", exact=True).wait_for()
    assert page.get_by_role("link", name="Overview").count() == 0
    assert page.get_by_text("Tickets created").count() == 0
    sign_in(page, shared_app, "vic", "not-the-password")
    page.get_by_text("Not signed in: wrong user name or password.").wait_for()
    screenshot(page, "sign_in_form")
    sign_in(page, shared_app, "vic")
    signed_in_as(page, "vic")
    page.get_by_role("heading", name="Overview").wait_for()


def test_a_viewer_sees_no_write_control(shared_app, page):
    sign_in(page, shared_app, "vic")
    signed_in_as(page, "vic")
    assert page.get_by_role("link", name="Access").count() == 0
    open_page(page, "Data")
    page.get_by_text("You are a viewer: importing data needs the analyst role.").wait_for()
    assert page.locator("input[type=file]").count() == 0
    assert page.get_by_role("button", name="Delete source…").count() == 0
    page.get_by_test_id("stTable").first.get_by_text("desk").wait_for()
    open_page(page, "Events")
    page.get_by_text("editing the calendar needs the analyst role").wait_for()
    for control in ("Save changes", "Add event", "Add public holidays"):
        assert page.get_by_role("button", name=control).count() == 0
    screenshot(page, "access_viewer_events")


def test_a_write_forged_by_a_viewer_is_refused_by_the_server(shared_app, browser):
    # An analyst's "Save changes" request, captured on its way to the server...
    analyst, analyst_relay = session_on(browser, shared_app, "ana", "Events")
    analyst_relay.capturing = True
    analyst.get_by_role("button", name="Save changes").click()
    wait_until(analyst, lambda: analyst_relay.captured)
    forged = list(analyst_relay.captured)
    assert forged, "the click sent nothing to capture"

    # ...replayed word for word in a viewer's session does nothing...
    viewer, viewer_relay = session_on(browser, shared_app, "vic", "Events")
    for message in forged:
        viewer_relay.server.send(message)
    # Nothing should happen: give the server time to act on the bytes, then look.
    viewer.wait_for_timeout(3000)
    wait_until_idle(viewer)
    assert viewer.get_by_text("Saved:").count() == 0

    # ...while the same bytes in another analyst's session do save: the request was real.
    second, second_relay = session_on(browser, shared_app, "ana", "Events")
    for message in forged:
        second_relay.server.send(message)
    second.get_by_text("Saved: 0 added, 0 changed, 0 deleted.").wait_for()

    open_page(second, "Data")
    log = second.get_by_test_id("stTable").last
    log.get_by_text("edit events").first.wait_for()
    rows = log.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('th, td')].map(c => c.innerText.trim()))"
    )
    edits = [row[1] for row in rows if "edit events" in row]
    assert edits == ["ana", "system"]  # the replay by the analyst, the fixture's calendar
    assert "vic" not in [row[1] for row in rows]  # the viewer's replay wrote nothing
    screenshot(second, "access_change_log")
    for context in (analyst.context, viewer.context, second.context):
        context.close()


def test_an_analyst_imports_but_cannot_delete(app, page, tmp_path):
    sign_in(page, app, "ana")
    signed_in_as(page, "ana")
    open_page(page, "Data")
    assert page.get_by_role("button", name="Delete source…").count() == 0
    (tmp_path / "upload").mkdir()
    export = zendesk(tmp_path / "upload")
    page.locator("input[type=file]").set_input_files(str(export))
    page.get_by_text("Recognised as").wait_for()
    wait_until_idle(page)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Imported into source").wait_for()
    page.get_by_test_id("stTable").first.get_by_text(export.stem).wait_for()
    assert page.get_by_role("button", name="Delete source…").count() == 0


def test_an_admin_deletes_a_source_and_the_recent_changes_say_who(app, page):
    sign_in(page, app, "alice")
    signed_in_as(page, "alice")
    open_page(page, "Data")
    page.get_by_role("button", name="Delete source…").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete", exact=True).click()
    page.get_by_text("Deleted source desk").wait_for()
    wait_until_idle(page)
    page.get_by_text("No source yet.").wait_for()
    log = page.get_by_test_id("stTable").last
    log.get_by_text("delete source").wait_for()
    assert "alice" in log.inner_text()
    open_page(page, "Access")
    page.get_by_text("Local users").wait_for()
    screenshot(page, "access_admin_page")


def test_repeated_wrong_passwords_lock_the_account_out(app, page):
    for _ in range(5):
        sign_in(page, app, "ana", "wrong-password")
        page.get_by_text("Not signed in: wrong user name or password.").wait_for()
    sign_in(page, app, "ana")  # the right password, too late
    page.get_by_text("too many failed sign-ins").wait_for()
    assert page.get_by_test_id("stSidebar").get_by_text("ana · analyst").count() == 0


@pytest.fixture
def provider():
    idp = Provider(groups={"dave@example.com": ["support-leads"]}).start()
    yield idp
    idp.stop()


def test_sign_in_through_an_openid_connect_provider(provider, app_server_factory, page, tmp_path):
    db = tmp_path / "oidc.sqlite"
    con = store.connect(db)
    import_(con, zendesk(tmp_path), source="desk")
    con.close()
    settings = tmp_path / "settings.toml"
    settings.write_text(
        '[access.roles]\n"carol@example.com" = "analyst"\n"group:support-leads" = "admin"\n'
    )
    server = app_server_factory(
        db, env={"BACKLOG_RADAR_SETTINGS": str(settings)}, secrets=provider.secrets_toml
    )
    page.goto(server.url)
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    page.get_by_role("heading", name="Test identity provider").wait_for()
    page.locator("#email").fill("carol@example.com")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("stSidebar").get_by_text("carol@example.com · analyst").wait_for()
    wait_until_idle(page)
    assert provider.tokens_issued == 1
    open_page(page, "Data")
    page.locator("input[type=file]").wait_for(state="attached")  # an analyst imports
    assert page.get_by_role("button", name="Delete source…").count() == 0

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in with your organisation's account").wait_for()

    # Someone the provider knows but no rule names gets no role, and no page.
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    page.locator("#email").fill("mallory@elsewhere.test")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("is signed in but has no role here").wait_for()
    assert page.get_by_role("link", name="Overview").count() == 0


def test_no_sign_in_means_localhost_only(single_user_app, page, tmp_path):
    page.goto(single_user_app.url)
    page.get_by_text("Single-user mode").wait_for()

    exposed = AppServer(tmp_path / "exposed.sqlite", address="0.0.0.0").start()
    try:
        page.goto(exposed.url)
        page.get_by_text("Backlog Radar refuses to serve 0.0.0.0 without sign-in").wait_for()
        assert page.get_by_role("link", name="Overview").count() == 0
    finally:
        exposed.stop()


def test_a_session_expires(signed_store, app_server_factory, page, tmp_path):
    db, users = signed_store
    settings = tmp_path / "short.toml"
    settings.write_text("[access]\nsession_hours = 0.003\n")  # about 11 seconds
    server = app_server_factory(
        db, env={"BACKLOG_RADAR_USERS": str(users), "BACKLOG_RADAR_SETTINGS": str(settings)}
    )
    sign_in(page, server, "vic")
    signed_in_as(page, "vic")
    ended = page.get_by_text("Your session ended: sign in again.")
    # Each click reruns the page, which checks the cookie's age again.
    wait_until(
        page,
        lambda: ended.count() or page.get_by_role("link", name="Data", exact=True).click(),
        timeout_s=90,
        every_ms=1000,
    )
    page.get_by_role("button", name="Sign in with a user name and password").click()
    page.get_by_label("Password", exact=True).wait_for()  # the form, in the same tab
    assert page.get_by_role("link", name="Overview").count() == 0


# --- the session belongs to the browser that signed in ------------------------------------

# Presents a given Streamlit session id when the page opens its WebSocket, as a
# client that read the id from an upload URL in a proxy log would.
REPLAY = """
const Native = window.WebSocket;
window.WebSocket = function (url, protocols) {
    return new Native(url, [protocols[0], protocols[1], %r]);
};
window.WebSocket.prototype = Native.prototype;
"""


def upload_session_id(page, tmp_path) -> str:
    """Upload a file on the Data page; return the Streamlit session id its URL carries."""
    open_page(page, "Data")
    (tmp_path / "probe").mkdir(exist_ok=True)
    with page.expect_request(lambda r: "/_stcore/upload_file/" in r.url) as upload:
        page.locator("input[type=file]").set_input_files(str(zendesk(tmp_path / "probe")))
    return upload.value.url.split("/_stcore/upload_file/")[1].split("/")[0]


def test_a_replayed_session_id_without_the_cookie_gets_the_sign_in_screen(
    shared_app, browser, tmp_path
):
    admin = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    admin.set_default_timeout(60_000)
    sign_in(admin, shared_app, "alice")
    signed_in_as(admin, "alice")
    stolen = upload_session_id(admin, tmp_path)

    def attacker_sees_no_admin_page() -> None:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(REPLAY % stolen)
        page = context.new_page()
        page.set_default_timeout(60_000)
        # The page itself would be sent to the sign-in form; ask for it as a
        # script would, so the app loads and its WebSocket presents the id.
        page.route(
            f"{shared_app.url}/",
            lambda route: route.continue_(headers={**route.request.headers, "accept": "*/*"}),
        )
        page.goto(f"{shared_app.url}/")
        page.get_by_role("button", name="Sign in with a user name and password").wait_for()
        wait_until_idle(page)
        assert page.get_by_text("alice · admin").count() == 0
        assert page.get_by_role("link", name="Access").count() == 0
        screenshot(page, "access_replayed_session")
        context.close()

    attacker_sees_no_admin_page()
    admin.get_by_text("alice · admin").wait_for()  # the admin's own tab is untouched
    admin.context.close()  # and after the admin's tab is gone, within Streamlit's two minutes
    attacker_sees_no_admin_page()


def test_a_reload_and_a_new_tab_stay_signed_in(shared_app, page):
    sign_in(page, shared_app, "ana")
    signed_in_as(page, "ana")
    open_page(page, "Backlog")
    page.reload()
    signed_in_as(page, "ana")
    page.get_by_role("heading", name="Backlog", exact=True).wait_for()
    second = page.context.new_page()
    second.goto(f"{shared_app.url}/response_times")
    second.get_by_test_id("stSidebar").get_by_text("ana · analyst").wait_for()
    second.get_by_role("heading", name="Response times").wait_for()
    # Signing out in one tab signs the other out at its next run.
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    page.get_by_label("Password", exact=True).wait_for()
    second.get_by_role("link", name="Overview", exact=True).click()
    second.get_by_text("Your session ended: sign in again.").wait_for()


def test_a_page_under_another_host_name_gets_nothing(single_user_app, browser):
    server = single_user_app  # no sign-in at all
    # The attacker's name resolves to this machine, as after a DNS rebinding.
    rebinding = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"],
    )
    try:
        page = rebinding.new_page()
        page.goto(f"http://evil.example:{server.port}/")
        page.get_by_text("This host name is not served here.").wait_for()
        assert page.get_by_role("button", name="Delete source…").count() == 0
        page.goto(f"http://localhost:{server.port}/")
        page.get_by_text("Single-user mode").wait_for()
    finally:
        rebinding.close()


def test_another_site_cannot_frame_the_app(single_user_app, page):
    page.set_content(
        f'<iframe src="{single_user_app.url}/" onload="this.dataset.loaded = 1"></iframe>'
    )
    page.wait_for_selector("iframe[data-loaded]", state="attached")
    # The browser refuses to show the page in the frame and loads its error page instead.
    assert page.frames[1].url.startswith("chrome-error://")
    assert page.frame_locator("iframe").get_by_text("Single-user mode").count() == 0


# --- a shared link keeps its page through sign-in ----------------------------------------


def test_a_shared_link_opened_signed_out_leads_through_sign_in_to_its_page(shared_app, page):
    page.goto(f"{shared_app.url}/response_times?source=desk")
    password = page.get_by_label("Password", exact=True)
    password.wait_for()
    # The browser may offer the saved password: the field is the current one, not a new one.
    assert password.get_attribute("autocomplete") == "current-password"
    page.get_by_label("User name").fill("vic")
    password.fill(PASSWORDS["vic"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Response times", exact=True).wait_for()
    wait_until_idle(page)
    assert "/response_times?" in page.url and "source=desk" in page.url
    assert page.get_by_text("Page not found").count() == 0


def test_a_shared_link_keeps_its_page_through_the_identity_provider(
    provider, app_server_factory, page, tmp_path
):
    db = tmp_path / "oidc.sqlite"
    con = store.connect(db)
    import_(con, zendesk(tmp_path), source="desk")
    con.close()
    settings = tmp_path / "settings.toml"
    settings.write_text('[access.roles]\n"carol@example.com" = "analyst"\n')
    server = app_server_factory(
        db, env={"BACKLOG_RADAR_SETTINGS": str(settings)}, secrets=provider.secrets_toml
    )
    page.goto(f"{server.url}/response_times?source=desk")
    signing_in = page.get_by_role("button", name="Sign in with your organisation's account")
    signing_in.wait_for()
    wait_until_idle(page)
    assert page.get_by_text("Page not found").count() == 0
    signing_in.click()
    page.locator("#email").fill("carol@example.com")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Response times", exact=True).wait_for()
    wait_until_idle(page)
    assert "source=desk" in page.url
    assert page.get_by_text("Page not found").count() == 0
