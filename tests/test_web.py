"""The HTTP layer of the served app (serve.py, web.py), spoken to over real HTTP.

Host names, framing headers, hidden endpoints, the sign-in form and its
cookie, upload permits and sign-in throttling, against ``streamlit run
serve.py`` on loopback.
"""

from __future__ import annotations

import http.client
import re
import time
from urllib.parse import urlencode

import pytest
from exports import import_, zendesk

from analytics import access, store

PASSWORD = "a-long-password"


def request(server, method: str, path: str, *, headers=None, body=None):
    """Return (status, headers, body text) of one request to ``server``."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def sign_in(server, name: str, password: str, *, next_path: str = "/", headers=None):
    form = urlencode({"name": name, "password": password, "next": next_path})
    return request(
        server,
        "POST",
        "/auth/sign-in",
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        body=form,
    )


@pytest.fixture
def single(app_server_factory, tmp_path):
    """The app in single-user mode (no users file), on loopback."""
    return app_server_factory(tmp_path / "single.sqlite")


@pytest.fixture
def team(app_server_factory, tmp_path):
    """The app with a users file (alice, admin; vic, viewer) and one small source."""
    db, users = tmp_path / "team.sqlite", tmp_path / "team-users.json"
    con = store.connect(db)
    import_(con, zendesk(tmp_path), source="desk")
    access.set_user(users, "alice", "admin", PASSWORD, cur=con, actor=access.SYSTEM)
    access.set_user(users, "vic", "viewer", PASSWORD, cur=con, actor=access.SYSTEM)
    con.close()
    return app_server_factory(db, env={"BACKLOG_RADAR_USERS": str(users)})


def test_a_single_user_app_answers_only_loopback_host_names(single):
    for host in ("evil.example", f"evil.example:{single.port}", "192.168.1.5", "", "a b"):
        status, _, _ = request(single, "GET", "/", headers={"Host": host})
        assert status in (400, 421), host
    for host in (f"localhost:{single.port}", f"127.0.0.1:{single.port}", "[::1]"):
        status, _, _ = request(single, "GET", "/", headers={"Host": host})
        assert status == 200, host


def test_a_websocket_under_another_host_name_is_refused(single):
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Protocol": "streamlit",
    }
    evil = {"Host": "evil.example", "Origin": "http://evil.example"}
    status, _, _ = request(single, "GET", "/_stcore/stream", headers={**upgrade, **evil})
    assert status == 403
    own = {"Host": f"127.0.0.1:{single.port}", "Origin": f"http://127.0.0.1:{single.port}"}
    status, _, _ = request(single, "GET", "/_stcore/stream", headers={**upgrade, **own})
    assert status == 101


def test_no_page_may_be_framed_and_metrics_are_not_served(single):
    for path in ("/", "/_stcore/health", "/backlog"):
        _, headers, _ = request(single, "GET", path)
        assert headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    for path in ("/_stcore/metrics", "/_stcore/agent/openapi.json"):
        status, _, _ = request(single, "GET", path)
        assert status == 404


def test_a_page_request_without_a_sign_in_goes_to_the_form(team):
    status, headers, _ = request(
        team, "GET", "/backlog?period=All", headers={"Accept": "text/html"}
    )
    assert status == 303
    assert headers["Location"] == "/auth/sign-in?next=/backlog%3Fperiod%3DAll"
    status, _, page = request(team, "GET", headers["Location"])
    assert status == 200
    assert 'autocomplete="current-password"' in page and 'autocomplete="username"' in page
    assert 'value="/backlog?period=All"' in page


def test_the_right_password_sets_a_signed_http_only_cookie(team):
    status, _, page = sign_in(team, "vic", "wrong password")
    assert status == 401 and "wrong user name or password" in page
    status, headers, _ = sign_in(team, "vic", PASSWORD, next_path="/backlog")
    assert status == 303 and headers["Location"] == "/backlog"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("backlog_radar_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
    token = re.match(r"backlog_radar_session=([^;]+)", cookie)[1]
    status, _, _ = request(
        team, "GET", "/backlog", headers={"Accept": "text/html", "Cookie": cookie.split(";")[0]}
    )
    assert status == 200
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    status, _, _ = request(
        team,
        "GET",
        "/",
        headers={"Accept": "text/html", "Cookie": f"backlog_radar_session={forged}"},
    )
    assert status == 303


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_sign_in_never_redirects_off_site(team, target):
    status, headers, _ = sign_in(team, "vic", PASSWORD, next_path=target)
    assert status == 303 and headers["Location"] == "/"


def test_a_sign_in_posted_from_another_site_is_refused(team):
    status, headers, page = sign_in(
        team, "vic", PASSWORD, headers={"Origin": "http://evil.example"}
    )
    assert status == 403 and "Set-Cookie" not in headers
    assert "Sign in from this site" in page


def test_uploads_need_a_signed_in_analyst(team):
    files = "--b\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\nx\r\n--b--\r\n"
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    status, _, _ = request(team, "PUT", "/_stcore/upload_file/some-session/f1", headers=headers)
    assert status == 403
    cookie = sign_in(team, "alice", PASSWORD)[1]["Set-Cookie"].split(";")[0]
    status, _, _ = request(
        team,
        "PUT",
        "/_stcore/upload_file/some-session/f1",
        headers={**headers, "Cookie": cookie},
        body=files,
    )
    assert status == 403  # a sign-in is not enough: the session must hold a permit


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(team):
    for _ in range(5):
        assert sign_in(team, "alice", "not her password")[0] == 401
    status, headers, page = sign_in(team, "alice", PASSWORD)
    assert status == 401 and "too many failed sign-ins" in page
    assert "Set-Cookie" not in headers


def test_sign_out_revokes_the_cookie(team):
    cookie = sign_in(team, "vic", PASSWORD)[1]["Set-Cookie"].split(";")[0]
    status, headers, _ = request(team, "GET", "/auth/logout", headers={"Cookie": cookie})
    assert status == 303 and headers["Location"] == "/auth/sign-in"
    assert "backlog_radar_session=" in headers["Set-Cookie"]  # deleted in the browser
    # A copy of the cookie kept elsewhere opens the page, but its runs sign in no one:
    # the app checks the revocation on every run (tests/test_browser_access.py).
    cross = {"Cookie": cookie, "Sec-Fetch-Site": "cross-site"}
    status, _, page = request(team, "GET", "/auth/logout", headers=cross)
    assert status == 200 and 'action="/auth/logout"' in page  # asks before signing out


def test_the_form_keeps_a_typed_name_as_text(team):
    status, _, page = sign_in(team, '"><script>alert(1)</script>', "wrong password")
    assert status == 401
    assert "<script>alert(1)" not in page
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_the_form_speaks_the_browsers_language_or_the_one_the_link_asks_for(team):
    french = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    status, _, page = request(team, "GET", "/auth/sign-in?next=/backlog", headers=french)
    assert status == 200 and '<html lang="fr">' in page
    assert "Nom d&#x27;utilisateur" in page and "Mot de passe" in page and "Se connecter" in page
    assert 'autocomplete="current-password"' in page
    # A shared link's ?lang=fr goes through next, whatever the browser says.
    english = {"Accept-Language": "en-GB"}
    _, _, page = request(team, "GET", "/auth/sign-in?next=/backlog%3Flang%3Dfr", headers=english)
    assert '<html lang="fr">' in page and 'value="/backlog?lang=fr"' in page
    _, _, page = request(team, "GET", "/auth/sign-in", headers=english)
    assert '<html lang="en">' in page and "User name" in page
    status, _, page = sign_in(team, "vic", "wrong password", headers=french)
    assert status == 401 and "Connexion refusée\u202f: nom d&#x27;utilisateur" in page


def test_signing_in_again_after_a_session_ended_leads_back_to_the_page(team):
    page = f"http://127.0.0.1:{team.port}/response_times?source=desk"
    status, headers, _ = request(team, "GET", "/auth/logout", headers={"Referer": page})
    assert status == 303
    assert headers["Location"] == "/auth/sign-in?next=/response_times%3Fsource%3Ddesk"
    # Another site's page is not a place to come back to.
    other = {"Referer": "http://evil.example/response_times"}
    status, headers, _ = request(team, "GET", "/auth/logout", headers=other)
    assert headers["Location"] == "/auth/sign-in"


def test_the_server_copies_the_tickets_before_anyone_opens_a_page(app_server_factory, tmp_path):
    """A big store's first copy takes tens of seconds: the server starts it, not the first
    manager's page. The copy's folder appears while no session has ever connected."""
    db = tmp_path / "warm.sqlite"
    con = store.connect(db)
    import_(con, zendesk(tmp_path), source="desk")
    con.close()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    app_server_factory(db, env={"TMPDIR": str(scratch)})
    deadline = time.monotonic() + 60
    while not list(scratch.glob("backlog-radar-replica-*/replica.duckdb")):
        assert time.monotonic() < deadline, "no local copy 60 s after the server answered"
        time.sleep(0.2)
