"""Roles, local users, sign-in throttling, the audit log and safe exports, on a real store."""

import csv
import io
import json
import os
import stat
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from analytics import access, access_words, cli, events, exports, i18n, store
from analytics.planning import staffing
from analytics.settings import SettingsError, load_settings

VIEWER = access.User("vic", "viewer", "local")
ANALYST = access.User("ana", "analyst", "local")
ADMIN = access.User("alice", "admin", "local")


@pytest.fixture
def con():
    connection = store.connect(":memory:")
    yield connection
    connection.close()


def event_row(name: str = "Rollout France") -> dict:
    return {
        "event_id": None,
        "name": name,
        "kind": "interface rollout",
        "region": "France",
        "starts_on": date(2026, 3, 2),
        "ends_on": date(2026, 3, 20),
        "notes": None,
    }


def store_state(con) -> dict:
    return {
        table: con.execute(f"select * from {table} order by all").fetchall()
        for table in ("events", "audit_log", "staffing_plans", "store_meta")
    }


# --- roles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        (VIEWER, set()),
        (ANALYST, {"import", "edit_events", "save_effects", "save_staffing", "run_job"}),
        (ADMIN, set(access.PERMISSIONS)),
    ],
)
def test_each_role_may_do_exactly_its_actions(user, allowed):
    assert {a for a in access.PERMISSIONS if user.can(a)} == allowed
    for action in set(access.PERMISSIONS) - allowed:
        with pytest.raises(access.PermissionDenied, match=f"{user.name} is a {user.role}"):
            access.require(user, action)


def test_an_unknown_role_is_refused_everything():
    with pytest.raises(access.PermissionDenied):
        access.require(access.User("mallory", "superuser", "local"), "import")


# --- writes check the actor and record it in the same transaction ----------------------


def test_a_viewer_cannot_edit_events_and_the_store_is_untouched(con):
    before = store_state(con)
    with pytest.raises(access.PermissionDenied, match="needs the analyst role"):
        events.save_events(con, pd.DataFrame([event_row()]), actor=VIEWER)
    with pytest.raises(access.PermissionDenied):
        events.add_public_holidays(con, "FR", "France", [2026], actor=VIEWER)
    assert store_state(con) == before


def test_an_analyst_edit_is_audited_with_its_counts(con):
    events.save_events(con, pd.DataFrame([event_row()]), actor=ANALYST)
    log = access.audit_log(con)
    assert log[["actor", "role", "via", "action", "target"]].values.tolist() == [
        ["ana", "analyst", "local", "edit_events", "calendar"]
    ]
    assert json.loads(log["detail"][0]) == {"added": 1, "changed": 0, "deleted": 0}


def test_a_failed_write_leaves_no_audit_row(con):
    bad = pd.DataFrame([{**event_row(), "ends_on": date(2026, 1, 1)}])  # ends before it starts
    with pytest.raises(events.EventsError):
        events.save_events(con, bad, actor=ANALYST)
    assert access.audit_log(con).empty


def test_only_an_admin_deletes_a_source(con, tmp_path):
    con.execute(
        "insert into imports (import_id, source, file_name, sha256, preset, mapping, options, rows_read, "
        "rows_inserted, rows_updated, rows_unchanged, rows_rejected, rows_flagged, started_at, "
        "finished_at, outcome) values (1, 'desk', 'f.csv', 'x', 'generic', '{}', '{}', 0, 0, 0, 0, "
        "0, 0, now(), now(), 'ok')"
    )
    for user in (VIEWER, ANALYST):
        with pytest.raises(access.PermissionDenied, match="delete source needs the admin role"):
            store.delete_source(con, "desk", actor=user)
    count = "select count(*) from imports where source = 'desk'"
    assert con.execute(count).fetchone()[0] == 1
    store.delete_source(con, "desk", actor=ADMIN)
    assert con.execute(count).fetchone()[0] == 0
    assert access.audit_log(con)[["actor", "action", "target"]].values.tolist() == [
        ["alice", "delete_source", "desk"]
    ]


def test_a_staffing_plan_is_saved_by_an_analyst_and_read_back(con):
    plan = pd.DataFrame(
        [
            {
                "team": "France",
                "weekday": d,
                "start_hour": 8,
                "end_hour": 19,
                "queue_agents": 5,
                "live_agents": 2,
            }  # fmt: skip
            for d in staffing.WEEKDAYS
        ]
    )
    with pytest.raises(access.PermissionDenied):
        staffing.save_plan(con, "sample", plan, actor=VIEWER)
    assert staffing.saved_plan(con, "sample").empty
    assert staffing.save_plan(con, "sample", plan, actor=ANALYST) == 7
    saved = staffing.saved_plan(con, "sample")
    assert saved["weekday"].tolist() == list(staffing.WEEKDAYS)
    assert set(saved["saved_by"]) == {"ana"}
    pd.testing.assert_frame_equal(
        saved[list(staffing.PLAN_COLUMNS)], plan, check_dtype=False, check_like=False
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start_hour": 20}, "start before end"),
        ({"end_hour": 25}, "between hours 0 and 24"),
        ({"queue_agents": -1}, "between 0 and 10,000"),
        ({"weekday": "Someday"}, "the weekday is one of"),
        ({"live_agents": "two"}, "whole numbers"),
    ],
)
def test_an_invalid_plan_is_refused_with_the_row_named(con, change, message):
    row = {"team": "Asia", "weekday": "Mon", "start_hour": 8, "end_hour": 18,
           "queue_agents": 3, "live_agents": 1}  # fmt: skip
    with pytest.raises(staffing.PlanError, match=message):
        staffing.save_plan(con, "s", pd.DataFrame([{**row, **change}]), actor=ANALYST)
    assert con.execute("select count(*) from audit_log").fetchone()[0] == 0


# --- local users -----------------------------------------------------------------------


def test_passwords_are_salted_and_verified():
    first, second = access.hash_password("correct horse"), access.hash_password("correct horse")
    assert first != second  # a fresh salt each time
    assert access.verify_password("correct horse", first)
    assert not access.verify_password("correct horsE", first)
    assert not access.verify_password("anything", "not-a-hash")


def test_users_file_round_trip_is_private_and_audited(con, tmp_path):
    path = tmp_path / "users.json"
    access.set_user(path, "alice", "admin", "a long password", cur=con, actor=access.SYSTEM)
    access.set_user(path, "vic", "viewer", "another password", cur=con, actor=ADMIN)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "another password" not in path.read_text()
    users = access.load_users(path)
    assert {u.name: u.role for u in users.values()} == {"alice": "admin", "vic": "viewer"}
    assert access.authenticate(users, "vic", "another password") == access.User(
        "vic", "viewer", "local"
    )
    assert access.authenticate(users, "vic", "a long password") is None
    assert access.authenticate(users, "nobody", "another password") is None
    # a role change keeps the password
    access.set_user(path, "vic", "analyst", None, cur=con, actor=ADMIN)
    assert access.authenticate(access.load_users(path), "vic", "another password").role == "analyst"
    actions = access.audit_log(con)[["actor", "target"]].values.tolist()
    assert actions == [["alice", "vic"], ["alice", "vic"], ["system", "alice"]]


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("bob", "viewer", "short", "at least 10 characters"),
        ("bob", "owner", "long enough pw", "unknown role"),
        ("bob smith", "viewer", "long enough pw", "a user name is"),
        ("<script>", "viewer", "long enough pw", "a user name is"),
        ("bob", "viewer", None, "new user: give a password"),
    ],
)
def test_bad_user_entries_are_refused(con, tmp_path, name, role, password, message):
    path = tmp_path / "users.json"
    with pytest.raises(access.AccessError, match=message):
        access.set_user(path, name, role, password, cur=con, actor=ADMIN)
    assert not path.exists()


def test_only_an_admin_manages_users(con, tmp_path):
    path = tmp_path / "users.json"
    with pytest.raises(access.PermissionDenied):
        access.set_user(path, "eve", "admin", "a long password", cur=con, actor=ANALYST)
    assert not path.exists()
    assert access.audit_log(con).empty


def test_an_admin_cannot_remove_themselves(con, tmp_path):
    path = tmp_path / "users.json"
    access.set_user(path, "alice", "admin", "a long password", cur=con, actor=ADMIN)
    with pytest.raises(access.AccessError, match="cannot remove yourself"):
        access.remove_user(path, "alice", cur=con, actor=ADMIN)
    access.remove_user(path, "alice", cur=con, actor=access.SYSTEM)
    assert access.load_users(path) == {}


def test_a_corrupt_users_file_is_reported(tmp_path):
    path = tmp_path / "users.json"
    path.write_text('{"users": {"x": {"role": "god"}}}')
    with pytest.raises(access.AccessError, match="not a valid users file"):
        access.load_users(path)


def test_cli_adds_lists_and_removes_users(tmp_path, capsys, monkeypatch):
    users, db = tmp_path / "users.json", tmp_path / "store.sqlite"
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    argv = ["--users-file", str(users), "--db", str(db)]
    assert cli.main(["add-user", "alice", "--role", "admin", "--password-stdin", *argv]) == 0
    assert cli.main(["users", "--json", "--users-file", str(users)]) == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert [(u["name"], u["role"]) for u in listed["users"]] == [("alice", "admin")]
    assert cli.main(["remove-user", "alice", *argv]) == 0
    assert access.load_users(users) == {}
    assert cli.main(["audit", "--json", "--db", str(db)]) == 0
    log = json.loads(capsys.readouterr().out.splitlines()[-1])["audit"]
    assert [(e["action"], e["target"], e["via"]) for e in log] == [
        ("manage_users", "alice", "cli"),
        ("manage_users", "alice", "cli"),
    ]


# --- sign-in throttling ----------------------------------------------------------------


def failed_sign_in(con, name: str, address: str) -> None:
    with store.transaction(con) as cur:
        access.record(cur, access.User(name, "-", "local"), "sign_in_failed", address)


def refusal(con, name: str, address: str | None, later_s: float = 0) -> str | None:
    now = datetime.now(UTC) + timedelta(seconds=later_s)
    return access.sign_in_refusal(con, name, address, max_failures=3, window_s=60, now=now)


def test_sign_ins_are_throttled_per_account_and_address_then_released(con):
    for _ in range(3):
        assert refusal(con, "alice", "10.0.0.1") is None
        failed_sign_in(con, "alice", "10.0.0.1")
    assert "try again in" in refusal(con, "alice", "10.0.0.2")  # same account, other address
    assert refusal(con, "bob", "10.0.0.1")  # other account, same address
    assert refusal(con, "bob", "10.0.0.3") is None
    assert refusal(con, "Alice", "10.0.0.2")  # names are not case-sensitive
    assert refusal(con, "alice", "10.0.0.2", later_s=61) is None  # the failures left the window


def test_an_unlock_forgives_the_account_but_not_the_guessing_address(con):
    for _ in range(3):
        failed_sign_in(con, "alice", "10.0.0.66")
    access.unlock_account(con, "alice", actor=ADMIN)
    assert refusal(con, "alice", "10.0.0.2") is None
    assert refusal(con, "alice", "10.0.0.66")
    with pytest.raises(access.PermissionDenied):
        access.unlock_account(con, "alice", actor=ANALYST)
    log = access.audit_log(con, action="unlock_account")
    assert log[["actor", "target"]].values.tolist() == [["alice", "alice"]]


def test_a_successful_sign_in_forgives_earlier_failures(con):
    for _ in range(2):
        failed_sign_in(con, "alice", "10.0.0.1")
    with store.transaction(con) as cur:
        access.record(cur, ADMIN, "sign_in", "10.0.0.1")
    failed_sign_in(con, "alice", "10.0.0.7")
    assert refusal(con, "alice", "10.0.0.8") is None  # one failure since, not three


def test_the_last_admin_cannot_be_demoted_or_removed(tmp_path, con):
    users = tmp_path / "users.json"
    with pytest.raises(access.AccessError, match="first user must be an admin"):
        access.set_user(users, "vic", "viewer", "a-long-password", cur=con, actor=access.SYSTEM)
    access.set_user(users, "alice", "admin", "a-long-password", cur=con, actor=access.SYSTEM)
    access.set_user(users, "vic", "viewer", "a-long-password", cur=con, actor=access.SYSTEM)
    with pytest.raises(access.AccessError, match="alice is the last admin"):
        access.set_user(users, "alice", "viewer", cur=con, actor=access.SYSTEM)
    with pytest.raises(access.AccessError, match="alice is the last admin"):
        access.remove_user(users, "alice", cur=con, actor=access.SYSTEM)
    access.set_user(users, "vic", "admin", cur=con, actor=access.SYSTEM)
    access.set_user(users, "alice", "viewer", cur=con, actor=ADMIN)  # another admin remains
    assert access.load_users(users)["alice"].role == "viewer"


# --- identities from an identity provider ----------------------------------------------


@pytest.mark.parametrize(
    ("email", "groups", "expected"),
    [
        ("alice@example.com", [], "admin"),
        ("ALICE@example.com", [], "admin"),
        ("bob@example.com", ["Support-Analysts"], "analyst"),
        ("carol@example.com", [], "viewer"),
        ("alice@example.com", ["support-analysts"], "admin"),  # the highest match wins
        ("mallory@evil.test", [], None),
        (None, [], None),
    ],
)
def test_roles_come_from_email_domain_and_group_rules(email, groups, expected):
    rules = {
        "alice@example.com": "admin",
        "group:support-analysts": "analyst",
        "@example.com": "viewer",
    }
    assert access.role_for_identity(email, groups, rules, None) == expected


def test_access_settings_are_read_and_checked(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[access]\ndefault_role = "viewer"\n[access.roles]\n"a@b.c" = "admin"\n')
    cfg = load_settings({"BACKLOG_RADAR_SETTINGS": str(path)}).access
    assert (cfg.default_role, dict(cfg.roles)) == ("viewer", {"a@b.c": "admin"})
    path.write_text('[access.roles]\n"a@b.c" = "root"\n')
    with pytest.raises(SettingsError, match="unknown role 'root'"):
        load_settings({"BACKLOG_RADAR_SETTINGS": str(path)})


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("localhost", True), ("127.0.0.1", True), ("::1", True), ("0.0.0.0", False),
     ("", False), (None, False), ("192.168.1.10", False), ("example.com", False)],
)  # fmt: skip
def test_loopback_addresses(address, loopback):
    assert access.is_loopback(address) is loopback


# --- exports cannot smuggle formulas into a spreadsheet --------------------------------

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
           "\t=1", "plain", "<script>alert(1)</script>"]  # fmt: skip


def test_csv_exports_neutralise_formulas_but_keep_numbers():
    frame = pd.DataFrame({"category": HOSTILE, "hours": [-1.5] * len(HOSTILE)})
    rows = list(csv.DictReader(io.StringIO(exports.csv_text(frame))))
    cells = [r["category"] for r in rows]
    assert all(not c.startswith(("=", "+", "-", "@", "\t")) for c in cells)
    assert cells[-2:] == ["plain", "<script>alert(1)</script>"]
    assert {r["hours"] for r in rows} == {"-1.5"}


def test_events_export_is_neutralised_and_reads_back_unchanged(con, tmp_path):
    events.save_events(
        con, pd.DataFrame([event_row(name) for name in ("=1+1", "@rollout", "Plain")])
    )
    text = events.export_events_csv(con)
    assert "\n=1+1" not in text and ",=1+1" not in text and "'=1+1" in text
    path = tmp_path / "events.csv"
    path.write_text(text)
    fresh = store.connect(":memory:")
    events.import_events_csv(fresh, path)
    assert sorted(events.all_events(fresh)["name"]) == ["=1+1", "@rollout", "Plain"]


def test_chart_labels_from_data_are_escaped_for_plotly():
    import numpy as np
    import plotly.graph_objects as go

    from analytics import charts

    fig = go.Figure(
        go.Bar(x=["<b>VIP</b>", "R&D"], y=np.array([1, 2]), name="<i>region</i>",
               hovertemplate="%{x}<br>%{y}")
    )  # fmt: skip
    fig.add_annotation(text="<a href='javascript:alert(1)'>rollout</a>", x=0, y=0)
    charts.plain_text(fig)
    assert list(fig.data[0].x) == ["&lt;b&gt;VIP&lt;/b&gt;", "R&amp;D"]
    assert list(fig.data[0].y) == [1, 2]
    assert fig.data[0].name == "&lt;i&gt;region&lt;/i&gt;"
    assert fig.data[0].hovertemplate == "%{x}<br>%{y}"  # code, not data
    assert fig.layout.annotations[0].text.startswith("&lt;a href=")


def test_a_refusal_reads_in_english_for_logs_and_in_french_for_a_french_reader():
    with pytest.raises(access.PermissionDenied) as refused:
        access.require(access.User("vic", "viewer", "local"), "delete_source")
    assert str(refused.value) == "vic is a viewer: delete source needs the admin role"
    assert i18n.describe(refused.value, "fr") == (
        "vic est lecteur\u202f: « suppression d'une source » demande le rôle administrateur"
    )


def test_an_audit_detail_reads_as_words_not_json():
    detail = '{"inserted": 12345, "removed": true, "file": "a.csv"}'
    assert access_words.describe_detail(detail) == "inserted: 12,345 · removed: yes · file: a.csv"
    assert access_words.describe_detail(detail, "fr") == (
        "insérés\u202f: 12\u202f345 · retirés\u202f: oui · fichier\u202f: a.csv"
    )
    assert access_words.describe_detail("{}") == ""
