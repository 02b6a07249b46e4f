"""Sign-in and roles through the real frame (Streamlit AppTest) against a real store."""

import time

import pytest
import streamlit as st
from conftest import ROOT
from exports import import_, zendesk
from streamlit.testing.v1 import AppTest

from analytics import access, store

PASSWORD = "a-long-password"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """Return (AppTest on app.py, users file, database) with one source and three users."""
    db, users = tmp_path / "pages.duckdb", tmp_path / "users.json"
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


def as_user(at: AppTest, name: str, role: str) -> AppTest:
    at.session_state["auth_user"] = access.User(name, role, "local")
    at.session_state["auth_at"] = time.time()
    return at


def sidebar_text(at: AppTest) -> str:
    return " ".join(str(c.value) for c in at.sidebar.caption)


def test_the_sign_in_form_comes_first_and_lets_the_right_password_in(app):
    at, _, _ = app
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Backlog Radar"]
    assert not at.metric  # no figure before signing in
    at.text_input[0].input("vic")
    at.text_input[1].input("wrong password")
    at.button[0].click().run()
    assert any("wrong user name or password" in e.value for e in at.error)
    at.text_input[0].input("vic")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert "vic" in sidebar_text(at) and "viewer" in sidebar_text(at)


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
    con = store.connect(db.with_name("audit.duckdb"))
    access.set_user(users, "ana", "viewer", None, cur=con, actor=access.SYSTEM)
    at.run()
    assert not at.get("file_uploader")
    assert "viewer" in sidebar_text(at)
    access.remove_user(users, "ana", cur=con, actor=access.SYSTEM)
    con.close()
    at.run()
    assert not at.metric and not at.get("file_uploader")
    assert at.text_input[0].label == "User name"  # signed out


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
