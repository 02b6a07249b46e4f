"""The report's words, read from the gettext catalogue, and its numbers and dates in each language.

Each string has a key and an English message marked with ``N_`` (the message
is its own English text; the French lives in the catalogue with the app's).
:func:`strings` gives the table of one language. Numbers, dates, month and
weekday names come from :mod:`analytics.i18n` (Babel's locale data).

Example
-------
>>> fmt_number(1234.5, "en", 1)
'1,234.5'
>>> strings("fr")["day"]
'Jour'
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from types import MappingProxyType

from analytics import coverage, i18n
from analytics.i18n import LANGS, N_, NBSP, NNBSP

__all__ = [
    "LANGS",
    "NBSP",
    "NNBSP",
    "fmt_date",
    "fmt_hours",
    "fmt_number",
    "fmt_pct",
    "fmt_signed",
    "missing_line",
    "strings",
    "week_label",
]

MESSAGES = {
    "title": N_("Weekly report: week {week}, {year}"),
    "period": N_("{first} to {last}"),
    "all_regions": N_("all regions"),
    "region": N_("Region: {region}"),
    "filter": N_("{filter}: {values}"),
    "business_hours": N_("business hours"),
    "source": N_("Source"),
    "data_to": N_("Data up to {as_of} ({tz})."),
    "figures": N_("Headline figures"),
    "figure": N_("Figure"),
    "this_week": N_("This week"),
    "vs_previous": N_("vs previous week"),
    "vs_last_year": N_("vs same week last year ({week})"),
    "summary": N_("Summary"),
    "charts": N_("Charts"),
    "next_week": N_("Next week"),
    "day": N_("Day"),
    "expected": N_("Expected tickets"),
    "interval": N_("80% interval"),
    "agents": N_("Agents (workload)"),
    "surge": N_("Surge alert:"),
    "no_surge": N_("No surge expected: every day stays within normal capacity."),
    "events": N_("On the calendar"),
    "event": N_("{when}: {event}"),
    "no_events": N_("No event on the calendar."),
    "no_forecast": N_("No forecast for next week ({note})."),
    "not_in_source": coverage.NOT_IN_SOURCE,
    "footnote": N_(
        "Definitions: docs/metrics.md. Durations in calendar hours; days in {tz}. "
        "Created and response times count tickets by creation date; resolved and backlog "
        "by the date of the event. Changes compare the same figure; SLA changes are in "
        "percentage points."
    ),
    "footnote_business": N_(
        "Definitions: docs/metrics.md. Durations in business hours (the teams' schedules); "
        "days in {tz}. Created and response times count tickets by creation date; resolved "
        "and backlog by the date of the event. Changes compare the same figure; SLA changes "
        "are in percentage points."
    ),
    "pts": N_(" pts"),
    "cue_better": N_("better"),
    "cue_worse": N_("worse"),
    "cue_up": N_("up"),
    "cue_down": N_("down"),
    "cue_same": N_("unchanged"),
    "chart_volume": N_("Tickets created per day against the forecast made before the week"),
    "chart_trend": N_("First response, median and p90, last 12 weeks (by creation date)"),
    "chart_backlog": N_("Open backlog, last 12 weeks (by event date)"),
    "chart_movers": N_("Categories and regions that moved most (tickets created)"),
    "y_tickets": N_("Tickets per day"),
    "y_hours": N_("Hours"),
    "y_open": N_("Open tickets"),
    "x_change": N_("Change against the previous week"),
    "volume_up": N_("Tickets created rose {pct} week on week, to {created} (from {previous})"),
    "volume_down": N_("Tickets created fell {pct} week on week, to {created} (from {previous})"),
    "volume_flat": N_("Tickets created held steady at {created} ({previous} the week before)"),
    "drivers": N_(", mainly {drivers}"),
    "and": N_(" and "),
    "flow": N_(
        "{resolved} tickets were resolved; the backlog {moved} to {backlog} open tickets "
        "at week end"
    ),
    "grew": N_("grew by {n}"),
    "shrank": N_("shrank by {n}"),
    "held": N_("held"),
    "clear": N_(", {days} days of work at the current pace"),
    "frt": N_(
        "Median first response was {median} against a {target} target (p90 {p90}), "
        "{direction} {previous} the week before"
    ),
    "frt_alone": N_("Median first response was {median} against a {target} target (p90 {p90})"),
    "up_from": N_("up from"),
    "down_from": N_("down from"),
    "same_as": N_("the same as"),
    "sla": N_("{sla} of first responses met the target, {change} week on week"),
    "pts_up": N_("up {n} points"),
    "pts_down": N_("down {n} points"),
    "pts_same": N_("unchanged"),
    "yoy": N_(
        "Against the same week last year ({week}), tickets created were {direction} "
        "({created} then)"
    ),
    "yoy_up": N_("up {pct}"),
    "yoy_down": N_("down {pct}"),
    "yoy_level": N_(
        "Against the same week last year ({week}), tickets created were level ({created} then)"
    ),
    "next": N_(
        "Next week about {total} tickets are expected (the daily 80% intervals add up to "
        "{lo} to {hi})"
    ),
    "next_surge": N_(
        "; surge alert {when}: about {expected} tickets a day against {capacity} resolved "
        "on a normal day ({confidence} likely)"
    ),
    "surge_when_one": N_("on {day}"),
    "surge_when_many": N_("from {first} to {last}"),
    "quality": N_("Of the tickets resolved, {clauses}"),
    "quality_reopen_rate_pct": N_("{value} were reopened"),
    "quality_one_touch_pct": N_("{value} were resolved with a single reply"),
    "quality_csat_pct": N_("{value} of the {rated} satisfaction ratings were good"),
    "quality_better": N_(" (better than {previous} the week before)"),
    "quality_worse": N_(" (worse than {previous} the week before)"),
    "quality_same": N_(" (the same as the week before)"),
    "quality_join": N_("; "),
}

# Tables: headline labels, trace names of the charts, the movers' dimensions, filters.
TABLES = {
    "labels": {
        "created": N_("Tickets created"),
        "resolved": N_("Tickets resolved"),
        "frt_median_h": N_("Median first response"),
        "frt_p90_h": N_("p90 first response"),
        "sla_pct": N_("SLA attainment ({target} target)"),
        "backlog_open": N_("Backlog at week end"),
        "days_to_clear": N_("Days to clear the backlog"),
    },
    # English trace name -> itself: translated where a chart still names a trace in English.
    "traces": {
        name: name
        for name in (
            N_("Created"),
            N_("Forecast"),
            N_("Forecast 80% interval"),
            N_("Median"),
            N_("Open"),
            N_("Awaiting first response"),
        )
    },
    "dimension": {"category": N_("Category"), "region": N_("Region")},
    "filters": {
        "regions": N_("Region"),
        "teams": N_("Team"),
        "channels": N_("Channel"),
        "categories": N_("Category"),
        "priorities": N_("Priority"),
    },
    # What a language other than English says of an input the source lacks
    # (English gives analytics.coverage's own reason, which names the export format).
    "missing": {
        "first_response": N_(
            "This source records no first response: the report gives no first-response time "
            "and no SLA attainment"
        ),
        "resolution": N_(
            "This source records no resolution: the report gives no tickets resolved and no "
            "resolution time"
        ),
        "done": N_("This source records no resolution or closing: the report gives no backlog"),
    },
}


@cache
def strings(lang: str) -> MappingProxyType:
    """Return the report's strings in ``lang``: key -> text, with tables (``labels``,
    ``traces``, ``dimension``, ``filters``, ``missing``) as nested mappings.

    Read-only, and shared by every report in that language.
    """
    _ = i18n.translator(lang)
    text: dict = {key: _(message) for key, message in MESSAGES.items()}
    for name, table in TABLES.items():
        text[name] = MappingProxyType({key: _(message) for key, message in table.items()})
    return MappingProxyType(text)


def agents_clause(agents: float, lang: str) -> str:
    """Return the clause on the agents the workload needs (``"; ... up to 4 agents a day"``)."""
    n = round(agents)
    clause = i18n.ngettext(
        lang,
        "; the workload needs up to {n} agent a day",
        "; the workload needs up to {n} agents a day",
        n,
    )
    return clause.format(n=fmt_number(n, lang))


def missing_line(name: str, reason: str, lang: str) -> str:
    """Return the sentence saying the source lacks input ``name`` (a key of coverage.INPUTS).

    English states ``reason``, coverage's own line; other languages the
    catalogue's line for that input, as coverage words its reasons in English.
    """
    if lang == i18n.DEFAULT_LANG or name not in TABLES["missing"]:
        return reason
    return strings(lang)["missing"][name]


def fmt_number(value: float, lang: str, decimals: int = 0) -> str:
    """Return ``value`` with the locale's separators: ``1,234.5`` or ``1 234,5``."""
    return i18n.number(value, lang, decimals)


def fmt_pct(value: float, lang: str, decimals: int = 0) -> str:
    """Return a percentage: ``34%`` or ``34 %`` (French puts a no-break space before %)."""
    return i18n.percent(value, lang, decimals)


def fmt_hours(value: float, lang: str) -> str:
    """Return hours with one decimal: ``7.2 h`` or ``7,2 h``."""
    return i18n.hours(value, lang, 1)


def fmt_signed(value: float, lang: str, decimals: int = 0, unit: str = "") -> str:
    """Return a change with its sign: ``+410``, ``-3.1 pts``, ``+12 %``."""
    return i18n.signed(value, lang, decimals, unit)


def fmt_date(day: date, lang: str, weekday: bool = True, year: bool = True) -> str:
    """Return ``Monday 17 November 2025`` or ``lundi 17 novembre 2025``."""
    return i18n.long_date(day, lang, weekday, year)


WEEK_LABEL = N_("Week {week}, {first}–{last}")


def week_label(monday: date, lang: str) -> str:
    """Return an ISO week as a person reads it, with its dates.

    >>> week_label(date(2025, 12, 22), "en")
    'Week 52, 22–28 December 2025'
    >>> week_label(date(2025, 12, 22), "fr")
    'Semaine 52, du 22 au 28 décembre 2025'
    """
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        first = str(monday.day)
    else:
        first = fmt_date(monday, lang, weekday=False, year=monday.year != sunday.year)
    return i18n.gettext(lang, WEEK_LABEL).format(
        week=monday.isocalendar()[1], first=first, last=fmt_date(sunday, lang, weekday=False)
    )
