"""Sign-in and roles through the real frame (Streamlit AppTest) against a real store."""

import time

import pytest
import streamlit as st
from conftest import ROOT
from exports import import_, zendesk
from streamlit.testing.v1 import AppTest

from analytics import access, sessions, store
from analytics.settings import load_settings

PASSWORD = "a-long-password"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """Return (AppTest on app.py, users file, database) with one source and three users."""
    db, users = tmp_path / "pages.sqlite", tmp_path / "users.json"
    con = store.connect(db)
    import_(con, zendesk(tmp_path), source="desk")
    for name, role in (("alice", "admin"), ("ana", "analyst"), ("vic", "viewer")):
        access.set_user(users, name, role, PASSWORD, cur=con, actor=access.SYSTEM)
    con.close()
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(users))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), users, db
    st.cache_resource.clear()


def token_for(name: str, secret: bytes | None = None) -> str:
    """Return a session token for ``name``, signed with the app's key unless ``secret`` is given."""
    cfg = load_settings().access
    key = secret or sessions.load_secret(cfg.secret_file, cfg.session_secret)
    return sessions.issue(key, name, time.time())


def as_user(at: AppTest, name: str, role: str) -> AppTest:
    """Sign ``name`` in (a session with no browser carries the token in its state)."""
    del role  # the users file gives the role
    at.session_state["auth_token"] = token_for(name)
    return at


def sidebar_text(at: AppTest) -> str:
    return " ".join(str(c.value) for c in at.sidebar.caption)


def test_only_a_token_signed_by_the_app_signs_in(app):
    at, _, db = app
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Backlog Radar"]
    assert not at.metric  # no figure before signing in
    assert "Sign in with a user name and password" in [b.label for b in at.button]
    at.session_state["auth_token"] = token_for("alice", secret=b"another key")
    at.run()
    assert not at.metric and "auth_expired" not in at.session_state  # shown, then cleared
    assert any("Your session ended" in i.value for i in at.info)
    at.session_state["auth_token"] = token_for("vic")
    at.run()
    assert not at.exception
    assert "vic" in sidebar_text(at) and "viewer" in sidebar_text(at)


def test_a_signed_out_token_signs_in_no_more(app):
    at, _, db = app
    token = token_for("vic")
    at.session_state["auth_token"] = token
    at.run()
    assert "vic" in sidebar_text(at)
    session = sessions.verify(
        sessions.load_secret(load_settings().access.secret_file), token, time.time(), 3600
    )
    con = store.connect(db)  # the same store as the app's (one process shares it)
    sessions.revoke(con, session, access.User("vic", "viewer", "local"))
    con.close()
    at.run()
    assert not at.metric and "vic" not in sidebar_text(at)
    assert any("Your session ended" in i.value for i in at.info)


def test_a_viewer_gets_no_import_or_delete_control(app):
    at, _, _ = app
    as_user(at, "vic", "viewer").run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert any("importing data needs the analyst role" in i.value for i in at.info)
    assert not at.get("file_uploader")
    assert "delete_source" not in [b.key for b in at.button]


def test_a_role_change_in_the_users_file_applies_at_once(app):
    at, users, db = app
    as_user(at, "ana", "analyst").run()
    at.switch_page("pages/data.py").run()
    assert at.get("file_uploader")
    con = store.connect(db.with_name("audit.sqlite"))
    access.set_user(users, "ana", "viewer", None, cur=con, actor=access.SYSTEM)
    at.run()
    assert not at.get("file_uploader")
    assert "viewer" in sidebar_text(at)
    access.remove_user(users, "ana", cur=con, actor=access.SYSTEM)
    con.close()
    at.run()
    assert not at.metric and not at.get("file_uploader")
    assert "Sign in with a user name and password" in [b.label for b in at.button]  # signed out


def test_the_access_page_is_for_admins_only(app):
    at, _, _ = app
    as_user(at, "ana", "analyst").run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/access.py")  # not in an analyst's navigation
    # The page file run on its own, without the frame, refuses too.
    page = as_user(AppTest.from_file(str(ROOT / "pages" / "access.py")), "ana", "analyst")
    page.run()
    assert any("managing access needs the admin role" in e.value for e in page.error)
    assert not page.get("form")


def test_an_admin_adds_a_user_on_the_access_page(app):
    at, users, _ = app
    as_user(at, "alice", "admin").run()
    at.switch_page("pages/access.py").run()
    assert not at.exception
    at.text_input[0].input("bob")
    at.text_input[1].input("bobs-long-password")
    at.button[0].click().run()  # the form's role defaults to viewer
    assert not at.exception
    assert access.load_users(users)["bob"].role == "viewer"
    assert access.authenticate(access.load_users(users), "bob", "bobs-long-password")
    assert any("Saved bob as viewer" in s.value for s in at.success)


def test_the_last_admin_cannot_demote_or_remove_themselves(app):
    at, users, _ = app
    as_user(at, "alice", "admin").run()
    at.switch_page("pages/access.py").run()
    at.text_input[0].input("alice")
    at.selectbox[0].select("viewer")
    at.button[0].click().run()
    assert any("alice is the last admin" in e.value for e in at.error)
    assert access.load_users(users)["alice"].role == "admin"


def test_an_admin_unlocks_a_locked_out_user_on_the_access_page(app):
    at, _, db = app
    con = store.connect(db)
    for _ in range(5):
        with store.transaction(con) as cur:
            access.record(cur, access.User("vic", "-", "local"), "sign_in_failed", "10.0.0.9")
    refused = access.sign_in_refusal(con, "vic", "10.0.0.1", max_failures=5, window_s=900)
    assert refused and "too many failed sign-ins" in refused
    as_user(at, "alice", "admin").run()
    at.switch_page("pages/access.py").run()
    at.selectbox(key="remove_choice").select("vic")
    at.button(key="unlock_user").click().run()
    assert not at.exception
    assert any("vic may sign in again" in s.value for s in at.success)
    assert access.sign_in_refusal(con, "vic", "10.0.0.1", max_failures=5, window_s=900) is None
    # The address that guessed stays throttled: the unlock is for the account.
    assert access.sign_in_refusal(con, "mallory", "10.0.0.9", max_failures=5, window_s=900)
    con.close()


def test_no_first_user_is_made_in_the_browser(tmp_path, monkeypatch):
    db = tmp_path / "single.sqlite"
    store.connect(db).close()
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "none.json"))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/access.py").run()
    assert any("python -m analytics add-user NAME --role admin" in i.value for i in at.info)
    assert not at.get("form") and not (tmp_path / "none.json").exists()
    st.cache_resource.clear()


def test_in_french_the_audit_log_speaks_plain_french(app):
    at, _, db = app
    con = store.connect(db)
    with store.transaction(con) as cur:
        access.record(cur, access.User("vic", "-", "local"), "sign_in_failed", "10.0.0.9")
    with store.transaction(con) as cur:
        access.record(cur, access.SYSTEM, "import", "desk", {"inserted": 12345, "file": "a.csv"})
    con.close()
    at.query_params["lang"] = "fr"
    as_user(at, "alice", "admin").run()
    at.switch_page("pages/access.py").run()
    assert not at.exception
    assert "Journal d'audit" in [s.value for s in at.subheader]
    log = at.dataframe[-1].value
    assert {"Quand", "Qui", "Action", "Détail"} <= set(log.columns)
    assert "detail" not in log.columns and "via" not in log.columns
    assert "échec de connexion" in set(log["Action"])
    assert "nom d'utilisateur et mot de passe" in set(log["Connecté par"])
    # The detail is a sentence, not JSON; counts keep French separators.
    assert "insérés\u202f: 12\u202f345 · fichier\u202f: a.csv" in set(log["Détail"])
    assert not any(str(v).startswith("{") for v in log["Détail"])
    # Dates read as French dates in the display zone.
    assert log["Quand"].str.contains(r"\d{4}, \d\d:\d\d$").all()


def test_in_french_a_refused_change_is_said_in_french(app):
    at, _, _ = app
    at.query_params["lang"] = "fr"
    as_user(at, "alice", "admin").run()
    at.switch_page("pages/access.py").run()
    at.text_input[0].input("alice")
    at.selectbox[0].select("viewer")  # shown as "lecteur"
    at.button[0].click().run()
    assert any(
        "alice est le dernier administrateur\u202f: nommez d'abord" in e.value for e in at.error
    ), [e.value for e in at.error]


def test_in_french_a_viewer_is_told_the_calendar_needs_an_analyst(app):
    at, _, _ = app
    at.query_params["lang"] = "fr"
    as_user(at, "vic", "viewer").run()
    at.switch_page("pages/events.py").run()
    assert not at.exception
    assert at.title[0].value == "Événements"
    assert any(
        "Vous êtes lecteur\u202f: modifier le calendrier demande le rôle analyste." in c.value
        for c in at.caption
    )
