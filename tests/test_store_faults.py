"""The store failing under the app and the command line: said in one line, and recovered from.

A PostgreSQL catalog that stops (a real server, stopped and started again), a
data file removed behind the store's back, and two sessions editing the
events calendar at once.
"""

from __future__ import annotations

import datetime as dt

import exports
import pandas as pd
import pytest
import streamlit as st
from apptest import APP
from streamlit.testing.v1 import AppTest

from analytics import access, cli, events, store

MAPPING = {"ticket_id": "Id", "created_at": "Created"}
ANALYST = access.User("ana", "analyst", "local")


def _fill(con, tmp_path) -> None:
    path = exports.write_csv(
        tmp_path / "desk.csv",
        ["Id", "Created"],
        [[f"T{n}", f"2024-03-{1 + n % 28:02d} 09:00"] for n in range(300)],
    )
    exports.import_(con, path, preset="generic", mapping=MAPPING, source="desk")


def _pg_args(pg_catalog: str, tmp_path) -> list[str]:
    return ["--catalog", pg_catalog, "--data-path", str(tmp_path / "files")]


def test_a_stopped_catalog_is_one_line_on_the_command_line_and_the_next_command_works(
    pg_server, pg_catalog, tmp_path, capsys
):
    con = store.connect(None, catalog=pg_catalog, data_path=tmp_path / "files")
    _fill(con, tmp_path)
    con.close()
    pg_server.stop()
    try:
        assert cli.main(["sources", *_pg_args(pg_catalog, tmp_path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "catalog" in err and f"127.0.0.1:{pg_server.port}" in err
    finally:
        pg_server.start()
    assert cli.main(["sources", *_pg_args(pg_catalog, tmp_path), "--json"]) == 0
    assert "desk" in capsys.readouterr().out


def test_a_page_says_the_catalog_is_down_in_one_line_and_recovers_without_a_restart(
    pg_server, pg_catalog, tmp_path, monkeypatch
):
    con = store.connect(None, catalog=pg_catalog, data_path=tmp_path / "files")
    _fill(con, tmp_path)
    con.close()
    monkeypatch.setenv("BACKLOG_RADAR_CATALOG", pg_catalog)
    monkeypatch.setenv("BACKLOG_RADAR_DATA_PATH", str(tmp_path / "files"))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "no-users.json"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.error
    pg_server.stop()
    try:
        at.run()
        assert not at.exception  # no traceback
        assert len(at.error) == 1
        assert "cannot be reached" in at.error[0].value
        at.run()  # another run: the same line, no crash loop
        assert not at.exception and len(at.error) == 1
    finally:
        pg_server.start()
    at.run()
    assert not at.exception and not at.error
    assert "desk" in at.table[0].value.to_string()
    st.cache_resource.clear()


def test_a_data_file_removed_behind_the_stores_back_is_named(tmp_path, capsys):
    db = tmp_path / "store.sqlite"
    con = store.connect(db)
    _fill(con, tmp_path)
    con.close()
    (gone,) = list((tmp_path / "store.sqlite.files").rglob("*.parquet"))
    gone.unlink()
    assert cli.main(["metrics", "--db", str(db), "--source", "desk"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"a data file of the store is missing: {gone}" in err


def _calendar_row(name: str) -> dict:
    return {
        "event_id": None,
        "name": name,
        "kind": "marketing campaign",
        "region": "all",
        "source": None,
        "starts_on": dt.date(2024, 3, 4),
        "ends_on": None,
        "notes": None,
    }


def test_two_sessions_editing_the_calendar_the_second_is_told_and_nothing_is_overwritten(
    tmp_path,
):
    con = store.connect(tmp_path / "store.sqlite")
    opened = events.all_events(con)  # both sessions open the editor on this calendar
    first = pd.concat([opened, pd.DataFrame([_calendar_row("Spring sale")])])
    second = pd.concat([opened, pd.DataFrame([_calendar_row("Price change")])])
    events.save_events(con, first, actor=ANALYST, based_on=opened)
    with pytest.raises(events.CalendarChanged, match="changed since you opened it"):
        events.save_events(con, second, actor=ANALYST, based_on=opened)
    assert list(events.all_events(con)["name"]) == ["Spring sale"]
    # Reloaded, the second session's edit goes through and keeps the first's.
    reloaded = events.all_events(con)
    events.save_events(
        con,
        pd.concat([reloaded, pd.DataFrame([_calendar_row("Price change")])]),
        actor=ANALYST,
        based_on=reloaded,
    )
    assert sorted(events.all_events(con)["name"]) == ["Price change", "Spring sale"]


def test_two_writers_committing_the_calendar_at_once_do_not_both_land(store_location):
    con = store.connect(**store_location)
    opened = events.all_events(con)
    one, two = store.cursor(con), store.cursor(con)
    # Two transactions that both began before either committed.
    one.execute("begin")
    two.execute("begin")
    for cur, name in ((one, "A"), (two, "B")):
        store.next_id(cur, "event")
        cur.execute(
            store.load_sql("event_insert"),
            {**_calendar_row(name), "event_id": 100 + ord(name)},
        )
    one.execute("commit")
    with pytest.raises(Exception) as lost:
        two.execute("commit")
    assert store.is_conflict(lost.value)
    assert list(events.all_events(con)["name"]) == ["A"]
    assert opened.empty
