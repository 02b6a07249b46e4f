"""Alert jobs: a coming surge, tickets about to breach a target, a growing backlog, told once.

:func:`run_alert_job` runs one ``[[schedule.alert]]`` job: its check
(:mod:`analytics.jobs.alert_checks`) says what there is to tell, in *waves*
(a surge, a breach window, a growth spell); a wave never told, or worse than
when it was told, goes out by e-mail in each recipient's language and to a
Slack- or Teams-compatible webhook. A message that cannot go now waits in the
outbox (:class:`analytics.jobs.deliver.Outbox`); a wave counts as told once
its message was sent or queued.

A surge already under way when the forecast starts has its first day moved
to tomorrow by every new forecast: it continues the wave told for its series
up to a week before, so a long surge is told again once a week, or when it
grows.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from analytics import i18n, store
from analytics.i18n import N_
from analytics.jobs import runs
from analytics.jobs.alert_checks import (
    CHECKS,
    SURGE_HORIZON_DAYS,
    AlertError,
    Finding,
    Wave,
    first_source,
)
from analytics.jobs.config import Job
from analytics.jobs.context import RunContext
from analytics.jobs.deliver import Outbox

# A surge under way continues the wave told for its series this many days before.
SURGE_CARRY_DAYS = 7


def run_alert_job(con: duckdb.DuckDBPyConnection, job: Job, ctx: RunContext) -> runs.Outcome:
    """Run alert ``job`` as of ``ctx.now``; return how it ended.

    "nothing to do" when all is quiet, or every wave was already told at the
    same severity or a higher one; else "ok" when every message went,
    "retrying" when some wait in the outbox, "failed" when one could not go
    at all (e-mail with no ``[smtp]``: the webhook still goes).
    """
    if job.alert not in CHECKS:
        return runs.Outcome("failed", f"unknown kind of alert {job.alert!r}")
    try:
        source = _source(con, job)
        if source is None:
            return runs.Outcome("nothing to do", "the store holds no tickets yet")
        finding = CHECKS[job.alert](con, job, source, ctx.now, ctx.settings)
    except AlertError as exc:
        return runs.Outcome("failed", f"{job.alert}: {exc}")
    if not finding.waves:
        return runs.Outcome("nothing to do", finding.quiet)
    waves = finding.waves
    if finding.kind == "surge":
        sent = _sent_waves(con, job)
        waves = [replace(w, key=_surge_key(w, sent)) for w in waves]
    fresh = [w for w in waves if _is_news(con, job, w)]
    if not fresh:
        told = "; ".join(w.label for w in waves)
        return runs.Outcome("nothing to do", f"already sent and not worse: {told}")
    delivered, problems = deliver(job, ctx, replace(finding, waves=fresh))
    if any(d["status"] in ("sent", "queued") for d in delivered):
        for wave in fresh:
            runs.record_alert(con, job.name, wave.key, wave.severity, ctx.run_id)
    statuses = {d["status"] for d in delivered}
    outcome = "failed" if "failed" in statuses else "retrying" if "queued" in statuses else "ok"
    told = "; ".join(w.label for w in fresh)
    return runs.Outcome(outcome, "; ".join([told, _summary(delivered), *problems]), delivered)


def _source(con: duckdb.DuckDBPyConnection, job: Job) -> str | None:
    if job.source is None:
        return first_source(con)
    if job.source not in {s.source for s in store.list_sources(con)}:
        raise AlertError(f"source {job.source!r} is not in the store")
    return job.source


def _is_news(con: duckdb.DuckDBPyConnection, job: Job, wave: Wave) -> bool:
    last = runs.alert_severity(con, job.name, wave.key)
    return last is None or wave.severity > last


def _sent_waves(con: duckdb.DuckDBPyConnection, job: Job) -> set[str]:
    with store.cursor(con) as cur:
        rows = cur.execute(store.load_sql("alert_waves_sent"), {"job": job.name}).fetchall()
    return {row[0] for row in rows}


def _surge_key(wave: Wave, sent: set[str]) -> str:
    """Return the wave a surge belongs to: its own, or for a surge under way when the
    forecast starts, the nearest wave of its series told up to a week before."""
    row = wave.facts["row"]
    start = pd.Timestamp(row.start)
    if start == pd.Timestamp(row.first_period):
        for days in range(1, SURGE_CARRY_DAYS + 1):
            earlier = f"{row.series} {start - timedelta(days=days):%Y-%m-%d}"
            if earlier in sent:
                return earlier
    return wave.key


# --- delivery ---------------------------------------------------------------------------


def deliver(job: Job, ctx: RunContext, finding: Finding) -> tuple[list[dict], list[str]]:
    """Send ``finding``'s waves to the job's recipients, each in their language, and webhook.

    Returns what went to whom (``{"channel", "to", "status"}`` each) and the
    one-line reasons of the parts that could not go at all.
    """
    outbox, delivered, problems = Outbox(ctx.state_dir), [], []
    if job.to and ctx.config.smtp is None:
        delivered += [{"channel": "email", "to": r.address, "status": "failed"} for r in job.to]
        problems.append("e-mail not sent: no [smtp] section in the settings file")
    elif job.to:
        by_lang: dict[str, list[str]] = {}
        for recipient in job.to:
            by_lang.setdefault(recipient.lang, []).append(recipient.address)
        for lang, addresses in by_lang.items():
            mail = email_message(message(finding, lang, job.name), addresses)
            sent = outbox.send_mail(
                ctx.config.smtp, mail, run_id=ctx.run_id, job=job.name, now=ctx.now
            )
            delivered.append(sent)
    if job.webhook:
        payload = webhook_payload(message(finding, job.lang, job.name))
        delivered.append(
            outbox.send_webhook(job.webhook, payload, run_id=ctx.run_id, job=job.name, now=ctx.now)
        )
    return delivered, problems


def _summary(delivered: list[dict]) -> str:
    """Return what went where, with no address in it (everyone sees the runs' messages)."""
    parts = []
    for channel, noun in (("email", "e-mail"), ("webhook", "webhook")):
        for status in ("sent", "queued", "failed"):
            n = sum(1 for d in delivered if d["channel"] == channel and d["status"] == status)
            if n:
                parts.append(f"{noun} {status}" + (f" ({n})" if n > 1 else ""))
    return ", ".join(parts) or "nothing delivered"


# --- the message ------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """An item of a list: ``text`` (a link to ``link`` when given), then ``detail``."""

    text: str
    detail: str = ""
    link: str | None = None


@dataclass(frozen=True)
class Message:
    """An alert in one language: its subject, and paragraphs each with a list (maybe empty)."""

    subject: str
    blocks: tuple[tuple[str, tuple[Line, ...]], ...]
    footer: str


# How a message names a clock (see alert_checks.CLOCKS).
CLOCK_NAMES = {"first_response": N_("first response"), "resolution": N_("resolution")}


def message(finding: Finding, lang: str, job: str) -> Message:
    """Return the message telling ``finding``'s waves in ``lang`` (one of ``i18n.LANGS``)."""
    subject, blocks = _COMPOSERS[finding.kind](finding, lang)
    footer = i18n.gettext(lang, "Backlog Radar, alert job {job}.").format(job=job)
    # a subject is one header line: names from the data may hold line breaks (the
    # no-break spaces of French typography stay)
    subject = re.sub(r"[^\S\u00a0\u202f]+", " ", subject).strip()
    return Message(subject[:250], blocks, footer)


def _surge_text(finding: Finding, lang: str) -> tuple[str, tuple]:
    _ = i18n.translator(lang)
    rows = [w.facts["row"] for w in finding.waves]
    subject = _("Backlog Radar: surge ahead from {day} ({where})").format(
        day=_day(min(pd.Timestamp(r.start) for r in rows), lang),
        where=", ".join(r.series for r in rows),
    )
    intro = i18n.ngettext(
        lang,
        "The daily forecast of {source} for the next {n} day sees a surge:",
        "The daily forecast of {source} for the next {n} days sees a surge:",
        SURGE_HORIZON_DAYS,
    ).format(source=finding.source, n=i18n.number(SURGE_HORIZON_DAYS, lang))
    note = _(
        "Arrivals over a trailing week against what the team usually resolves; "
        "the likelihood is the forecast's."
    )
    lines = tuple(Line(_surge_line(r, lang)) for r in rows)
    return subject, ((intro, lines), (note, ()))


def _surge_line(row, lang: str) -> str:
    """Return a surge of :func:`alert_checks.next_surges` as one line: when, where, how big
    against what the team resolves, how likely."""
    _ = i18n.translator(lang)
    first, last = pd.Timestamp(row.start), pd.Timestamp(row.end)
    if first == last:
        text = _(
            "{day}, {series}: about {expected} tickets a day in the week to {peak} "
            "against {capacity} usually resolved ({excess}), {confidence} likely"
        )
    else:
        text = _(
            "{first} to {last}, {series}: about {expected} tickets a day in the week to {peak} "
            "against {capacity} usually resolved ({excess}), {confidence} likely"
        )
    return text.format(
        day=_day(first, lang),
        first=_day(first, lang),
        last=_day(last, lang),
        series=row.series,
        expected=i18n.number(row.expected, lang),
        peak=_day(pd.Timestamp(row.peak_period), lang),
        capacity=i18n.number(row.capacity, lang),
        excess=i18n.signed_percent(row.excess_pct, lang),
        confidence=i18n.percent(100 * row.confidence, lang),
    )


def _sla_text(finding: Finding, lang: str) -> tuple[str, tuple]:
    _ = i18n.translator(lang)
    facts = finding.waves[0].facts
    count, start = facts["count"], facts["start"]
    subject = i18n.ngettext(
        lang,
        "Backlog Radar: {n} ticket about to pass its target",
        "Backlog Radar: {n} tickets about to pass their target",
        count,
    ).format(n=i18n.number(count, lang))
    intro = i18n.ngettext(
        lang,
        "{n} open ticket of {source} reaches its first-response or resolution target between "
        "{start} and {end} ({tz}) unless handled first. Calendar hours; tickets already past "
        "their target are not counted.",
        "{n} open tickets of {source} reach their first-response or resolution target between "
        "{start} and {end} ({tz}) unless handled first. Calendar hours; tickets already past "
        "their target are not counted.",
        count,
    ).format(
        n=i18n.number(count, lang),
        source=finding.source,
        start=_when(start, lang),
        end=_when(facts["end"], lang, start.date()),
        tz=start.tzinfo,
    )
    no_team = _("no team")
    clocks = {code: _(name) for code, name in CLOCK_NAMES.items()}
    teams = tuple(
        Line(_("{team}: {count}").format(team=team or no_team, count=i18n.number(n, lang)))
        for team, n in facts["per_team"].items()
    )
    soonest = tuple(
        Line(
            ticket["ticket_id"],
            " "
            + _("({team}, {clock} due {due})").format(
                team=ticket["team"] or no_team,
                clock=clocks[ticket["clock"]],
                due=_when(ticket["due_at"], lang, start.date()),
            ),
            ticket["link"],
        )
        for ticket in facts["soonest"]
    )
    return subject, ((intro, ()), (_("By team:"), teams), (_("The soonest:"), soonest))


def _growth_text(finding: Finding, lang: str) -> tuple[str, tuple]:
    _ = i18n.translator(lang)
    facts = finding.waves[0].facts
    growth, days, threshold = facts["growth"], facts["over_days"], facts["threshold"]
    subject = i18n.ngettext(
        lang,
        "Backlog Radar: open backlog up {growth} in {n} day",
        "Backlog Radar: open backlog up {growth} in {n} days",
        days,
    ).format(growth=i18n.percent(growth.growth_pct, lang), n=i18n.number(days, lang))
    intro = i18n.ngettext(
        lang,
        "The open backlog of {source} went from {before} to {now} tickets in the day to {at} "
        "({growth}; the alert is set at {threshold}).",
        "The open backlog of {source} went from {before} to {now} tickets in the {n} days to "
        "{at} ({growth}; the alert is set at {threshold}).",
        days,
    ).format(
        source=finding.source,
        before=i18n.number(growth.before, lang),
        now=i18n.number(growth.now, lang),
        n=i18n.number(days, lang),
        at=_when(growth.at.astimezone(ZoneInfo(facts["tz"])), lang),
        growth=i18n.signed_percent(growth.growth_pct, lang),
        # a threshold of 12.5 % is not said as 12 %
        threshold=i18n.signed_percent(threshold, lang, 0 if float(threshold).is_integer() else 1),
    )
    since = _("It has grown faster than that since {since}.").format(
        since=i18n.long_date(growth.spell_start, lang, year=False)
    )
    return subject, ((intro, ()), (since, ()))


_COMPOSERS = {"surge": _surge_text, "sla-risk": _sla_text, "backlog-growth": _growth_text}


def _day(when: pd.Timestamp | datetime, lang: str) -> str:
    """Return ``Sunday 24 March`` or ``dimanche 24 mars``."""
    return i18n.long_date(when.date(), lang, year=False)


def _when(when: datetime, lang: str, today: date | None = None) -> str:
    """Return a local time: ``14:30`` on ``today``, else with its day."""
    clock = f"{when:%H:%M}"
    return clock if when.date() == today else f"{_day(when, lang)} {clock}"


# --- rendering --------------------------------------------------------------------------


def plain_text(msg: Message) -> str:
    """Return ``msg`` as plain text: paragraphs, ``- `` items with their links after them."""
    parts = []
    for paragraph, lines in msg.blocks:
        items = [f"- {ln.text}{ln.detail}" + (f": {ln.link}" if ln.link else "") for ln in lines]
        parts.append("\n".join([paragraph, *items]))
    return "\n\n".join([*parts, msg.footer]) + "\n"


def html_text(msg: Message) -> str:
    """Return ``msg`` as a simple e-mail-safe HTML page; every text from the data escaped."""
    esc = html.escape
    body = []
    for paragraph, lines in msg.blocks:
        body.append(f"<p>{esc(paragraph)}</p>")
        if lines:
            items = "".join(
                "<li>"
                + (f'<a href="{esc(ln.link)}">{esc(ln.text)}</a>' if ln.link else esc(ln.text))
                + f"{esc(ln.detail)}</li>"
                for ln in lines
            )
            body.append(f"<ul>{items}</ul>")
    body.append(f'<p style="color:#777777;font-size:12px">{esc(msg.footer)}</p>')
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>'
        f"{esc(msg.subject)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222222">'
        + "".join(body)
        + "</body></html>"
    )


def email_message(msg: Message, to: list[str]) -> EmailMessage:
    """Return ``msg`` as an e-mail to ``to``: plain text, and the same as simple HTML."""
    mail = EmailMessage()
    mail["To"] = ", ".join(to)
    mail["Subject"] = msg.subject
    mail.set_content(plain_text(msg))
    mail.add_alternative(html_text(msg), subtype="html")
    return mail


def webhook_payload(msg: Message) -> dict:
    """Return the JSON a Slack or Teams incoming webhook takes: ``{"text": ...}``.

    Plain text, but Slack reads ``<...>`` as links and mentions (a team named
    ``<!channel>`` would page everyone) and Teams reads some HTML: ``&``, ``<``
    and ``>`` get the three escapes Slack documents, which both show as the
    characters.
    """
    text = f"{msg.subject}\n\n{plain_text(msg)}"
    return {"text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}
