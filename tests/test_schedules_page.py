"""The Schedules page through the real frame (Streamlit AppTest), on a real store and settings file.

Each role sees the jobs and their runs; addresses only an admin; a webhook's
host and never its URL; "Run now" from the analyst role; the edit form for
admins only, writing the settings file as the worker reads it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from conftest import ROOT
from exports import copy_store, import_, zendesk
from schedule_settings import SETTINGS, WEBHOOK
from streamlit.testing.v1 import AppTest
from test_pages_access import PASSWORD, as_user

from analytics import access, store
from analytics.jobs import config, runs
from ui.text import ZERO_WIDTH_SPACE, md_escape

PAGE = "pages/schedules.py"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, Path]:
    """Return (database, users file): one source, three users, two runs (copied by each test)."""
    folder = tmp_path_factory.mktemp("schedules")
    db, users = folder / "app.sqlite", folder / "users.json"
    con = store.connect(db)
    import_(con, zendesk(folder), source="desk")
    for name, role in (("alice", "admin"), ("ana", "analyst"), ("vic", "viewer")):
        access.set_user(users, name, role, PASSWORD, cur=con, actor=access.SYSTEM)
    record_run(
        con,
        "weekly",
        "report",
        runs.Outcome(
            "failed",
            "smtp.example.org refused direction@example.org: 550 no such user",
            [
                {"channel": "email", "to": "direction@example.org", "status": "failed"},
                {"channel": "email", "to": "ceo@example.org", "status": "sent"},
            ],
        ),
    )
    record_run(con, "surges", "alert", runs.Outcome(
        "ok", f"surge on 2024-03-11 posted to {WEBHOOK}",
        [{"channel": "email", "to": "managers@example.org", "status": "sent"},
         {"channel": "webhook", "to": "hooks.example.org", "status": "sent"}]))  # fmt: skip
    con.close()
    return db, users


@pytest.fixture
def desk(template, tmp_path, monkeypatch):
    """Return (AppTest on app.py, settings file, database) on a copy of the template store."""
    db, settings = copy_store(template[0], tmp_path / "app.sqlite"), tmp_path / "radar.toml"
    (tmp_path / "drop").mkdir()
    settings.write_text(SETTINGS.format(drop=tmp_path / "drop", webhook=WEBHOOK), encoding="utf-8")
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(template[1]))
    monkeypatch.setenv("BACKLOG_RADAR_CONFIG", str(settings))
    monkeypatch.setenv("BACKLOG_RADAR_JOBS_DIR", str(tmp_path / "jobs"))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=120), settings, db
    st.cache_resource.clear()


def record_run(con, name: str, kind: str, outcome: runs.Outcome) -> None:
    job = config.Job(name, kind, "0 0 * * *")
    runs.finish(con, runs.claim(con, job, None, "schedule"), outcome)


def on_page(at: AppTest, name: str) -> AppTest:
    as_user(at, name, "").run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def plain(text: object) -> str:
    """Return text as it reads on screen: Markdown escapes and zero-width spaces removed."""
    return str(text).replace("\\", "").replace(ZERO_WIDTH_SPACE, "")


def tables(at: AppTest) -> list:
    """Return the page's tables as lists of rows (dicts), their text as shown."""
    return [
        [
            {plain(k): plain(v) for k, v in row.items()}
            for row in t.value.reset_index().to_dict("records")
        ]
        for t in at.main.table
    ]


def page_text(at: AppTest) -> str:
    """Return every text the page shows: tables, messages, captions, labels and help."""
    parts = [repr(tables(at))]
    for kind in ("markdown", "caption", "info", "success", "error", "warning", "text_input",
                 "text_area", "selectbox", "number_input"):  # fmt: skip
        for element in getattr(at, kind):
            parts += [str(getattr(element, a, "")) for a in ("value", "label", "help", "options")]
    return plain(" ".join(parts))


def successes(at: AppTest) -> list[str]:
    return [plain(s.value) for s in at.success]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_a_viewer_sees_the_jobs_and_runs_without_addresses_or_controls(desk):
    at = on_page(desk[0], "vic")
    jobs, failures, recent = tables(at)
    assert [j["Job"] for j in jobs] == ["drop", "weekly", "surges"]
    by_job = {j["Job"]: j for j in jobs}
    assert by_job["weekly"]["To"] == "3 recipients" and by_job["surges"]["To"] == "1 recipient"
    assert by_job["surges"]["Webhook"] == "hooks.example.org"
    assert by_job["drop"]["Outcome"] == "never ran" and by_job["weekly"]["Outcome"] == "failed"
    assert by_job["drop"]["When"] == "0 2 * * * (Europe/Paris)"
    assert [r["Job"] for r in failures] == ["weekly"]
    assert failures[0]["Delivered"] == "email to 2 (1 failed)"
    assert failures[0]["Message"] == "smtp.example.org refused (an address): 550 no such user"
    assert [r["Job"] for r in recent] == ["surges", "weekly"]
    assert recent[0]["Delivered"] == "email to 1, webhook to hooks.example.org"
    assert recent[0]["Message"] == "surge on 2024-03-11 posted to https://hooks.example.org/…"
    text = page_text(at)
    assert "@example.org" not in text and "secret-token" not in text and "services/T000" not in text
    assert "Run now" not in [b.label for b in at.button]
    assert not at.get("form") and "Save job" not in [b.label for b in at.button]
    assert any("running a job now needs the analyst role" in c.value for c in at.caption)
    assert any("1 of the latest 2 runs failed or are retrying" in e.value for e in at.error)


def test_an_analyst_gets_run_now_but_no_edit_form(desk):
    at = on_page(desk[0], "ana")
    assert "Run now" in [b.label for b in at.button]
    assert not at.get("form") and "@example.org" not in page_text(at)


def test_an_admin_sees_addresses_and_the_form_but_never_a_webhook_url(desk):
    at = on_page(desk[0], "alice")
    jobs, failures, _ = tables(at)
    by_job = {j["Job"]: j for j in jobs}
    assert by_job["weekly"]["To"] == "direction@example.org, ceo@example.org, cfo@example.org"
    assert (
        failures[0]["Delivered"]
        == "email to direction@example.org (failed), ceo@example.org (sent)"
    )
    assert at.get("form")
    at.selectbox(key="edit_choice").select("surges").run()
    assert at.text_input(key="webhook@surges").value == ""  # the URL is not put back on the page
    assert "Now posts to hooks.example.org" in at.text_input(key="webhook@surges").help
    text = page_text(at)
    assert "secret-token" not in text and "services/T000" not in text


def test_running_an_import_job_now_from_the_page_shows_its_outcome(desk):
    at, _, db = desk
    on_page(at, "ana")
    at.selectbox(key="run_choice").select("drop")
    at.button(key="run_now").click().run()
    assert not at.exception, at.exception
    shown = [plain(i.value) for i in at.info]
    assert any(s.startswith("drop: nothing to do. no complete file in") for s in shown), shown
    latest = tables(at)[-1][0]
    assert (latest["Job"], latest["Started by"], latest["Outcome"]) == (
        "drop",
        "manual",
        "nothing to do",
    )
    con = store.connect(db)
    assert runs.recent_runs(con, 1).loc[0, ["job", "trigger"]].tolist() == ["drop", "manual"]
    con.close()


def test_an_admin_changes_a_job_and_an_invalid_cron_is_refused_in_one_line(desk):
    at, settings, db = desk
    on_page(at, "alice")
    at.selectbox(key="edit_choice").select("weekly").run()
    at.text_input(key="cron@weekly").input("every monday")
    button(at, "Save job").click().run()
    errors = [plain(e.value) for e in at.error]
    assert any(
        e == "Not saved: schedule.report[0] (weekly): cron 'every monday' is not a five-field "
        "cron expression"
        for e in errors
    ), errors
    assert settings.read_text(encoding="utf-8").count('cron = "0 8 * * MON"') == 1
    at.text_input(key="cron@weekly").input("30 9 * * MON")
    at.text_area(key="to@weekly").input("direction@example.org\nparis@example.org fr")
    button(at, "Save job").click().run()
    assert not at.exception and "Saved weekly." in successes(at)
    weekly = config.load_jobs(settings, env={}).job("weekly")
    assert weekly.cron == "30 9 * * MON"
    assert [(r.address, r.lang) for r in weekly.to] == [
        ("direction@example.org", "en"),
        ("paris@example.org", "fr"),
    ]
    assert settings.read_text(encoding="utf-8").startswith("# Jobs of the test desk.\n")
    assert tables(at)[0][1]["When"] == "30 9 * * MON (UTC)"
    con = store.connect(db)
    audit = access.audit_log(con, action="edit_jobs")
    con.close()
    assert audit[["actor", "target"]].values.tolist() == [["alice", "weekly"]]
    assert "example.org" not in json.dumps(audit["detail"].tolist())


def test_an_admin_adds_an_alert_and_removes_a_job(desk):
    at, settings, _ = desk
    on_page(at, "alice")
    at.selectbox(key="edit_choice").select("@new-alert").run()
    at.text_input(key="name@new-alert").input("at-risk")
    at.text_input(key="cron@new-alert").input("0 * * * *")
    at.selectbox(key="alert@new-alert").select("sla-risk")
    at.text_input(key="webhook@new-alert").input("https://hooks.example.org/services/NEW/token")
    at.number_input(key="within@new-alert").set_value(2.0)
    button(at, "Save job").click().run()
    assert not at.exception and "Saved at-risk." in successes(at)
    added = config.load_jobs(settings, env={}).job("at-risk")
    assert (added.alert, added.within_hours, added.to) == ("sla-risk", 2.0, ())
    assert added.webhook == "https://hooks.example.org/services/NEW/token"
    # The form now shows the saved job, and the URL just typed is gone from the page.
    assert at.selectbox(key="edit_choice").value == "at-risk"
    assert at.text_input(key="webhook@at-risk").value == ""
    assert "services/NEW" not in page_text(at)
    at.selectbox(key="edit_choice").select("drop").run()
    at.button(key="remove_job").click().run()
    assert "Removed drop." in successes(at)
    assert [j.name for j in config.load_jobs(settings, env={}).jobs] == [
        "weekly",
        "surges",
        "at-risk",
    ]


def test_with_no_job_declared_the_page_says_how_to_add_one(desk, tmp_path, monkeypatch):
    at = desk[0]
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing scheduled yet\n", encoding="utf-8")
    monkeypatch.setenv("BACKLOG_RADAR_CONFIG", str(empty))
    on_page(at, "vic")
    info = " ".join(plain(i.value) for i in at.info)
    assert "No job is declared in the settings file." in info and "[[schedule.report]]" in info
    assert str(tmp_path) not in info  # where the server keeps its files is for admins
    assert "ask an admin to add one on this page" in info


def test_an_admin_adds_the_first_job_to_an_empty_settings_file(desk, tmp_path, monkeypatch):
    at = desk[0]
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing scheduled yet\n", encoding="utf-8")
    monkeypatch.setenv("BACKLOG_RADAR_CONFIG", str(empty))
    on_page(at, "alice")
    at.selectbox(key="edit_choice").select("@new-import").run()
    at.text_input(key="name@new-import").input("nightly")
    at.text_input(key="source@new-import").input("desk")
    at.text_input(key="folder@new-import").input(str(tmp_path / "drop"))
    button(at, "Save job").click().run()
    assert not at.exception and "Saved nightly." in successes(at)
    assert empty.read_text(encoding="utf-8").startswith("# nothing scheduled yet\n")
    assert any(f"Jobs declared in {empty}" in plain(c.value) for c in at.caption)
    assert [j["Job"] for j in tables(at)[0]] == ["nightly"]


def test_a_settings_file_that_cannot_be_read_is_said_in_one_line(desk, monkeypatch):
    at, settings, _ = desk
    settings.write_text('[[schedule.import]]\nname = "x"\ncron = "nope"\n', encoding="utf-8")
    on_page(at, "vic")
    assert any("The jobs cannot be read: " in e.value and "cron" in e.value for e in at.error)
    assert not at.main.table


def test_the_page_refuses_nobody_signed_in(desk):
    at = desk[0]
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)  # nobody signed in: the navigation holds the sign-in screen only


def test_a_run_message_shows_as_typed(desk):
    at, _, db = desk
    message = "refused **bold** `code` <script>alert(1)</script> :material/warning: $x^2$ a | b"
    con = store.connect(db)
    record_run(con, "drop", "import", runs.Outcome("failed", message))
    con.close()
    on_page(at, "vic")
    failures = at.main.table[1].value
    assert failures["Message"].iloc[0] == md_escape(message)
    assert plain(at.main.table[0].value.loc["drop", "Message"]) == plain(md_escape(message))


def test_an_admin_reschedules_a_url_job_without_seeing_or_losing_its_url(desk):
    at, settings, _ = desk
    url = "https://exports.example.net/desk.csv?token=s3cr3t"
    with settings.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[schedule.import]]\nname = "by-url"\nurl = "{url}"\nsource = "desk"\n'
                     'cron = "0 3 * * *"\n')  # fmt: skip
    on_page(at, "alice")
    at.selectbox(key="edit_choice").select("by-url").run()
    assert at.text_input(key="url@by-url").value == ""
    assert "Now exports.example.net" in at.text_input(key="url@by-url").help
    at.text_input(key="cron@by-url").input("0 4 * * *")
    button(at, "Save job").click().run()
    assert "Saved by-url." in successes(at)
    job = config.load_jobs(settings, env={}).job("by-url")
    assert (job.cron, job.url, job.folder) == ("0 4 * * *", url, None)
    assert "s3cr3t" not in page_text(at) and "desk.csv" not in page_text(at)
    # A webhook goes only when asked.
    at.selectbox(key="edit_choice").select("surges").run()
    at.checkbox(key="no_webhook@surges").check()
    button(at, "Save job").click().run()
    assert "Saved surges." in successes(at)
    assert config.load_jobs(settings, env={}).job("surges").webhook is None


def test_in_french_the_tables_speak_french_with_readable_times(desk):
    at = desk[0]
    at.query_params["lang"] = "fr"
    at = on_page(at, "vic")
    jobs, failures, recent = tables(at)
    by_job = {j["Tâche"]: j for j in jobs}
    assert by_job["drop"]["Résultat"] == "jamais lancée" and by_job["weekly"]["Résultat"] == "échec"
    assert by_job["weekly"]["Destinataires"] == "3 destinataires"
    assert failures[0]["Message"] == "smtp.example.org refused (une adresse): 550 no such user"
    assert failures[0]["Envoyé"] == "email à 2 (1 en échec)"
    # A run's time reads as a French date in the display zone, not an ISO stamp.
    started = recent[0]["Début"]
    assert re.fullmatch(r"\d{1,2} [a-zéû]+\.? \d{4}, \d\d:\d\d", started), started
    assert any("Vous êtes lecteur" in c.value for c in at.caption)
    assert any("1 des 2 dernières exécutions a échoué" in e.value for e in at.error)
    assert "Tâches" in [s.value for s in at.subheader]
