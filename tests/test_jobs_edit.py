"""Editing the scheduled jobs in the settings file: comments kept, invalid edits refused, audited."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from analytics import access, store
from analytics.jobs import config, edit

ADMIN = access.User("alice", "admin", "local")
SETTINGS = """\
# Backlog Radar settings, with the team's own notes.
[sla]
target_hours = 6  # agreed with the direction in March

# The nightly export lands here.
[[schedule.import]]
name = "zendesk-nightly"
folder = "/srv/exports/zendesk"   # mounted from the helpdesk server
source = "zendesk"
preset = "zendesk"
tz = "Europe/Paris"
cron = "*/15 * * * *"

# Monday morning, for the direction.
[[schedule.report]]
name = "direction-fr"
cron = "0 8 * * MON"
lang = "fr"
to = ["direction@example.org"]

[[schedule.alert]]
name = "surges"
kind = "surge"
cron = "0 7 * * *"
to = ["managers@example.org"]
webhook = "https://hooks.example.org/services/T000/B000/secret-token"

[access]
users_file = "data/users.json"
"""


@pytest.fixture
def con(tmp_path):
    con = store.connect(tmp_path / "store.sqlite")
    yield con
    con.close()


@pytest.fixture
def settings_file(tmp_path) -> Path:
    path = tmp_path / "backlog_radar.toml"
    path.write_text(SETTINGS, encoding="utf-8")
    return path


def jobs(path: Path) -> dict[str, config.Job]:
    return {job.name: job for job in config.load_jobs(path, env={}).jobs}


def edits(con) -> list[dict]:
    log = access.audit_log(con, action="edit_jobs")
    return log.to_dict("records")


def test_adding_a_job_keeps_every_comment_and_section(con, settings_file):
    edit.save_job(
        con, settings_file, "report",
        {"name": "weekly-en", "cron": "0 9 * * MON", "tz": "Europe/London",
         "to": ["ops@example.org", {"address": "paris@example.org", "lang": "fr"}]},
        actor=ADMIN,
    )  # fmt: skip
    text = settings_file.read_text(encoding="utf-8")
    added = (
        '[[schedule.report]]\nname = "weekly-en"\ncron = "0 9 * * MON"\ntz = "Europe/London"\n'
        'to = ["ops@example.org", {address = "paris@example.org", lang = "fr"}]\n\n'
    )
    # The new job follows the other reports; not one other character changed.
    assert added in text and text.replace(added, "", 1) == SETTINGS
    job = jobs(settings_file)["weekly-en"]
    assert (job.kind, job.cron, job.tz) == ("report", "0 9 * * MON", "Europe/London")
    assert [(r.address, r.lang) for r in job.to] == [
        ("ops@example.org", "en"),
        ("paris@example.org", "fr"),
    ]
    assert list(jobs(settings_file)) == ["zendesk-nightly", "direction-fr", "weekly-en", "surges"]


def test_changing_a_job_keeps_its_place_and_the_comments_of_what_did_not_change(con, settings_file):
    spec = edit.spec_of(jobs(settings_file)["zendesk-nightly"]) | {"cron": "0 2 * * *"}
    edit.save_job(con, settings_file, "import", spec, actor=ADMIN, replace="zendesk-nightly")
    text = settings_file.read_text(encoding="utf-8")
    assert 'folder = "/srv/exports/zendesk"   # mounted from the helpdesk server' in text
    assert 'cron = "0 2 * * *"' in text and "*/15" not in text
    # The comment introducing the next job stays just above it.
    assert "# Monday morning, for the direction.\n[[schedule.report]]" in text
    assert jobs(settings_file)["zendesk-nightly"].cron == "0 2 * * *"
    assert text.count("[[schedule.import]]") == 1


def test_a_job_saved_as_it_is_leaves_the_file_as_it_was(con, settings_file):
    for job in jobs(settings_file).values():
        edit.save_job(con, settings_file, job.kind, edit.spec_of(job), actor=ADMIN,
                      replace=job.name)  # fmt: skip
    assert settings_file.read_text(encoding="utf-8") == SETTINGS


def test_a_job_can_be_renamed_and_moved_to_another_kind(con, settings_file):
    spec = {"name": "direction-alert", "kind": "sla-risk", "cron": "0 * * * *",
            "to": ["direction@example.org"], "within_hours": 2}  # fmt: skip
    edit.save_job(con, settings_file, "alert", spec, actor=ADMIN, replace="direction-fr")
    found = jobs(settings_file)
    assert "direction-fr" not in found and "[[schedule.report]]" not in settings_file.read_text()
    assert (found["direction-alert"].alert, found["direction-alert"].within_hours) == (
        "sla-risk",
        2.0,
    )
    assert edits(con)[0]["target"] == "direction-alert"


def test_removing_jobs_keeps_the_other_sections(con, settings_file):
    edit.remove_job(con, settings_file, "surges", actor=ADMIN)
    assert list(jobs(settings_file)) == ["zendesk-nightly", "direction-fr"]
    assert "hooks.example.org" not in settings_file.read_text(encoding="utf-8")
    edit.remove_job(con, settings_file, "zendesk-nightly", actor=ADMIN)
    edit.remove_job(con, settings_file, "direction-fr", actor=ADMIN)
    text = settings_file.read_text(encoding="utf-8")
    assert "schedule" not in text
    assert "target_hours = 6  # agreed with the direction in March" in text
    assert '[access]\nusers_file = "data/users.json"' in text
    assert jobs(settings_file) == {}
    with pytest.raises(config.JobsConfigError, match="no job named 'surges'"):
        edit.remove_job(con, settings_file, "surges", actor=ADMIN)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "bad", "cron": "every night", "folder": "/srv/x", "source": "s"},
         r"^schedule\.import\[1\] \(bad\): cron 'every night' is not a five-field cron expression$"),
        ({"name": "bad", "cron": "61 * * * *", "folder": "/srv/x", "source": "s"},
         "cron '61 \\* \\* \\* \\*' is not"),
        ({"name": "bad", "cron": "0 2 * * *", "tz": "Mars/Olympus", "folder": "/x", "source": "s"},
         "tz 'Mars/Olympus' is not a time zone"),
        ({"name": "bad", "cron": "0 2 * * *", "source": "s"}, "folder or url: give exactly one"),
        ({"name": "zendesk-nightly", "cron": "0 2 * * *", "folder": "/x", "source": "s"},
         "two jobs are named 'zendesk-nightly'"),
        ({"name": "no spaces please", "cron": "0 2 * * *", "folder": "/x", "source": "s"},
         "name must be"),
    ],
)  # fmt: skip
def test_an_invalid_job_is_refused_in_one_line_and_the_file_is_untouched(
    con, settings_file, spec, message
):
    before = settings_file.stat()
    with pytest.raises(config.JobsConfigError, match=message) as caught:
        edit.save_job(con, settings_file, "import", spec, actor=ADMIN)
    assert "\n" not in str(caught.value)
    assert settings_file.read_text(encoding="utf-8") == SETTINGS
    assert settings_file.stat().st_ino == before.st_ino  # not even rewritten
    assert edits(con) == []
    assert [p.name for p in settings_file.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_an_invalid_change_to_an_existing_job_is_refused(con, settings_file):
    spec = edit.spec_of(jobs(settings_file)["surges"]) | {"to": [], "webhook": None}
    with pytest.raises(config.JobsConfigError, match="an alert needs somewhere to go"):
        edit.save_job(con, settings_file, "alert", spec, actor=ADMIN, replace="surges")
    with pytest.raises(config.JobsConfigError, match="no job named 'ghost'"):
        edit.save_job(con, settings_file, "alert", spec, actor=ADMIN, replace="ghost")
    assert settings_file.read_text(encoding="utf-8") == SETTINGS


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_only_an_admin_edits_jobs(con, settings_file, role):
    someone = access.User("sam", role, "local")
    spec = {"name": "new", "cron": "0 2 * * *", "folder": "/srv/x", "source": "s"}
    with pytest.raises(access.PermissionDenied, match="edit jobs needs the admin role"):
        edit.save_job(con, settings_file, "import", spec, actor=someone)
    with pytest.raises(access.PermissionDenied):
        edit.remove_job(con, settings_file, "surges", actor=someone)
    assert settings_file.read_text(encoding="utf-8") == SETTINGS
    assert edits(con) == []


def test_the_audit_log_names_the_job_but_no_address_or_url(con, settings_file):
    surges = jobs(settings_file)["surges"]
    changed = edit.spec_of(surges) | {
        "to": ["new-manager@example.org"],
        "webhook": "https://hooks.example.org/services/T111/B111/other-token",
    }
    edit.save_job(con, settings_file, "alert", changed, actor=ADMIN, replace="surges")
    edit.save_job(
        con, settings_file, "import",
        {"name": "by-url", "cron": "0 3 * * *", "source": "desk",
         "url": "https://exports.example.net/desk.csv?token=s3cr3t"},
        actor=ADMIN,
    )  # fmt: skip
    edit.remove_job(con, settings_file, "surges", actor=ADMIN)
    rows = edits(con)
    assert [(r["actor"], r["role"], r["target"]) for r in rows] == [
        ("alice", "admin", "surges"),
        ("alice", "admin", "by-url"),
        ("alice", "admin", "surges"),
    ]
    assert '"change": "removed"' in rows[0]["detail"] and '"kind": "alert"' in rows[0]["detail"]
    logged = repr(access.audit_log(con, limit=1000).to_dict("records"))
    for secret in ("@example.org", "hooks.example.org", "token", "s3cr3t", "exports.example.net"):
        assert secret not in logged


def test_the_file_keeps_its_mode_and_is_replaced_whole(con, settings_file):
    os.chmod(settings_file, 0o640)
    link = settings_file.with_name("linked.toml")
    link.symlink_to(settings_file)
    edit.save_job(
        con, link, "report", {"name": "w", "cron": "0 9 * * 1", "to": ["a@example.org"]},
        actor=ADMIN,
    )  # fmt: skip
    assert link.is_symlink()  # the link stays a link; the file it names is edited
    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o640
    assert "w" in jobs(settings_file)
    assert sorted(p.name for p in settings_file.parent.iterdir() if p.suffix == ".tmp") == []


def test_a_first_job_creates_the_file_readable_by_its_owner_only(con, tmp_path):
    path = tmp_path / "new.toml"
    edit.save_job(
        con, path, "import", {"name": "drop", "cron": "*/5 * * * *", "folder": str(tmp_path),
                              "source": "desk", "url": "", "max_mb": None},
        actor=ADMIN,
    )  # fmt: skip
    assert path.read_text(encoding="utf-8").startswith("[[schedule.import]]\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert jobs(path)["drop"].folder == tmp_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@example.org", ["a@example.org"]),
        ("a@example.org\n\n b@example.org fr ", ["a@example.org",
                                                 {"address": "b@example.org", "lang": "fr"}]),
        ("a@example.org, b@example.org", ["a@example.org", "b@example.org"]),
        ("", []),
    ],
)  # fmt: skip
def test_recipients_are_typed_one_a_line_with_an_optional_language(text, expected):
    assert edit.recipients_from_text(text) == expected


def test_a_recipient_line_of_three_words_is_refused():
    with pytest.raises(config.JobsConfigError, match="is not an address and a language"):
        edit.recipients_from_text("Jane Doe jane@example.org")


def test_a_settings_file_that_is_not_toml_is_said_in_one_line_and_left_alone(con, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[sla\ntarget_hours = 6\n", encoding="utf-8")
    spec = {"name": "x", "cron": "0 2 * * *", "folder": "/srv/x", "source": "s"}
    with pytest.raises(config.JobsConfigError, match="broken.toml: ") as caught:
        edit.save_job(con, path, "import", spec, actor=ADMIN)
    assert "\n" not in str(caught.value)
    assert path.read_text(encoding="utf-8") == "[sla\ntarget_hours = 6\n"
