"""The Schedules page's tables as each role may read them.

Addresses are shown to admins only; nobody sees more of a webhook or a
download URL than its host, since their paths and queries carry tokens.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pandas as pd

from analytics import i18n
from analytics.i18n import N_
from analytics.jobs.config import Job, JobsConfig
from analytics.jobs.deliver import url_host

_ADDRESS = re.compile(r"[^@\s<>\"',;:()\[\]]+@[^@\s<>\"',;:()\[\]]+\.[A-Za-z]{2,}")
_URL = re.compile(r"https?://[^\s\"'<>]+")
# How the tables name a kind of job, an outcome and what started a run; the codes stay stored.
KIND_NAMES = {"import": N_("import"), "report": N_("report"), "alert": N_("alert")}
OUTCOME_NAMES = {
    "running": N_("running"),
    "ok": N_("ok"),
    "nothing to do": N_("nothing to do"),
    "retrying": N_("retrying"),
    "failed": N_("failed"),
    "never ran": N_("never ran"),
}
DELIVERY_NAMES = {"sent": N_("sent"), "failed": N_("failed")}
TRIGGER_NAMES = {"schedule": N_("schedule"), "manual": N_("manual"), "retry": N_("retry")}


def named(code: object, names: dict[str, str], lang: str = "en") -> str:
    """Return ``code``'s name from ``names`` in ``lang``, a code it does not know as it is."""
    text = "" if code is None or pd.isna(code) else str(code)
    return i18n.gettext(lang, names[text]) if text in names else text


def host(url: str | None) -> str:
    """Return the host of ``url`` (its path and query may hold a token): a host as it
    is (a delivery records the webhook's host only), empty for none."""
    if not url:
        return ""
    return url_host(url) if "://" in url else url


def visible_message(text: object, *, admin: bool, lang: str = "en") -> str:
    """Return a run's message as a user may read it: URLs cut to their host, and
    addresses hidden unless the user is an admin."""
    text = "" if text is None or pd.isna(text) else str(text)
    text = _URL.sub(lambda m: f"{urlsplit(m.group()).scheme}://{url_host(m.group())}/…", text)
    return text if admin else _ADDRESS.sub(i18n.gettext(lang, "(an address)"), text)


def recipients(job: Job, *, admin: bool, lang: str = "en") -> str:
    """Return a job's recipients: their addresses for an admin, their number for others."""
    if not job.to:
        return ""
    if admin:
        return ", ".join(r.address for r in job.to)
    count = len(job.to)
    text = i18n.ngettext(lang, "{n} recipient", "{n} recipients", count)
    return text.format(n=i18n.number(count, lang))


def jobs_view(
    table: pd.DataFrame, config: JobsConfig, *, admin: bool, tz: str, lang: str = "en"
) -> pd.DataFrame:
    """Return ``worker.schedule_table`` as shown in ``lang``: times in ``tz``, recipients,
    webhook hosts; kinds and outcomes in words."""
    by_name = {job.name: job for job in config.jobs}
    return pd.DataFrame(
        {
            "job": table["job"],
            "kind": table["kind"].map(lambda code: named(code, KIND_NAMES, lang)),
            "what": table["what"],
            "when": table["cron"] + " (" + table["tz"] + ")",
            "to": [recipients(by_name[n], admin=admin, lang=lang) for n in table["job"]],
            "webhook": [host(by_name[n].webhook) for n in table["job"]],
            "next run": table["next_run"].map(lambda v: local_time(v, tz, lang)),
            "last run": table["last_started"].map(lambda v: local_time(v, tz, lang)),
            "outcome": table["last_outcome"]
            .fillna("never ran")
            .map(lambda code: named(code, OUTCOME_NAMES, lang)),
            "message": table["last_message"].map(
                lambda t: visible_message(t, admin=admin, lang=lang)
            ),
        }
    )


def delivered_summary(cell: object, *, admin: bool, lang: str = "en") -> str:
    """Return what a run delivered, e.g. "email to 2, webhook to hooks.example.org"."""
    _ = i18n.translator(lang)
    items = json.loads(cell) if isinstance(cell, str) and cell else []
    by_channel: dict[str, list[dict]] = {}
    for item in items:
        by_channel.setdefault(item.get("channel", "?"), []).append(item)
    parts = []
    for channel, sent in by_channel.items():
        if channel == "webhook":
            hosts = sorted({host(str(i.get("to") or "?")) for i in sent})
            parts.append(_("webhook to {hosts}").format(hosts=", ".join(hosts)))
        elif admin:
            listed = ", ".join(
                f"{i.get('to')} ({named(i.get('status'), DELIVERY_NAMES, lang)})" for i in sent
            )
            parts.append(_("{channel} to {who}").format(channel=channel, who=listed))
        else:
            failed = sum(i.get("status") == "failed" for i in sent)
            count = i18n.number(len(sent), lang)
            part = _("{channel} to {who}").format(channel=channel, who=count)
            if failed:
                part += " " + _("({count} failed)").format(count=i18n.number(failed, lang))
            parts.append(part)
    return ", ".join(parts)


def runs_view(recent: pd.DataFrame, *, admin: bool, tz: str, lang: str = "en") -> pd.DataFrame:
    """Return ``runs.recent_runs`` as shown in ``lang``, indexed by job: times in ``tz``,
    messages and deliveries as the user may read them."""
    return pd.DataFrame(
        {
            "job": recent["job"],
            "trigger": recent["trigger"].map(lambda code: named(code, TRIGGER_NAMES, lang)),
            "started": recent["started_at"].map(lambda v: local_time(v, tz, lang)),
            "finished": recent["finished_at"].map(lambda v: local_time(v, tz, lang)),
            "outcome": recent["outcome"].map(lambda code: named(code, OUTCOME_NAMES, lang)),
            "message": recent["message"].map(lambda t: visible_message(t, admin=admin, lang=lang)),
            "delivered": recent["delivered"].map(
                lambda c: delivered_summary(c, admin=admin, lang=lang)
            ),
        }
    ).set_index("job")


def local_time(value, tz: str, lang: str = "en") -> str:
    """Return an instant as ``2 Jan 2026, 14:05`` in ``tz`` and ``lang``; empty for a missing one."""
    if value is None or pd.isna(value):
        return ""
    return i18n.short_date_time(pd.Timestamp(value).tz_convert(tz), lang)
