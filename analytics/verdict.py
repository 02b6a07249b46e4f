"""The overview's verdict: one sentence a manager reads before any card.

Built from the very figures the overview's cards show
(:class:`~analytics.metrics.OverviewFigures` of the period and of the one
before it), so the sentence and the cards never disagree.

Example
-------
"Backlog growing: 1,240 open, +18% in a week, first replies 7.2 h against a 6 h target."
"""

from __future__ import annotations

import math
from collections.abc import Collection

from analytics import i18n
from analytics.metrics import OverviewFigures

# A backlog that moved by at most this share of its earlier size, either way, is steady:
# a few tickets more or less on a large backlog is noise, not a trend.
STEADY_PCT = 2.0


def trend(current: int, previous: int) -> str:
    """Return ``"growing"``, ``"shrinking"`` or ``"steady"`` for a backlog going from
    ``previous`` to ``current``.

    Steady when it moved by at most :data:`STEADY_PCT` % of ``previous`` (both ways);
    from an empty backlog, any ticket open is growth.
    """
    if previous == 0:
        return "growing" if current > 0 else "steady"
    change = 100.0 * (current - previous) / previous
    if abs(change) <= STEADY_PCT:
        return "steady"
    return "growing" if change > 0 else "shrinking"


def _known(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _change(current: int, previous: int, days: int, lang: str) -> str:
    """Return ``+18% in a week``: relative when ``previous`` has tickets, else in tickets."""
    if previous:
        change = i18n.signed_percent(100.0 * (current - previous) / previous, lang)
    else:
        change = i18n.signed(current - previous, lang)
    if days % 7 == 0:
        weeks = days // 7
        text = i18n.ngettext(lang, "{change} in a week", "{change} in {n} weeks", weeks)
        return text.format(change=change, n=i18n.number(weeks, lang))
    text = i18n.ngettext(lang, "{change} in a day", "{change} in {n} days", days)
    return text.format(change=change, n=i18n.number(days, lang))


def _first_replies(median_h: float | None, target_h: float | None, lang: str) -> str | None:
    """Return ``first replies 7.2 h against a 6 h target``, or None without a median."""
    if not _known(median_h):
        return None
    shown = i18n.hours(median_h, lang)
    if not _known(target_h):
        return i18n.gettext(lang, "first replies {hours} (median)").format(hours=shown)
    target = i18n.hours(target_h, lang, 0 if float(target_h).is_integer() else 1)
    return i18n.gettext(lang, "first replies {hours} against a {target} target").format(
        hours=shown, target=target
    )


def verdict(
    current: OverviewFigures,
    previous: OverviewFigures | None,
    days: int,
    target_hours: float | None = None,
    missing: Collection[str] = (),
    lang: str = "en",
) -> str:
    """Return the period in one sentence: is the backlog growing, shrinking or steady,
    how many tickets are open, by how much it changed, and how fast first replies came.

    ``current`` and ``previous`` are the overview's figures for the period and for the
    period of equal length before it (``previous`` None when there is nothing to compare
    with, e.g. a period starting with the source's first ticket); ``days`` is the
    period's length; ``target_hours`` the first-response target; ``missing`` the inputs
    the source lacks (keys of :data:`analytics.coverage.INPUTS`): a clause whose input
    is missing, or whose figure is unknown, is left out, never said as "nan".
    The backlog is steady when it moved by at most :data:`STEADY_PCT` % either way.

    >>> verdict(now, before, 7, 6.0)  # doctest: +SKIP
    'Backlog growing: 1,240 open, +18% in a week, first replies 7.2 h against a 6 h target.'
    """
    _ = i18n.translator(lang)
    clauses = []
    if "done" in missing:
        # Nothing is ever closed: no backlog to speak of, only what came in.
        count = i18n.ngettext(lang, "{n} ticket created", "{n} tickets created", current.created)
        clauses.append(count.replace("{n}", i18n.number(current.created, lang)))
        if previous is not None:
            clauses.append(_change(current.created, previous.created, days, lang))
        head = _("No backlog in this source: {details}.")
    else:
        count = i18n.ngettext(lang, "{n} open", "{n} open", current.backlog_open)
        clauses.append(count.replace("{n}", i18n.number(current.backlog_open, lang)))
        if previous is None:
            head = _("Backlog: {details}.")
        else:
            clauses.append(_change(current.backlog_open, previous.backlog_open, days, lang))
            head = {
                "growing": _("Backlog growing: {details}."),
                "shrinking": _("Backlog shrinking: {details}."),
                "steady": _("Backlog steady: {details}."),
            }[trend(current.backlog_open, previous.backlog_open)]
    if "first_response" not in missing:
        replies = _first_replies(current.frt_median_h, target_hours, lang)
        if replies is not None:
            clauses.append(replies)
    return head.format(details=", ".join(clauses))
