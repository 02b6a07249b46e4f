"""Alert jobs against a real store, a real SMTP server and a real webhook on loopback.

Each store holds tickets written here, so the expected tickets, counts and
waves are known exactly; "now" is a time inside that data.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import exports
import pytest
from loopback import http_server, smtp_server

from analytics import store
from analytics.jobs import alert_checks, runs
from analytics.jobs.alerts import run_alert_job
from analytics.jobs.config import Job, JobsConfig, Recipient, Smtp
from analytics.jobs.context import RunContext
from analytics.settings import Settings

HEADER = ["Ticket", "Opened", "Replied", "Solved", "Group", "Region", "Priority"]
MAPPING = {
    "ticket_id": "Ticket",
    "created_at": "Opened",
    "first_response_at": "Replied",
    "resolved_at": "Solved",
    "team": "Group",
    "region": "Region",
    "priority": "Priority",
}
# First response within 4 h, urgent tickets within 1 h.
SETTINGS = Settings(sla_target_hours=4.0, sla_by_priority={"urgent": 1.0})
TICKETS_URL = "https://desk.example.org/agent/tickets/{ticket_id}"
HOOK_PATH = "/hooks/T000/B000/s3cr3t-token"
OPS = "<b>Ops & Co</b>"


def import_rows(con, tmp_path: Path, rows: list[list], name: str = "t.csv") -> None:
    path = exports.write_csv(tmp_path / name, HEADER, rows)
    exports.import_(con, path, preset="generic", mapping=MAPPING, source="desk")


def run(con, job: Job, tmp_path: Path, now: datetime, smtp: Smtp | None) -> runs.Outcome:
    """Run ``job`` as the worker does: claim a run, run it, record how it ended."""
    run_id = runs.claim(con, job, None, "manual")
    config = JobsConfig(tmp_path / "radar.toml", smtp, (job,))
    ctx = RunContext(SETTINGS, config, run_id, now, tmp_path / "jobs")
    outcome = run_alert_job(con, job, ctx)
    runs.finish(con, run_id, outcome)
    return outcome


def alert_job(kind: str, webhook: str | None = None, name: str = "", **fields) -> Job:
    """Return an alert job; tests sharing a store give theirs a ``name`` of its own."""
    english, french = Recipient("ops@example.org"), Recipient("direction@example.org", "fr")
    fields.setdefault("to", (english, french))
    return Job(name or f"{kind}-alert", "alert", "0 * * * *", alert=kind, webhook=webhook, **fields)


def hook_ok(method, path, headers, body):
    return 200, {}, b"ok", 0.0


def parts(message) -> tuple[str, str]:
    """Return the plain-text and HTML parts of a received message."""
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return plain, message.get_body(("html",)).get_content()


# --- sla-risk ------------------------------------------------------------------------------

NOW = datetime(2024, 3, 12, 12, 0, tzinfo=UTC)  # 13:00 in Paris
D = "2024-03-12 "
SLA_ROWS = [
    # at risk: no first response yet, due within two hours of NOW
    ["T 7/8", D + "08:30:00", "", "", "Tier 1", "emea", "normal"],  # due 12:30
    ["A3", D + "11:30:00", "", "", "Tier 1", "emea", "urgent"],  # due 12:30
    *[
        [f"C0{k}", D + f"08:{45 + k}:00", "", "", "Tier 3", "emea", "normal"]  # due 12:46..12:54
        for k in range(1, 10)
    ],
    ["A2", D + "09:00:00", "", "", "Tier 2", "amer", "normal"],  # due 13:00
    ["A4", D + "09:00:00", D + "13:00:00", "", "Tier 2", "amer", "normal"],  # answered after NOW
    [
        "A5",
        D + "10:00:00",
        "",
        D + "12:30:00",
        OPS,
        "amer",
        "normal",
    ],  # due 14:00, the window's end
    # not at risk
    ["B1", D + "07:00:00", "", "", "Tier 1", "emea", "normal"],  # breached at 11:00
    ["B2", D + "09:30:00", D + "10:00:00", "", "Tier 1", "emea", "normal"],  # answered
    ["B4", D + "06:00:00", "", D + "11:00:00", "Tier 1", "emea", "normal"],  # done
    ["B5", D + "11:00:00", "", "", "Tier 1", "emea", "normal"],  # due 15:00, after the window
    ["B6", D + "12:30:00", "", "", "Tier 1", "emea", "normal"],  # created after NOW
]
SOONEST = ["A3", "T 7/8", *[f"C0{k}" for k in range(1, 9)]]


def new_sla_store(tmp: Path):
    con = store.connect(tmp / "store.sqlite")
    import_rows(con, tmp, SLA_ROWS)
    return con


@pytest.fixture(scope="module")
def sla_store(tmp_path_factory):
    """One store for the tests that add no ticket; each names its job apart."""
    return new_sla_store(tmp_path_factory.mktemp("sla"))


def test_sla_risk_counts_per_team_and_links_the_ten_soonest(sla_store, tmp_path):
    with smtp_server() as mail, http_server(hook_ok) as hook:
        job = alert_job(
            "sla-risk", hook.url(HOOK_PATH), within_hours=2, tz="Europe/Paris",
            ticket_url=TICKETS_URL,
        )  # fmt: skip
        smtp = Smtp(host=mail.host, port=mail.port, sender="radar@example.org")
        outcome = run(sla_store, job, tmp_path, NOW, smtp)
        assert outcome.outcome == "ok", outcome.message
        assert sorted((d["channel"], d["to"], d["status"]) for d in outcome.delivered) == [
            ("email", "direction@example.org", "sent"),
            ("email", "ops@example.org", "sent"),
            ("webhook", hook.url("/")[len("http://") : -1], "sent"),
        ]
        by_to = {m["To"]: m for m in mail.messages}
        english = by_to["ops@example.org"]
        assert english["Subject"] == "Backlog Radar: 14 tickets about to pass their target"
        plain, page = parts(english)
        assert "between Tuesday 12 March 13:00 and 15:00 (Europe/Paris)" in plain
        teams = re.findall(r"^- (.+): (\d+)$", plain.split("By team:")[1].split("\n\n")[0], re.M)
        assert dict(teams) == {"Tier 1": "2", "Tier 2": "2", "Tier 3": "9", OPS: "1"}
        links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
        assert [label for _, label in links] == SOONEST
        assert links[1][0] == "https://desk.example.org/agent/tickets/T%207%2F8"
        assert (
            "- A3 (Tier 1, first response due 13:30): https://desk.example.org/agent/tickets/A3"
            in plain
        )
        # team names come from the data: escaped in the HTML, never markup
        assert "&lt;b&gt;Ops &amp; Co&lt;/b&gt;" in page and OPS not in page
        french = by_to["direction@example.org"]
        # French typography: a narrow no-break space before the colon, the subject's included
        assert french["Subject"] == (
            "Backlog Radar\u202f: 14 tickets sur le point de dépasser leur objectif"
        )
        french_plain = parts(french)[0]
        assert "Par équipe\u202f:\n- Tier 3\u202f: 9\n" in french_plain
        assert french_plain.startswith("14 tickets ouverts de desk atteignent leur objectif")
        assert "- A3 (Tier 1, première réponse à échéance 13:30)" in french_plain
        text = json.loads(hook.requests[0]["body"])["text"]
        assert text.startswith("Backlog Radar: 14 tickets about to pass their target")
        assert "Tier 3: 9" in text and "https://desk.example.org/agent/tickets/T%207%2F8" in text
        assert "&lt;b&gt;Ops &amp; Co&lt;/b&gt;: 1" in text  # no markup, no mention for Slack
        # the webhook's token stays out of what the run records
        assert "s3cr3t" not in outcome.message + json.dumps(outcome.delivered)


def test_one_ticket_at_risk_is_told_in_the_singular(sla_store, tmp_path):
    # at 12:40 only C01 (due 12:46) falls due within the next six minutes
    with smtp_server() as mail:
        job = alert_job("sla-risk", None, "sla-one", within_hours=0.1, tz="Europe/Paris")
        smtp = Smtp(host=mail.host, port=mail.port)
        outcome = run(sla_store, job, tmp_path, NOW + timedelta(minutes=40), smtp)
        assert outcome.outcome == "ok", outcome.message
        by_to = {m["To"]: m for m in mail.messages}
    english, french = by_to["ops@example.org"], by_to["direction@example.org"]
    assert english["Subject"] == "Backlog Radar: 1 ticket about to pass its target"
    assert parts(english)[0].startswith(
        "1 open ticket of desk reaches its first-response or resolution target between "
        "Tuesday 12 March 13:40 and 13:46 (Europe/Paris)"
    )
    assert (
        french["Subject"] == "Backlog Radar\u202f: 1 ticket sur le point de dépasser son objectif"
    )
    assert parts(french)[0].startswith("1 ticket ouvert de desk atteint son objectif")


def test_a_second_run_sends_nothing_until_the_wave_worsens(tmp_path):
    sla_store = new_sla_store(tmp_path)
    with smtp_server() as mail, http_server(hook_ok) as hook:
        job = alert_job("sla-risk", hook.url(HOOK_PATH), within_hours=2, tz="Europe/Paris")
        smtp = Smtp(host=mail.host, port=mail.port, sender="radar@example.org")
        assert run(sla_store, job, tmp_path, NOW, smtp).outcome == "ok"
        again = run(sla_store, job, tmp_path, NOW + timedelta(minutes=20), smtp)
        assert again.outcome == "nothing to do"
        assert again.message.startswith("already sent and not worse: 14 ticket(s)")
        assert (len(mail.messages), len(hook.requests)) == (2, 1)
        # two more tickets come in, due within the window: the same wave, worse
        late = [["N1", D + "09:15:00", "", "", "Tier 2", "amer", "normal"],
                ["N2", D + "09:20:00", "", "", "Tier 2", "amer", "normal"]]  # fmt: skip
        import_rows(sla_store, tmp_path, late, "late.csv")
        worse = run(sla_store, job, tmp_path, NOW + timedelta(minutes=20), smtp)
        assert worse.outcome == "ok", worse.message
        assert (len(mail.messages), len(hook.requests)) == (4, 2)
        assert mail.messages[-1]["Subject"].startswith("Backlog Radar\u202f: 16 tickets")
        assert runs.alert_severity(sla_store, job.name, "2024-03-12T13:00+01:00") == 16


def test_the_resolution_clock_counts_answered_tickets(sla_store):
    # B2 was answered at 10:00: only a resolution target (4 h) puts it at risk.
    targets = alert_checks.SlaTargets(None, {}, resolution_h=4.0)
    found = alert_checks.sla_at_risk(sla_store, "desk", NOW, 2, targets)
    assert "B2" in found["ticket_id"].tolist()
    assert found.set_index("ticket_id").loc["B2", "clock"] == "resolution"
    # B1's resolution target passed at 11:00 (breached), B4 was resolved at 11:00
    assert not {"B1", "B4"} & set(found["ticket_id"])


def test_the_settings_resolution_target_puts_the_resolution_clock_under_watch(tmp_path):
    from analytics.settings import load_settings

    path = tmp_path / "settings.toml"
    path.write_text(
        "[sla]\ntarget_hours = 4\nresolution_hours = 4\nresolution_by_priority = { urgent = 2 }\n"
    )
    targets = alert_checks.SlaTargets.from_settings(
        load_settings({"BACKLOG_RADAR_CONFIG": str(path)})
    )
    assert (targets.resolution_h, dict(targets.resolution_by_priority)) == (4.0, {"urgent": 2.0})
    assert targets.watched() == ("first_response", "resolution")
    unset = alert_checks.SlaTargets.from_settings(load_settings({"BACKLOG_RADAR_CONFIG": "/none"}))
    assert unset.watched() == ("first_response",)


def test_without_smtp_the_webhook_still_goes_and_the_mail_fails_in_one_line(sla_store, tmp_path):
    with http_server(hook_ok) as hook:
        job = alert_job("sla-risk", hook.url(HOOK_PATH), "no-smtp", within_hours=2)
        outcome = run(sla_store, job, tmp_path, NOW, None)
    assert outcome.outcome == "failed"
    assert "e-mail not sent: no [smtp] section in the settings file" in outcome.message
    assert "\n" not in outcome.message and len(hook.requests) == 1
    assert {(d["channel"], d["status"]) for d in outcome.delivered} == {
        ("email", "failed"),
        ("webhook", "sent"),
    }


def test_a_mail_server_refusing_for_now_leaves_the_alert_retrying(sla_store, tmp_path):
    with smtp_server() as mail:
        mail.reply = "451 4.3.0 try again later"
        job = alert_job(
            "sla-risk", None, "smtp-later", within_hours=2, to=(Recipient("ops@example.org"),)
        )
        outcome = run(sla_store, job, tmp_path, NOW, Smtp(host=mail.host, port=mail.port))
    assert outcome.outcome == "retrying"
    assert [(d["channel"], d["to"], d["status"]) for d in outcome.delivered] == [
        ("email", "ops@example.org", "queued")
    ]
    # queued counts as told: the outbox delivers it, the next run does not repeat it
    with smtp_server() as mail:
        again = run(sla_store, job, tmp_path, NOW, Smtp(host=mail.host, port=mail.port))
    assert again.outcome == "nothing to do" and not mail.messages


# --- backlog-growth ------------------------------------------------------------------------

GROWTH_NOW = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def growth_store(tmp_path_factory):
    # 20 tickets open since March 1st, then two more each day from the 16th to
    # the 19th: 20 open a week before GROWTH_NOW, 28 at it (+40%).
    tmp = tmp_path_factory.mktemp("growth")
    con = store.connect(tmp / "store.sqlite")
    rows = [[f"O{k:02d}", "2024-03-01 09:00:00", "", "", "Tier 1", "emea", "normal"]
            for k in range(20)]  # fmt: skip
    rows += [[f"G{day}{k}", f"2024-03-{day} 09:00:00", "", "", "Tier 1", "emea", "normal"]
             for day in range(16, 20) for k in range(2)]  # fmt: skip
    # a ticket done before its creation (a data error) is never open
    rows.append(["E1", "2024-03-17 09:00:00", "", "2024-03-16 09:00:00", "Tier 1", "emea", ""])
    import_rows(con, tmp, rows)
    return con


def test_backlog_growth_above_the_threshold_alerts_once_per_spell(growth_store, tmp_path):
    with smtp_server() as mail, http_server(hook_ok) as hook:
        job = alert_job("backlog-growth", hook.url(HOOK_PATH), growth_pct=20, over_days=7)
        smtp = Smtp(host=mail.host, port=mail.port)
        outcome = run(growth_store, job, tmp_path, GROWTH_NOW, smtp)
        assert outcome.outcome == "ok", outcome.message
        # +20% on the 17th is not above 20%: the spell starts on the 18th (+30%)
        assert runs.alert_severity(growth_store, job.name, "2024-03-18") == pytest.approx(40.0)
        english = next(m for m in mail.messages if m["To"] == "ops@example.org")
        assert english["Subject"] == "Backlog Radar: open backlog up 40% in 7 days"
        plain = parts(english)[0]
        assert "went from 20 to 28 tickets in the 7 days to Wednesday 20 March 12:00" in plain
        assert "since Monday 18 March" in plain
        assert "+40" in json.loads(hook.requests[0]["body"])["text"]
        french = parts(next(m for m in mail.messages if m["To"] == "direction@example.org"))[0]
        assert (
            "Le backlog ouvert de desk est passé de 20 à 28 tickets sur les 7 jours jusqu'au "
            "mercredi 20 mars 12:00 (+40\u00a0%\u202f; l'alerte est réglée à +20\u00a0%)."
        ) in french
        assert "depuis le lundi 18 mars" in french
        again = run(growth_store, job, tmp_path, GROWTH_NOW + timedelta(hours=1), smtp)
        assert again.outcome == "nothing to do" and len(mail.messages) == 2


def test_a_one_day_window_and_a_fractional_threshold_are_told_as_they_are(growth_store, tmp_path):
    # 26 tickets open on the 18th at noon, 28 a day later (+8%)
    with smtp_server() as mail:
        job = alert_job("backlog-growth", None, "growth-1-day", growth_pct=2.5, over_days=1)
        smtp = Smtp(host=mail.host, port=mail.port)
        outcome = run(growth_store, job, tmp_path, GROWTH_NOW - timedelta(days=1), smtp)
        assert outcome.outcome == "ok", outcome.message
        by_to = {m["To"]: m for m in mail.messages}
    english, french = by_to["ops@example.org"], by_to["direction@example.org"]
    assert english["Subject"] == "Backlog Radar: open backlog up 8% in 1 day"
    assert (
        "went from 26 to 28 tickets in the day to Tuesday 19 March 12:00 "
        "(+8%; the alert is set at +2.5%)"
    ) in parts(english)[0]
    assert (
        french["Subject"] == "Backlog Radar\u202f: backlog ouvert en hausse de 8\u00a0% en 1 jour"
    )
    assert (
        "sur la journée jusqu'au mardi 19 mars 12:00 (+8\u00a0%\u202f; l'alerte est réglée à "
        "+2,5\u00a0%)"
    ) in parts(french)[0]


def test_backlog_growth_below_the_threshold_says_so(growth_store, tmp_path):
    job = alert_job("backlog-growth", None, "growth-50", growth_pct=50, over_days=7)
    outcome = run(growth_store, job, tmp_path, GROWTH_NOW, None)
    assert outcome.outcome == "nothing to do"
    assert outcome.message == (
        "the open backlog went from 20 to 28 tickets over 7 days (+40%), not above +50%"
    )


# --- surge ---------------------------------------------------------------------------------

SURGE_NOW = datetime(2024, 3, 25, 1, 0, tzinfo=UTC)


def surge_rows(days: range) -> list[list]:
    """Return the tickets of ``days`` (0 = 1 January 2024): emea 12 a day and amer 8, all
    resolved the same day, until day 70; then emea triples and its resolutions do not."""
    rows, first = [], datetime(2024, 1, 1, tzinfo=UTC)
    for d in days:
        for region, base in (("emea", 12), ("amer", 8)):
            surging = d >= 70 and region == "emea"
            for k in range(base * 3 if surging else base):
                created = first + timedelta(days=d, hours=8, minutes=k * 20 % 600)
                solved = created + timedelta(hours=2) if k < base else None
                rows.append([
                    f"{region}-{d}-{k}", f"{created:%Y-%m-%d %H:%M:%S}",
                    f"{created + timedelta(hours=1):%Y-%m-%d %H:%M:%S}",
                    f"{solved:%Y-%m-%d %H:%M:%S}" if solved else "", "Tier 1", region, "normal",
                ])  # fmt: skip
    return rows


@pytest.fixture
def surge_store(tmp_path):
    con = store.connect(tmp_path / "store.sqlite")
    import_rows(con, tmp_path, surge_rows(range(84)))
    return con


def test_a_coming_surge_says_when_where_how_big_and_how_likely(surge_store, tmp_path):
    with smtp_server() as mail, http_server(hook_ok) as hook:
        job = alert_job("surge", hook.url(HOOK_PATH), tz="UTC")
        smtp = Smtp(host=mail.host, port=mail.port)
        outcome = run(surge_store, job, tmp_path, SURGE_NOW, smtp)
        assert outcome.outcome == "ok", outcome.message
        english = next(m for m in mail.messages if m["To"] == "ops@example.org")
        assert english["Subject"] == "Backlog Radar: surge ahead from Sunday 24 March (total, emea)"
        plain = parts(english)[0]
        emea = next(line for line in plain.splitlines() if ", emea: " in line)
        # when, where, how big (against capacity) and how likely
        assert re.match(
            r"- Sunday 24 March to \w+day \d\d? \w+, emea: about (\d+) tickets a day in the "
            r"week to \w+day \d\d? \w+ against 12 usually resolved \(\+(\d+)%\), (\d+)% likely$",
            emea,
        ), emea
        big, likely = re.search(r"\(\+(\d+)%\), (\d+)% likely", emea).groups()
        assert int(big) >= 150 and int(likely) >= 90
        assert "amer" not in plain
        french = parts(next(m for m in mail.messages if m["To"] == "direction@example.org"))[0]
        assert "du dimanche 24 mars au" in french and "probabilité" in french
        assert re.search(r", emea\u202f: environ \d+ tickets par jour .+ \(\+\d+\u00a0%\)", french)
        text = json.loads(hook.requests[0]["body"])["text"]
        assert "surge ahead from Sunday 24 March" in text and ", emea: about" in text
        assert runs.alert_severity(surge_store, job.name, "emea 2024-03-24") == pytest.approx(
            float(big), abs=1
        )
        # a day later the forecast starts on the 25th: the surge under way is the same wave,
        # told again only if it got worse
        import_rows(surge_store, tmp_path, surge_rows(range(84, 85)), "day85.csv")
        later = run(surge_store, job, tmp_path, SURGE_NOW + timedelta(days=1), smtp)
        assert runs.alert_severity(surge_store, job.name, "emea 2024-03-25") is None
        assert later.outcome in ("nothing to do", "ok"), later.message
        assert "surge in emea from 2024-03-25" in later.message


def test_a_region_without_a_surge_is_quiet_and_an_unknown_one_fails(surge_store, tmp_path):
    quiet = run(surge_store, alert_job("surge", region="amer"), tmp_path, SURGE_NOW, None)
    assert (quiet.outcome, quiet.message) == (
        "nothing to do",
        "no surge in the next 28 days in amer",
    )
    wrong = run(surge_store, alert_job("surge", region="apac"), tmp_path, SURGE_NOW, None)
    assert (wrong.outcome, wrong.message) == (
        "failed",
        "surge: region 'apac' is not in source 'desk'",
    )
