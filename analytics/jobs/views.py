"""The Schedules page's tables as each role may read them.

Addresses are shown to admins only; nobody sees more of a webhook or a
download URL than its host, since their paths and queries carry tokens.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pandas as pd

from analytics.jobs.config import Job, JobsConfig
from analytics.jobs.deliver import url_host

_ADDRESS = re.compile(r"[^@\s<>\"',;:()\[\]]+@[^@\s<>\"',;:()\[\]]+\.[A-Za-z]{2,}")
_URL = re.compile(r"https?://[^\s\"'<>]+")


def host(url: str | None) -> str:
    """Return the host of ``url`` (its path and query may hold a token): a host as it
    is (a delivery records the webhook's host only), empty for none."""
    if not url:
        return ""
    return url_host(url) if "://" in url else url


def visible_message(text: object, *, admin: bool) -> str:
    """Return a run's message as a user may read it: URLs cut to their host, and
    addresses hidden unless the user is an admin."""
    text = "" if text is None or pd.isna(text) else str(text)
    text = _URL.sub(lambda m: f"{urlsplit(m.group()).scheme}://{url_host(m.group())}/…", text)
    return text if admin else _ADDRESS.sub("(an address)", text)


def recipients(job: Job, *, admin: bool) -> str:
    """Return a job's recipients: their addresses for an admin, their number for others."""
    if not job.to:
        return ""
    if admin:
        return ", ".join(r.address for r in job.to)
    return f"{len(job.to)} recipient" + ("s" if len(job.to) != 1 else "")


def jobs_view(table: pd.DataFrame, config: JobsConfig, *, admin: bool, tz: str) -> pd.DataFrame:
    """Return ``worker.schedule_table`` as shown: times in ``tz``, recipients, webhook hosts."""
    by_name = {job.name: job for job in config.jobs}
    return pd.DataFrame(
        {
            "job": table["job"],
            "kind": table["kind"],
            "what": table["what"],
            "when": table["cron"] + " (" + table["tz"] + ")",
            "to": [recipients(by_name[n], admin=admin) for n in table["job"]],
            "webhook": [host(by_name[n].webhook) for n in table["job"]],
            "next run": table["next_run"].map(lambda v: local_time(v, tz)),
            "last run": table["last_started"].map(lambda v: local_time(v, tz)),
            "outcome": table["last_outcome"].fillna("never ran"),
            "message": table["last_message"].map(lambda t: visible_message(t, admin=admin)),
        }
    )


def delivered_summary(cell: object, *, admin: bool) -> str:
    """Return what a run delivered, e.g. "email to 2, webhook to hooks.example.org"."""
    items = json.loads(cell) if isinstance(cell, str) and cell else []
    by_channel: dict[str, list[dict]] = {}
    for item in items:
        by_channel.setdefault(item.get("channel", "?"), []).append(item)
    parts = []
    for channel, sent in by_channel.items():
        if channel == "webhook":
            hosts = sorted({host(str(i.get("to") or "?")) for i in sent})
            parts.append(f"webhook to {', '.join(hosts)}")
        elif admin:
            parts.append(
                f"{channel} to " + ", ".join(f"{i.get('to')} ({i.get('status')})" for i in sent)
            )
        else:
            failed = sum(i.get("status") == "failed" for i in sent)
            parts.append(f"{channel} to {len(sent)}" + (f" ({failed} failed)" if failed else ""))
    return ", ".join(parts)


def runs_view(recent: pd.DataFrame, *, admin: bool, tz: str) -> pd.DataFrame:
    """Return ``runs.recent_runs`` as shown, indexed by job: times in ``tz``, messages and
    deliveries as the user may read them."""
    return pd.DataFrame(
        {
            "job": recent["job"],
            "trigger": recent["trigger"],
            "started": recent["started_at"].map(lambda v: local_time(v, tz)),
            "finished": recent["finished_at"].map(lambda v: local_time(v, tz)),
            "outcome": recent["outcome"],
            "message": recent["message"].map(lambda t: visible_message(t, admin=admin)),
            "delivered": recent["delivered"].map(lambda c: delivered_summary(c, admin=admin)),
        }
    ).set_index("job")


def local_time(value, tz: str) -> str:
    """Return an instant as ``YYYY-MM-DD HH:MM`` in ``tz``; empty for a missing one."""
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).tz_convert(tz).strftime("%Y-%m-%d %H:%M")
