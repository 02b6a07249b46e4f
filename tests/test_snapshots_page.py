"""The Data page's recent changes and its undo of an import (Streamlit AppTest, a real store)."""

from __future__ import annotations

import time

import pytest
from apptest import app_on
from exports import import_, write_csv

import ui
from analytics import access, sessions, store
from analytics.settings import load_settings

PAGE = "pages/data.py"
HEADER = ["Ticket", "Opened", "Answered", "Solved", "State"]
MAPPING = {
    "ticket_id": "Ticket",
    "created_at": "Opened",
    "resolved_at": "Solved",
    "status": "State",
}
FIRST = [[f"T-{i}", "2024-03-12 09:00:00", "", "", "Open"] for i in range(1, 21)]
# The same tickets, five of them now solved, and five new ones.
SECOND = [
    [f"T-{i}", "2024-03-12 09:00:00", "", "2024-03-13 10:00:00" if i <= 5 else "", state]
    for i in range(1, 26)
    for state in ["Solved" if i <= 5 else "Open"]
]


def tickets(db) -> list[tuple]:
    con = store.connect(db)
    try:
        return con.execute("select * from tickets order by source, ticket_id").fetchall()
    finally:
        con.close()


@pytest.fixture
def desk(tmp_path):
    """Return (store file, tickets before the second import) for a store of two imports of desk."""
    db = tmp_path / "page.sqlite"
    con = store.connect(db)
    first = write_csv(tmp_path / "first.csv", HEADER, FIRST)
    import_(con, first, source="desk", preset="generic", mapping=MAPPING)
    con.close()
    before = tickets(db)
    con = store.connect(db)
    second = write_csv(tmp_path / "second.csv", HEADER, SECOND)
    import_(con, second, source="desk", preset="generic", mapping=MAPPING)
    con.close()
    return db, before


@pytest.fixture
def app(desk, tmp_path, monkeypatch):
    yield from app_on(desk[0], tmp_path, monkeypatch)


def recent_changes(at):
    """Return the recent changes table as drawn (cells escaped for Markdown)."""
    return next(t.value for t in at.table if "Changes" in t.value.columns)


def test_recent_changes_list_each_import_who_what_and_on_what(app):
    at = app.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "Recent changes" in [h.value for h in at.header]
    table = recent_changes(at)
    rows = table[["Who", "What", "On", "Changes"]].values.tolist()
    assert rows[:2] == [
        ["system", ui.md_escape("import #2"), "desk", "imports added, tickets changed"],
        ["system", ui.md_escape("import #1"), "desk", "imports added, tickets added"],
    ]
    assert all(when.endswith("UTC") for when in table.index)


def test_the_undo_button_puts_the_tickets_back_as_they_were(app, desk):
    db, before = desk
    at = app.run()
    at.switch_page(PAGE).run()
    # Only the latest import of a source can be undone: it is the one offered.
    (offered,) = at.selectbox(key="undo_choice").options
    assert offered.startswith("#2 into desk, ") and offered.endswith(" UTC")
    at.button(key="undo_import").click().run()
    assert not at.exception
    assert any("back as they were before import #2" in t.value for t in at.text)
    at.button(key="confirm_undo").click().run()
    assert not at.exception
    assert tickets(db) == before
    assert any("5 tickets removed, 5 restored" in s.value for s in at.success)
    top = recent_changes(at)[["What", "On", "Changes"]].values.tolist()[0]
    assert top == [ui.md_escape("undo import"), "desk", "imports removed, tickets changed"]
    # Now the first import is the latest of its source: it is offered in turn.
    assert at.selectbox(key="undo_choice").options[0].startswith("#1 into desk")


def test_an_analyst_sees_the_changes_but_gets_no_undo_button(app, desk, tmp_path, monkeypatch):
    users = tmp_path / "users.json"
    con = store.connect(desk[0])
    for name, role in (("alice", "admin"), ("ana", "analyst")):
        access.set_user(users, name, role, "a-long-password", cur=con, actor=access.SYSTEM)
    con.close()
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(users))  # local users: no single-user admin
    at = app
    cfg = load_settings().access
    secret = sessions.load_secret(cfg.secret_file, cfg.session_secret)
    at.session_state["auth_token"] = sessions.issue(secret, "ana", time.time())
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert len(recent_changes(at)) >= 2
    assert "undo_import" not in [b.key for b in at.button]
