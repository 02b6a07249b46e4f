"""The scheduled jobs' settings, when each job runs, and the commands that run them."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from exports import ROOT

from analytics import access, cli, store
from analytics.jobs import config, runs, worker

SETTINGS = """
# the desk's settings
[sla]
target_hours = 6

[[schedule.import]]
name = "nightly"
folder = "{folder}"
source = "desk"
cron = "{cron}"
tz = "Europe/Paris"
"""


def write_settings(tmp_path: Path, cron: str = "30 2 * * *") -> Path:
    folder = tmp_path / "drop"
    folder.mkdir(exist_ok=True)
    path = tmp_path / "settings.toml"
    path.write_text(SETTINGS.format(folder=folder, cron=cron), encoding="utf-8")
    return path


def parse(text: str, env: dict | None = None) -> config.JobsConfig:
    import tomllib

    return config.parse_jobs(tomllib.loads(text), Path("x.toml"), env or {}, Path("/nonexistent"))


@pytest.fixture
def con(tmp_path):
    con = store.connect(tmp_path / "store.sqlite")
    yield con
    con.close()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[schedule.import]]\nname="a"\nfolder="/x"\nsource="s"\ncron="61 * * * *"', "cron"),
        ('[[schedule.import]]\nname="a"\nfolder="/x"\nsource="s"\ncron="* * * * *"\ntz="Mars/Olympus"', "tz"),
        ('[[schedule.import]]\nname="a"\nsource="s"\ncron="* * * * *"', "folder"),
        ('[[schedule.report]]\nname="a"\ncron="0 8 * * MON"\nto=["not an address"]', "to"),
        ('[[schedule.alert]]\nname="a"\nkind="weather"\ncron="0 7 * * *"\nto=["m@x.org"]', "kind"),
        ('[[schedule.alert]]\nname="a"\nkind="surge"\ncron="0 7 * * *"', "webhook"),
        ('[[schedule.report]]\nname="a"\ncron="0 8 * * MON"\nto=["m@x.org"]\nfoo=1', "foo"),
        ('[[schedule.report]]\nname="a b"\ncron="0 8 * * MON"\nto=["m@x.org"]', "name"),
        ('[smtp]\nhost="h"\npassword="hunter2"', "password does not belong"),
        ('[[schedule.report]]\nname="a"\ncron="0 8 * * MON"\nto=["m@x.org"]\n'
         '[[schedule.report]]\nname="a"\ncron="0 9 * * MON"\nto=["m@x.org"]', "two jobs"),
    ],
)  # fmt: skip
def test_an_invalid_job_is_refused_in_one_line_naming_the_key(text, says):
    with pytest.raises(config.JobsConfigError) as error:
        parse(text)
    message = str(error.value)
    assert says in message and "\n" not in message
    assert "hunter2" not in message


def test_the_mail_servers_secrets_come_from_the_environment_and_never_show(tmp_path):
    jobs = parse(
        '[smtp]\nhost="mail"\nport=2525\nsender="radar@example.org"\nsecurity="starttls"',
        {"BACKLOG_RADAR_SMTP_USER": "radar", "BACKLOG_RADAR_SMTP_PASSWORD": "hunter2"},
    )
    assert (jobs.smtp.user, jobs.smtp.password, jobs.smtp.port) == ("radar", "hunter2", 2525)
    assert "hunter2" not in repr(jobs)


def test_each_recipient_can_have_a_language_of_their_own():
    jobs = parse(
        '[[schedule.report]]\nname="a"\ncron="0 8 * * MON"\nlang="fr"\n'
        'to=["direction@example.org", {address="ceo@example.org", lang="en"}]'
    )
    assert [(r.address, r.lang) for r in jobs.job("a").to] == [
        ("direction@example.org", "fr"),
        ("ceo@example.org", "en"),
    ]


def test_a_daily_job_runs_once_on_the_night_the_clocks_go_back():
    job = config.Job("a", "import", "30 2 * * *", "Europe/Paris", folder=Path("/x"))
    first = job.next_after(utc(2026, 10, 24, 12))
    second = job.next_after(first)
    # 02:30 happens twice that night; the second one shows the same local time
    assert job.repeats(second, first)
    assert job.next_after(second) == utc(2026, 10, 26, 1, 30)


def test_a_job_due_at_a_time_the_clocks_skip_runs_once_that_day():
    job = config.Job("a", "import", "30 2 * * *", "Europe/Paris", folder=Path("/x"))
    after = job.next_after(utc(2026, 3, 28, 12))
    assert utc(2026, 3, 29) <= after < utc(2026, 3, 30)
    assert job.next_after(after) == utc(2026, 3, 30, 0, 30)


# --- when jobs run ----------------------------------------------------------------------------


def due(con, path: Path, tmp_path: Path) -> list[str]:
    jobs = config.load_jobs(path)
    done = worker.run_due(
        con, settings=store_settings(), config=jobs, now=datetime.now(UTC),
        folder=tmp_path / "state",
    )  # fmt: skip
    return [name for name, _ in done]


def store_settings():
    from analytics.settings import load_settings

    return load_settings({})


def test_a_new_job_waits_for_its_next_slot_then_runs_once_per_slot(con, tmp_path):
    path = write_settings(tmp_path, "0 8 * * MON")
    (tmp_path / "state").mkdir()
    # Sunday 27 Sep 2026 to Monday 28 Sep: a week boundary in Paris
    with time_machine.travel(utc(2026, 9, 27, 20), tick=False) as clock:
        assert due(con, path, tmp_path) == []  # first sight: no past slot runs
        clock.move_to(utc(2026, 9, 28, 5, 59))
        assert due(con, path, tmp_path) == []
        clock.move_to(utc(2026, 9, 28, 6, 0))  # 08:00 in Paris (CEST)
        assert due(con, path, tmp_path) == ["nightly"]
        clock.move_to(utc(2026, 9, 28, 6, 30))
        assert due(con, path, tmp_path) == []  # the same slot never twice


def test_a_worker_back_after_missed_slots_runs_the_job_once(con, tmp_path):
    path = write_settings(tmp_path, "30 2 * * *")
    (tmp_path / "state").mkdir()
    with time_machine.travel(utc(2026, 10, 20, 12), tick=False) as clock:
        due(con, path, tmp_path)
        clock.move_to(utc(2026, 10, 23, 12))  # three nights missed
        assert due(con, path, tmp_path) == ["nightly"]
        assert due(con, path, tmp_path) == []
    ran = runs.recent_runs(con, 10, "nightly")
    assert list(ran["trigger"]) == ["schedule"]


def test_the_night_the_clocks_go_back_the_daily_job_runs_once(con, tmp_path):
    path = write_settings(tmp_path, "30 2 * * *")
    (tmp_path / "state").mkdir()
    with time_machine.travel(utc(2026, 10, 24, 12), tick=False) as clock:
        due(con, path, tmp_path)
        clock.move_to(utc(2026, 10, 25, 0, 31))  # 02:31 CEST
        assert due(con, path, tmp_path) == ["nightly"]
        clock.move_to(utc(2026, 10, 25, 1, 31))  # 02:31 again, now CET
        assert due(con, path, tmp_path) == []
        clock.move_to(utc(2026, 10, 26, 1, 31))
        assert due(con, path, tmp_path) == ["nightly"]


def test_a_restarted_worker_does_not_run_a_claimed_slot_again(tmp_path):
    path = write_settings(tmp_path, "30 2 * * *")
    (tmp_path / "state").mkdir()
    with time_machine.travel(utc(2026, 10, 20, 12), tick=False) as clock:
        first = store.connect(tmp_path / "store.sqlite")
        due(first, path, tmp_path)
        clock.move_to(utc(2026, 10, 21, 1))
        assert due(first, path, tmp_path) == ["nightly"]
        first.close()
        again = store.connect(tmp_path / "store.sqlite")  # the worker restarted
        assert due(again, path, tmp_path) == []
        again.close()


def test_run_now_records_a_manual_run_by_whoever_asked(con, tmp_path):
    path = write_settings(tmp_path)
    analyst = access.User("ana", "analyst", "local")
    result = worker.run_now(
        con, "nightly", settings=store_settings(), config=config.load_jobs(path),
        actor=analyst, folder=tmp_path,
    )  # fmt: skip
    assert result.outcome == "nothing to do"
    ran = runs.recent_runs(con, 5)
    assert list(zip(ran["job"], ran["trigger"], ran["outcome"], strict=True)) == [
        ("nightly", "manual", "nothing to do")
    ]


def test_a_viewer_cannot_run_a_job(con, tmp_path):
    path = write_settings(tmp_path)
    viewer = access.User("vic", "viewer", "local")
    with pytest.raises(access.PermissionDenied):
        worker.run_now(con, "nightly", settings=store_settings(), config=config.load_jobs(path),
                       actor=viewer, folder=tmp_path)  # fmt: skip
    assert runs.recent_runs(con, 5).empty


# --- the commands -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """The worker's folder in tmp_path; --config's effect on the environment undone after."""
    monkeypatch.setenv("BACKLOG_RADAR_JOBS_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("BACKLOG_RADAR_CONFIG", str(tmp_path / "settings.toml"))


def test_the_commands_list_and_run_jobs_of_the_file_given_by_config(tmp_path, capsys, cli_env):
    path = write_settings(tmp_path)
    db = tmp_path / "cli.sqlite"
    assert cli.main(["--config", str(path), "run-job", "nightly", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("nightly: nothing to do")
    assert cli.main(["--config", str(path), "jobs", "--db", str(db), "--runs", "5"]) == 0
    out = capsys.readouterr().out
    assert "nightly: imports" in out and "cron '30 2 * * *' (Europe/Paris)" in out
    assert "nightly manual" in out and "nothing to do: no complete file" in out


def test_an_unknown_job_is_one_line_on_the_command_line(tmp_path, capsys, cli_env):
    path = write_settings(tmp_path)
    code = cli.main(["--config", str(path), "run-job", "nope", "--db", str(tmp_path / "s.sqlite")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: no job named 'nope'") and err.count("\n") == 1


def test_the_worker_runs_until_told_to_stop_and_a_second_one_is_refused(tmp_path, capsys, cli_env):
    path = write_settings(tmp_path, "* * * * *")
    env = {"BACKLOG_RADAR_JOBS_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "analytics", "--config", str(path), "worker",
         "--db", str(tmp_path / "w.sqlite"), "--poll", "0.2"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # the worker logs its start once it holds its folder
        assert any("worker started" in line for line in iter(proc.stderr.readline, ""))
        second = ["--config", str(path), "worker", "--db", str(tmp_path / "w.sqlite")]
        assert cli.main(second) == 1
        assert "another worker is running" in capsys.readouterr().err
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "worker stopped" in err


def test_a_download_token_never_reaches_the_output_or_the_runs(tmp_path, capsys, cli_env):
    path = tmp_path / "settings.toml"
    path.write_text(
        '[[schedule.import]]\nname = "pull"\nsource = "desk"\ncron = "0 2 * * *"\n'
        'url = "http://radar:pa55word@127.0.0.1:9/export.csv?token=s3cr3t"\n',
        encoding="utf-8",
    )
    db = tmp_path / "cli.sqlite"
    assert cli.main(["--config", str(path), "run-job", "pull", "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("pull: failed:") and "127.0.0.1" in out
    con = store.connect(db)
    try:
        recorded = runs.recent_runs(con, 5).to_json()
    finally:
        con.close()
    for secret in ("s3cr3t", "pa55word"):
        assert secret not in out + err + recorded
