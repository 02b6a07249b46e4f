"""The at-risk command: the open tickets whose target falls due within some hours."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from analytics import i18n, metrics, people, store
from analytics.cli.analysis import default_source
from analytics.cli.parser import open_store
from analytics.cli.sql import as_json, as_text
from analytics.metrics import risk
from analytics.settings import load_settings


def cmd_at_risk(args: argparse.Namespace) -> int:
    if args.within <= 0:
        raise store.StoreError("--within must be a positive number of hours")
    settings = load_settings()
    view = people.view_for(settings, None)
    key = people.key_for(settings, view)
    con = open_store(args, read_only=True)
    try:
        source = default_source(con, args.source)
        now = _instant(args.now, args.tz)
        # The period plays no part; a day around now keeps the selection well formed.
        around = now or metrics.current_span(con, source).as_of or datetime.now(ZoneInfo("UTC"))
        selection = metrics.Selection(
            source=source,
            start=around - timedelta(days=1),
            end=around + timedelta(days=1),
            tz=args.tz,
            teams=tuple(args.team),
            business_hours=args.business_hours,
        )
        found = risk.tickets_at_risk(
            con, selection, args.within, settings, now=now, view=view, key=key
        )
    finally:
        con.close()
    if args.json:
        print(as_json(found.tickets))
        return 0
    when = "-" if found.now is None else found.now.astimezone(ZoneInfo(args.tz)).isoformat()
    print(summary(found.count, found.breached, args.within, args.business_hours, when, args.lang))
    print(as_text(found.tickets))
    return 0


def summary(count: int, breached: int, within: float, business: bool, when: str, lang: str) -> str:
    """Return the line above the table: how many tickets are at risk, and already past a target."""
    _ = i18n.translator(lang)
    line = i18n.ngettext(
        lang,
        "{n} ticket at risk in the next {within} {hours} as of {when}; "
        "{breached} already past a target",
        "{n} tickets at risk in the next {within} {hours} as of {when}; "
        "{breached} already past a target",
        count,
    )
    decimals = len(f"{within:g}".partition(".")[2])
    return line.format(
        n=i18n.number(count, lang),
        within=i18n.number(within, lang, decimals),
        hours=_("business hours") if business else _("hours"),
        when=when,
        breached=breached,
    )


def _instant(text: str | None, tz: str) -> datetime | None:
    """Return ``--now`` as an aware instant; without an offset it is a time of ``tz``."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise store.StoreError(f"--now {text!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))
