"""The Schedules page in a real browser against the real app and a settings file of its own.

A viewer reads the jobs, the recent runs and the failures, with no address
and no webhook URL anywhere on the page; an admin reads the addresses, runs
an import job now and reads its outcome.
"""

from __future__ import annotations

import pytest
from conftest import screenshot, wait_until_idle
from playwright.sync_api import expect
from schedule_settings import SETTINGS, WEBHOOK
from test_browser_access import open_page, sign_in, signed_in_as, signed_store  # noqa: F401

from analytics import store
from analytics.jobs import config, runs

pytestmark = pytest.mark.browser


@pytest.fixture
def app(signed_store, app_server_factory, tmp_path):  # noqa: F811 - the fixture imported above
    """Return the app on a store with one failed run, its jobs in a settings file of its own."""
    db, users = signed_store
    (tmp_path / "drop").mkdir()
    settings = tmp_path / "radar.toml"
    settings.write_text(SETTINGS.format(drop=tmp_path / "drop", webhook=WEBHOOK), encoding="utf-8")
    con = store.connect(db)
    weekly = config.load_jobs(settings, env={}).job("weekly")
    run_id = runs.claim(con, weekly, None, "schedule")
    runs.finish(con, run_id, runs.Outcome(
        "failed", "the mail server refused direction@example.org: 550 no such user",
        [{"channel": "email", "to": "direction@example.org", "status": "failed"},
         {"channel": "email", "to": "ceo@example.org", "status": "sent"}]))  # fmt: skip
    con.close()
    env = {
        "BACKLOG_RADAR_USERS": str(users),
        "BACKLOG_RADAR_CONFIG": str(settings),
        "BACKLOG_RADAR_JOBS_DIR": str(tmp_path / "jobs"),
    }
    return app_server_factory(db, env=env)


def schedules_as(page, app, name: str) -> None:
    sign_in(page, app, name)
    signed_in_as(page, name)
    open_page(page, "Schedules")


def test_a_viewer_reads_the_jobs_runs_and_failures_without_addresses(app, page):
    schedules_as(page, app, "vic")
    jobs, failures, recent = (page.get_by_test_id("stTable").nth(i) for i in range(3))
    for job in ("drop", "weekly", "surges"):
        expect(jobs).to_contain_text(job)
    expect(jobs).to_contain_text("3 recipients")
    expect(jobs).to_contain_text("hooks.example.org")
    expect(jobs).to_contain_text("never ran")
    page.get_by_text("The only run so far failed or is retrying.").wait_for()
    expect(failures).to_contain_text("the mail server refused (an address): 550 no such user")
    expect(failures).to_contain_text("email to 2 (1 failed)")
    expect(recent).to_contain_text("weekly")
    shown = page.locator("body").inner_text()
    for secret in ("@example.org", "secret-token", "services/T000"):
        assert secret not in shown
    assert "secret-token" not in page.content()
    assert page.get_by_role("button", name="Run now").count() == 0
    assert page.get_by_role("button", name="Save job").count() == 0
    page.get_by_text("You are a viewer: running a job now needs the analyst role.").wait_for()
    screenshot(page, "schedules_viewer")


def test_an_admin_runs_an_import_job_now_and_reads_its_outcome(app, page):
    schedules_as(page, app, "alice")
    jobs = page.get_by_test_id("stTable").first
    expect(jobs).to_contain_text("direction@example.org, ceo@example.org, cfo@example.org")
    assert "secret-token" not in page.content()
    page.get_by_role("button", name="Run now").click()  # "drop" is the first job
    page.get_by_text("drop: nothing to do. no complete file in").wait_for()
    wait_until_idle(page)
    recent = page.get_by_test_id("stTable").last
    expect(recent.locator("tbody tr").first).to_contain_text("manual")
    expect(recent.locator("tbody tr").first).to_contain_text("nothing to do")
    expect(jobs.locator("tbody tr").first).to_contain_text("nothing to do")
    page.get_by_role("button", name="Save job").wait_for()  # the admins' edit form
    screenshot(page, "schedules_admin_run_now")
