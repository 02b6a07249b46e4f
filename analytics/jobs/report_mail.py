"""The report job: last week's report, e-mailed to each recipient in their language.

The week is the last complete ISO week before the run, in the job's time
zone. The report is collected once and composed once per language among the
recipients; each language gets one message to its recipients: an HTML part
safe for mail clients (inline styles, no script, the charts as PNG images
carried in the message and referenced by ``cid:``), a plain-text
alternative, and the A4 PDF attached. Messages the mail server does not take
wait in the outbox (:class:`analytics.jobs.deliver.Outbox`) and are retried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

import duckdb
import plotly.graph_objects as go

from analytics import i18n, report, store
from analytics.i18n import N_
from analytics.jobs import deliver
from analytics.jobs.config import Job, Recipient
from analytics.jobs.context import RunContext
from analytics.jobs.runs import Outcome
from analytics.report import render
from analytics.settings import SAMPLE_SOURCE

# Mail clients show images at the width they are declared; two pixels per point stay sharp.
MAIL_CHART_SIZE = (600, 300)
MAIL_CHART_SCALE = 2
CHART_TITLES = {
    "volume": "chart_volume",
    "first_response": "chart_trend",
    "backlog": "chart_backlog",
    "movers": "chart_movers",
}
# What the report's own strings do not say: the mail's pointer to its attachment.
ATTACHED = N_("The full report is attached as an A4 PDF.")


@dataclass(frozen=True)
class Rendered:
    """One language's report, its charts as PNG images (key -> bytes) and its PDF."""

    report: report.Report
    images: dict[str, bytes]
    pdf: bytes


def run_report_job(con: duckdb.DuckDBPyConnection, job: Job, ctx: RunContext) -> Outcome:
    """Send last week's report to ``job.to``; return the run's outcome.

    "ok" when every message was sent, "retrying" when some wait in the
    outbox, "failed" (with the reason) when the report cannot be made or
    there is no mail server. ``delivered`` has one entry per recipient.
    """
    smtp = ctx.config.smtp
    if smtp is None:
        return Outcome(
            "failed", f"no [smtp] section in {ctx.config.path}: the report cannot be sent"
        )
    week = report.last_complete_week(ctx.now, job.tz)
    groups = _by_language(job.to)
    try:
        source = report_source(con, job.source)
        region = None if job.region == "all" else job.region
        data = report.collect(con, source, week, region, job.tz, ctx.settings)
        rendered = render_languages(data, list(groups))
    except (report.ReportError, store.StoreError) as exc:
        return Outcome("failed", _one_line(f"{week} report: {exc}"))
    outbox = deliver.Outbox(ctx.state_dir)
    delivered = []
    for lang, recipients in groups.items():
        message = report_message(rendered[lang], [r.address for r in recipients])
        sent = outbox.send_mail(smtp, message, run_id=ctx.run_id, job=job.name, now=ctx.now)
        waiting = set(sent.get("waiting", ()))
        delivered += [
            {
                "channel": "email",
                "to": r.address,
                "status": "queued" if r.address in waiting else "sent",
            }
            for r in recipients
        ]
    return _outcome(week, delivered)


def _outcome(week: str, delivered: list[dict]) -> Outcome:
    queued = sum(d["status"] != "sent" for d in delivered)
    if queued:
        return Outcome(
            "retrying",
            f"{week} report: the mail server did not take it for {queued} of {len(delivered)} "
            "recipients; it waits in the outbox and is retried",
            delivered,
        )
    readers = f"{len(delivered)} recipient" + ("s" if len(delivered) != 1 else "")
    return Outcome("ok", f"{week} report sent to {readers}", delivered)


def _by_language(recipients: tuple[Recipient, ...]) -> dict[str, list[Recipient]]:
    """Return the recipients grouped by language, languages in order of first appearance."""
    groups: dict[str, list[Recipient]] = {}
    for recipient in recipients:
        groups.setdefault(recipient.lang, []).append(recipient)
    return groups


def report_source(con: duckdb.DuckDBPyConnection, requested: str | None) -> str:
    """Return the source a job reports on: the one named, else the only one, else the sample.

    Raises StoreError naming the sources when the choice is not clear.
    """
    names = [s.source for s in store.list_sources(con)]
    if requested is not None:
        if requested not in names:
            raise store.StoreError(f"no source named {requested!r} in the store")
        return requested
    if len(names) == 1:
        return names[0]
    if SAMPLE_SOURCE in names:
        return SAMPLE_SOURCE
    listed = ", ".join(names) if names else "none yet"
    raise store.StoreError(f"the job names no source; set source = one of: {listed}")


def render_languages(data: report.WeekData, langs: list[str]) -> dict[str, Rendered]:
    """Return the report of ``data`` rendered in each of ``langs``: its images and its PDF.

    The PDF is printed once per language; the mail's images of every
    language come from one browser session. Raises ReportError without Chromium.
    """
    reports = {lang: report.compose(data, lang) for lang in langs}
    images = chart_images(list(reports.values()))
    return {
        lang: Rendered(rep, images[i], report.to_pdf(rep))
        for i, (lang, rep) in enumerate(reports.items())
    }


def chart_images(reports: list[report.Report]) -> list[dict[str, bytes]]:
    """Return each report's charts as PNG images (key -> bytes), exported by Kaleido."""
    chromium = report.find_chromium()
    try:
        import kaleido
    except ImportError as exc:
        raise report.ReportError(
            "the mail's charts need kaleido: pip install -r requirements.txt"
        ) from exc
    width, height = MAIL_CHART_SIZE
    opts = {"format": "png", "width": width, "height": height, "scale": MAIL_CHART_SCALE}

    async def export() -> list[dict[str, bytes]]:
        async with kaleido.Kaleido(n=1, path=chromium) as k:
            return [
                {
                    key: await k.calc_fig(_for_mail(fig), opts=opts)
                    for key, fig in rep.charts.items()
                }
                for rep in reports
            ]

    return render.run_browser(export())


def _for_mail(fig: go.Figure) -> go.Figure:
    # a copy: the report's figures are shared with its PDF; mail images are narrower than A4
    return go.Figure(fig).update_layout(title_font_size=13)


def report_message(rendered: Rendered, addresses: list[str]) -> EmailMessage:
    """Return the mail of one language's report to ``addresses`` (From is the outbox's to set).

    multipart/mixed: the text and HTML alternatives (the HTML with its
    images as related parts), then the PDF.
    """
    rep = rendered.report
    cids = {key: make_msgid(domain="backlog-radar") for key in rendered.images}
    message = EmailMessage()
    message["Subject"] = _subject(rep)
    message["To"] = ", ".join(addresses)
    message.set_content(mail_text(rep))
    message.add_alternative(mail_html(rep, {k: c[1:-1] for k, c in cids.items()}), subtype="html")
    html_part = message.get_payload()[1]
    for key, png in rendered.images.items():
        html_part.add_related(png, "image", "png", cid=cids[key], filename=f"{key}.png")
    message.add_attachment(
        rendered.pdf, "application", "pdf", filename=f"backlog-radar-{rep.data.week}.pdf"
    )
    return message


def _subject(rep: report.Report) -> str:
    """Return the mail's subject: the report's title, its region if one, and the product."""
    parts = [rep.title, rep.data.week]
    if rep.data.region:
        parts.append(rep.data.region)
    return _one_line(" · ".join([*parts, "Backlog Radar"]))


def _context(rep: report.Report) -> dict:
    """Return the sentences around the figures, as the report page words them."""
    t, data = rep.text, rep.data
    return {
        "data_to": t["data_to"].format(
            as_of=report.fmt_date(data.as_of.astimezone(ZoneInfo(data.tz)).date(), rep.lang),
            tz=data.tz,
        ),
        "last_year_label": t["vs_last_year"].format(week=data.last_year_week),
        "footnote": render.footnote(rep),
        "no_forecast": t["no_forecast"].format(note=data.outlook.note or "-"),
        "attached": i18n.gettext(rep.lang, ATTACHED),
    }


def mail_text(rep: report.Report) -> str:
    """Return the report's plain-text alternative: figures, summary, next week."""
    t, extra = rep.text, _context(rep)
    lines = [rep.title, rep.subtitle, extra["data_to"], "", t["figures"]]
    lines += [
        f"- {c['label']}: {c['value']} ({t['vs_previous']} {c['wow']}; "
        f"{extra['last_year_label']} {c['yoy']})"
        for c in rep.headline_cells()
    ]
    lines += ["", t["summary"], *(s.text for s in rep.sentences), "", t["next_week"]]
    if rep.outlook_rows:
        lines += [f"- {r['day']}: {r['expected']} ({r['interval']})" for r in rep.outlook_rows]
        lines += [f"{t['surge']} {s}" for s in rep.surge_lines] or [t["no_surge"]]
    else:
        lines.append(extra["no_forecast"])
    lines += ["", t["events"], *(f"- {e}" for e in rep.event_lines or [t["no_events"]])]
    lines += ["", extra["attached"], extra["footnote"]]
    return "\n".join(lines) + "\n"


def mail_html(rep: report.Report, cids: dict[str, str]) -> str:
    """Return the report's HTML part: inline styles only, charts as ``cid:`` images.

    Every text is escaped by the template (source, region and event names
    come from the data).
    """
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    titles = {key: rep.text[CHART_TITLES.get(key, "charts")] for key in cids}
    return env.from_string(MAIL_TEMPLATE).render(
        r=rep, t=rep.text, cids=cids, titles=titles, width=MAIL_CHART_SIZE[0], **_context(rep)
    )


def _one_line(text: str) -> str:
    # Breaks and runs of spaces go; the no-break spaces of French typography stay.
    return re.sub(r"[ \t\r\n\f\v]+", " ", str(text)).strip()


# Mail clients drop <style> blocks and scripts: every style is inline, every image a related part.
MAIL_TEMPLATE = """\
<!DOCTYPE html>
<html lang="{{ r.lang }}">
<head><meta charset="utf-8"><title>{{ r.title }}</title></head>
{%- set cell = "padding:4px 8px;border-bottom:1px solid #e3e3e3;text-align:right;" %}
{%- set first = "padding:4px 8px;border-bottom:1px solid #e3e3e3;text-align:left;" %}
{%- set head = "background:#f4f6f9;font-weight:bold;" %}
{%- set tones = {"better": "#1a7f37", "worse": "#c62828", "neutral": "#555555"} %}
{%- set h2 = "font-size:17px;margin:20px 0 6px;border-bottom:1px solid #cccccc;" %}
<body style="margin:0;padding:16px;background:#ffffff;color:#222222;\
font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.4;">
<div style="max-width:{{ width }}px;margin:0 auto;">
<h1 style="font-size:22px;margin:0 0 4px;">{{ r.title }}</h1>
<p style="margin:0;color:#555555;">{{ r.subtitle }}</p>
<p style="margin:0 0 8px;color:#555555;">{{ data_to }}</p>
<h2 style="{{ h2 }}">{{ t.figures }}</h2>
<table role="presentation" cellspacing="0" cellpadding="0" width="100%" \
style="border-collapse:collapse;width:100%;">
<tr><th style="{{ first }}{{ head }}">{{ t.figure }}</th>\
<th style="{{ cell }}{{ head }}">{{ t.this_week }}</th>\
<th style="{{ cell }}{{ head }}">{{ t.vs_previous }}</th>\
<th style="{{ cell }}{{ head }}">{{ last_year_label }}</th></tr>
{%- for c in r.headline_cells() %}
<tr><td style="{{ first }}">{{ c.label }}</td><td style="{{ cell }}">{{ c.value }}</td>\
<td style="{{ cell }}">{{ c.wow }}{% if c.cue %} <span style="white-space:nowrap;color:\
{{ tones[c.cue.tone] }};">{{ c.cue.arrow }} {{ c.cue.word }}</span>{% endif %}</td>\
<td style="{{ cell }}">{{ c.yoy }}</td></tr>
{%- endfor %}
</table>
<h2 style="{{ h2 }}">{{ t.summary }}</h2>
{%- for s in r.sentences %}
<p style="margin:4px 0;">{{ s.text }}</p>
{%- endfor %}
<h2 style="{{ h2 }}">{{ t.charts }}</h2>
{%- for key, cid in cids.items() %}
<p style="margin:8px 0;"><img src="cid:{{ cid }}" alt="{{ titles[key] }}" width="{{ width }}" \
style="display:block;width:100%;max-width:{{ width }}px;height:auto;border:0;"></p>
{%- endfor %}
<h2 style="{{ h2 }}">{{ t.next_week }}</h2>
{%- if r.outlook_rows %}
<table role="presentation" cellspacing="0" cellpadding="0" width="100%" \
style="border-collapse:collapse;width:100%;">
<tr><th style="{{ first }}{{ head }}">{{ t.day }}</th>\
<th style="{{ cell }}{{ head }}">{{ t.expected }}</th>\
<th style="{{ cell }}{{ head }}">{{ t.interval }}</th>\
<th style="{{ cell }}{{ head }}">{{ t.agents }}</th></tr>
{%- for row in r.outlook_rows %}
<tr><td style="{{ first }}">{{ row.day }}</td><td style="{{ cell }}">{{ row.expected }}</td>\
<td style="{{ cell }}">{{ row.interval }}</td><td style="{{ cell }}">{{ row.agents }}</td></tr>
{%- endfor %}
</table>
{%- for line in r.surge_lines %}
<p style="margin:8px 0;padding:6px 10px;border-left:4px solid #cc4125;background:#fbeeea;">\
<strong>{{ t.surge }}</strong> {{ line }}</p>
{%- else %}
<p style="margin:8px 0;">{{ t.no_surge }}</p>
{%- endfor %}
{%- else %}
<p style="margin:8px 0;">{{ no_forecast }}</p>
{%- endif %}
<h3 style="font-size:15px;margin:12px 0 4px;">{{ t.events }}</h3>
{%- if r.event_lines %}
<ul style="margin:4px 0;padding-left:20px;">
{%- for line in r.event_lines %}<li>{{ line }}</li>{% endfor %}</ul>
{%- else %}
<p style="margin:4px 0;">{{ t.no_events }}</p>
{%- endif %}
<p style="margin:16px 0 4px;">{{ attached }}</p>
<p style="margin:4px 0;font-size:12px;color:#555555;">{{ footnote }}</p>
</div>
</body>
</html>
"""
