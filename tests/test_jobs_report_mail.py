"""The report job: last week's report by e-mail, each recipient in their language.

A real store (the simulated desk at a tenth of its volume), a real SMTP
server on loopback, and the PDF read back with pdftotext. The job runs once
for the module with an English and a French recipient; the tests read what
the server received.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from loopback import smtp_server

from analytics import ingest, metrics, report, store
from analytics.jobs.config import Job, JobsConfig, Recipient, Smtp
from analytics.jobs.context import RunContext
from analytics.jobs.deliver import Outbox
from analytics.jobs.report_mail import mail_html, mail_text, run_report_job
from analytics.settings import load_settings

# Monday 31 March 2025, 09:00 in Paris: the last complete week is 2025-W13.
NOW = datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
WEEK = "2025-W13"
TITLES = {
    "en": "Weekly report: week 13, 2025",
    "fr": "Rapport hebdomadaire\u202f: semaine 13 de 2025",
}
EN, FR = "direction@example.org", "direction.fr@example.org"


@pytest.fixture(scope="module")
def desk_db(tmp_path_factory, sample_desk) -> Path:
    files = sample_desk(start=date(2024, 1, 1), years=1.25, scale=0.1, seed=7)
    db = tmp_path_factory.mktemp("report-mail") / "store.sqlite"
    con = store.connect(db)
    ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    con.close()
    return db


@pytest.fixture
def con(desk_db):
    connection = store.connect(desk_db)
    yield connection
    connection.close()


def report_job(*recipients: Recipient, **kwargs) -> Job:
    return Job("direction", "report", "0 8 * * MON", tz="Europe/Paris", to=recipients, **kwargs)


def context(tmp_path: Path, smtp: Smtp | None, job: Job, now: datetime = NOW) -> RunContext:
    config = JobsConfig(tmp_path / "backlog_radar.toml", smtp, (job,))
    return RunContext(load_settings(), config, 42, now, tmp_path / "state")


def smtp_for(server) -> Smtp:
    return Smtp(host=server.host, port=server.port, sender="radar@example.org", timeout_s=10)


@pytest.fixture(scope="module")
def sent(desk_db, tmp_path_factory):
    """One run to an English and a French reader, the French one's server busy at first.

    Returns the run's outcome, what the outbox retry did, and the message each reader received.
    """
    tmp = tmp_path_factory.mktemp("report-mail-run")
    job = report_job(Recipient(EN, "en"), Recipient(FR, "fr"))
    ctx = context(tmp, None, job)
    connection = store.connect(desk_db)
    with smtp_server() as server:
        ctx = replace(ctx, config=replace(ctx.config, smtp=smtp_for(server)))
        server.refuse = {FR}
        outcome = run_report_job(connection, job, ctx)
        server.refuse = set()
        outbox = Outbox(ctx.state_dir)
        retried = [outbox.retry_due(ctx.config.smtp, NOW + timedelta(minutes=m)) for m in (1, 60)]
    connection.close()
    by_reader = {
        rcpt[0]: msg for (_, rcpt), msg in zip(server.envelopes, server.messages, strict=True)
    }
    assert len(server.messages) == 2
    return outcome, retried, {"en": by_reader[EN], "fr": by_reader[FR]}


def pdftotext(data: bytes, folder: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `apt-get install poppler-utils` (make test does it)")
    path = folder / "report.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def test_each_reader_gets_one_message_and_a_busy_mailbox_gets_it_from_the_outbox(sent):
    outcome, retried, messages = sent
    assert outcome.outcome == "retrying"
    assert outcome.message.startswith(f"{WEEK} report: the mail server did not take it for 1 of 2")
    assert outcome.delivered == [
        {"channel": "email", "to": EN, "status": "sent"},
        {"channel": "email", "to": FR, "status": "queued"},
    ]
    assert retried == [
        [{"run_id": 42, "job": "direction", "channel": "email", "to": FR, "status": "sent"}],
        [],  # delivered once
    ]
    assert messages["en"]["To"] == EN and messages["fr"]["To"] == FR
    assert messages["en"]["From"] == "radar@example.org"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_subject_names_the_week_in_the_readers_language(sent, lang):
    subject = sent[2][lang]["Subject"]
    assert subject == f"{TITLES[lang]} · {WEEK} · Backlog Radar"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_html_part_is_safe_for_mail_and_its_charts_travel_with_it(sent, lang):
    message = sent[2][lang]
    body = message.get_body(("html",))
    page = body.get_content()
    assert "<script" not in page.lower() and "<style" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # nothing fetched
    sources = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(sources) == 4 and all(s.startswith("cid:") for s in sources)
    related = {
        part["Content-ID"].strip("<>"): part
        for part in message.walk()
        if part["Content-ID"] is not None
    }
    for source in sources:
        image = related[source.removeprefix("cid:")]
        assert image.get_content_type() == "image/png"
        assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    assert html.escape(TITLES[lang], quote=False) in page


def test_the_mail_states_the_weeks_figures_and_narrative(sent, desk_db):
    con = store.connect(desk_db)
    monday = report.parse_week(WEEK)
    figures = metrics.overview(con, report.week_selection("sample", monday, "Europe/Paris"))
    con.close()
    message = sent[2]["en"]
    page = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    created = report.fmt_number(figures.created, "en")
    assert f">{created}</td>" in page  # the headline table's "this week" cell
    assert f"Tickets created: {created} " in text
    sentence = f"to {created} (from "  # the narrative's first sentence cites the same count
    assert sentence in text and sentence in html.unescape(page)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_a4_pdf_is_attached_in_the_readers_language(sent, lang, tmp_path):
    [attachment] = list(sent[2][lang].iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"backlog-radar-{WEEK}.pdf"
    text = " ".join(pdftotext(attachment.get_content(), tmp_path).split())
    # pdftotext writes French's narrow no-break spaces as plain ones.
    assert " ".join(TITLES[lang].split()) in text
    other = TITLES["fr" if lang == "en" else "en"]
    assert other not in text


def test_names_from_the_data_are_text_in_the_html(con):
    hostile = "<img src=x onerror=alert(1)>"
    data = report.collect(con, "sample", WEEK, None, "UTC", load_settings(), with_forecast=False)
    rep = report.compose(replace(data, source="<script>alert(1)</script>", region=hostile), "en")
    page = mail_html(rep, {key: f"{key}@test" for key in rep.charts})
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert html.escape(hostile) in page


@pytest.mark.parametrize(
    ("lang", "attached", "words"),
    [
        ("en", "The full report is attached as an A4 PDF.", ("better", "worse")),
        ("fr", "Le rapport complet est joint au format PDF (A4).", ("mieux", "moins bien")),
    ],
)
def test_the_mail_speaks_the_readers_language_and_colours_its_cues(con, lang, attached, words):
    data = report.collect(con, "sample", WEEK, None, "UTC", load_settings(), with_forecast=False)
    rep = report.compose(data, lang)
    text = mail_text(rep)
    assert attached in text and TITLES[lang] in text
    page = mail_html(rep, {key: f"{key}@test" for key in rep.charts})
    cues = [c["cue"] for c in rep.headline_cells() if c["cue"] is not None]
    assert cues
    for cue in cues:
        colour = {"better": "#1a7f37", "worse": "#c62828", "neutral": "#555555"}[cue.tone]
        assert f'color:{colour};">{cue.arrow} {html.escape(cue.word)}</span>' in page
    assert any(cue.word in words for cue in cues)


def test_without_a_mail_server_the_report_fails_saying_why(con, tmp_path):
    job = report_job(Recipient(EN))
    outcome = run_report_job(con, job, context(tmp_path, None, job))
    where = tmp_path / "backlog_radar.toml"
    assert outcome.outcome == "failed"
    assert outcome.message == f"no [smtp] section in {where}: the report cannot be sent"


@pytest.mark.parametrize(
    ("source", "now", "reason"),
    [
        ("zendesk", NOW, "2025-W13 report: no source named 'zendesk' in the store"),
        (None, NOW + timedelta(days=70), "2025-W23 report: no data for 2025-W23"),
    ],
)
def test_a_report_that_cannot_be_made_fails_in_one_line(con, tmp_path, source, now, reason):
    job = report_job(Recipient(EN), source=source)
    with smtp_server() as server:
        outcome = run_report_job(con, job, context(tmp_path, smtp_for(server), job, now))
    assert outcome.outcome == "failed"
    assert outcome.message.startswith(reason) and "\n" not in outcome.message
    assert server.messages == []
