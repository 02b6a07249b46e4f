"""The weekly executive report: one ISO week's figures, charts and narrative, as data.

Two steps, so a language switch costs no query: :func:`collect` gathers the
numbers of a week (every figure comes from :mod:`analytics.metrics`, the
next-week outlook from :mod:`analytics.forecast`), and :func:`compose` turns
them into a :class:`Report` in English or French: headline figures with
their week-on-week and year-on-year changes, Plotly figures, and narrative
sentences written by fixed rules, each keeping the figures it cites.
:func:`to_html` writes a self-contained page (Plotly's JavaScript embedded)
and :func:`to_pdf` an A4 PDF whose charts are vector images exported by
Kaleido through the system Chromium.

Example
-------
>>> data = collect(con, "sample", "2025-W47")  # doctest: +SKIP
>>> html = to_html(compose(data, "fr"))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analytics import charts, coverage, events, metrics
from analytics.settings import Settings, load_settings

LANGS = ("en", "fr")
WEEKS_OF_TREND = 12
CHROMIUM_ENV = "BACKLOG_RADAR_CHROMIUM"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# A4 less 12 mm margins each side is 186 mm, about 700 CSS pixels.
PDF_CHART_SIZE = (700, 330)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_log = logging.getLogger(__name__)


class ReportError(Exception):
    """The report cannot be made: bad week, no data that week, no Chromium for the PDF."""


# --- weeks ----------------------------------------------------------------------------------


def parse_week(text: str) -> date:
    """Return the Monday of ISO week ``text`` (``"2026-W47"``).

    >>> parse_week("2026-W01")
    datetime.date(2025, 12, 29)
    """
    match = _WEEK.match(text.strip())
    if not match:
        raise ReportError(f"a week is written like 2026-W47, not {text!r}")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise ReportError(f"{text} is not an ISO week ({exc})") from exc


def iso_week(day: date) -> str:
    """Return the ISO week holding ``day``, as ``"2026-W47"``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def same_week_last_year(monday: date) -> date:
    """Return the Monday of the same ISO week number a year earlier (week 52 for a week 53)."""
    year, week, _ = monday.isocalendar()
    try:
        return date.fromisocalendar(year - 1, week, 1)
    except ValueError:
        return date.fromisocalendar(year - 1, 52, 1)


def last_complete_week(as_of: datetime, tz: str) -> str:
    """Return the last ISO week that ended before ``as_of`` (local weeks of ``tz``)."""
    local = as_of.astimezone(ZoneInfo(tz)).date()
    return iso_week(local - timedelta(days=local.weekday() + 7))


def report_weeks(span: metrics.SourceSpan, tz: str) -> list[str]:
    """Return the complete weeks of a source, newest first (empty for an empty source)."""
    if span.first_created_at is None or span.as_of is None:
        return []
    first = span.first_created_at.astimezone(ZoneInfo(tz)).date()
    monday = parse_week(last_complete_week(span.as_of, tz))
    out = []
    while monday + timedelta(days=6) >= first:
        out.append(iso_week(monday))
        monday -= timedelta(days=7)
    return out


# --- the numbers ----------------------------------------------------------------------------


@dataclass
class Outlook:
    """Next week: the daily forecast, its surges and staffing, and the calendar's events.

    ``forecast`` has ``day, mean, lo80, hi80, lo95, hi95, agents`` (None when
    no forecast could be made; ``note`` then says why). ``surges`` has the
    columns of :func:`analytics.forecast.surges`.
    """

    first_day: date
    last_day: date
    forecast: pd.DataFrame | None
    surges: pd.DataFrame
    events: pd.DataFrame
    note: str | None = None


@dataclass
class WeekData:
    """Everything the report says about one week, before any wording."""

    source: str
    week: str
    first_day: date
    last_day: date
    tz: str
    region: str | None
    as_of: datetime
    sla_target_hours: float
    now: metrics.OverviewFigures
    previous: metrics.OverviewFigures
    last_year: metrics.OverviewFigures | None
    last_year_week: str
    clear: dict
    clear_previous: dict
    clear_last_year: dict | None
    flow: pd.DataFrame
    forecast_before: pd.DataFrame | None
    trend: pd.DataFrame
    backlog: pd.DataFrame
    movers: pd.DataFrame
    events: pd.DataFrame
    outlook: Outlook
    missing: dict[str, str] = field(default_factory=dict)
    """:func:`analytics.coverage.missing_inputs` of the source: input -> reason."""


def week_selection(
    source: str, monday: date, tz: str, region: str | None = None
) -> metrics.Selection:
    """Return the selection of one local ISO week (Monday to Sunday), optionally one region."""
    start, end = metrics.period(monday, monday + timedelta(days=6), tz)
    return metrics.Selection(source, start, end, tz, regions=(region,) if region else ())


def collect(
    con: duckdb.DuckDBPyConnection,
    source: str,
    week: str | None = None,
    region: str | None = None,
    tz: str | None = None,
    settings: Settings | None = None,
    with_forecast: bool = True,
) -> WeekData:
    """Return the numbers of the report on ``source`` for ISO ``week`` (default: last complete).

    Raises
    ------
    ReportError
        On a malformed week, or a week in which the source (or region) has no ticket.
    """
    settings = settings or load_settings()
    tz = tz or settings.default_tz
    span = metrics.source_span(con, source)
    if span.as_of is None:
        raise ReportError(f"source {source!r} has no tickets")
    week = week or last_complete_week(span.as_of, tz)
    monday = parse_week(week)
    sel = week_selection(source, monday, tz, region)
    if sel.start >= span.as_of or sel.end <= span.first_created_at:
        raise ReportError(
            f"no data for {week}: source {source!r} runs from "
            f"{span.first_created_at:%Y-%m-%d} to {span.as_of:%Y-%m-%d}"
        )
    now = metrics.overview(con, sel, settings)
    if now.created == 0 and now.resolved == 0:
        where = f" in region {region!r}" if region else ""
        raise ReportError(f"no data for {week}{where}: no ticket created or resolved")
    ly_monday = same_week_last_year(monday)
    ly_sel = week_selection(source, ly_monday, tz, region)
    has_last_year = ly_sel.end > span.first_created_at + timedelta(days=7)
    trend_start, trend_end = metrics.period(
        monday - timedelta(weeks=WEEKS_OF_TREND - 1), monday + timedelta(days=6), tz
    )
    trend_sel = replace(sel, start=trend_start, end=trend_end)
    movers = metrics.movers(con, sel, settings)
    movers = movers[movers["dimension"].isin(["category", "region"]) & (movers["change"] != 0)]
    return WeekData(
        source=source,
        week=week,
        first_day=monday,
        last_day=monday + timedelta(days=6),
        tz=tz,
        region=region,
        as_of=span.as_of,
        sla_target_hours=settings.sla_target_hours,
        now=now,
        previous=metrics.overview(con, sel.previous(), settings),
        last_year=metrics.overview(con, ly_sel, settings) if has_last_year else None,
        last_year_week=iso_week(ly_monday),
        clear=metrics.days_to_clear(con, sel, settings),
        clear_previous=metrics.days_to_clear(con, sel.previous(), settings),
        clear_last_year=metrics.days_to_clear(con, ly_sel, settings) if has_last_year else None,
        flow=metrics.daily_flow(con, sel, settings),
        forecast_before=daily_forecast(con, sel.previous(), 7, settings)[0]
        if with_forecast
        else None,
        trend=metrics.response_time_trend(con, trend_sel, "week", settings),
        backlog=metrics.backlog_series(con, trend_sel, "day", settings),
        movers=movers.head(8).reset_index(drop=True),
        events=events.events_in_range(
            con, trend_start.date(), monday + timedelta(days=6), sel.regions, source=sel.source
        ),
        outlook=outlook(con, sel, settings, with_forecast),
        missing=coverage.missing_inputs(con, source),
    )


# --- the forecast: the one place the report depends on analytics.forecast ------------------


def daily_forecast(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    days: int,
    settings: Settings,
) -> tuple[pd.DataFrame | None, pd.DataFrame, str | None]:
    """Return the forecast of tickets created per day for ``days`` days after the selection ends.

    The forecast only sees history up to ``selection.end`` (so a past week's
    forecast is the one that could have been made then). Returns ``(frame,
    surges, note)``: ``frame`` has ``day, mean, lo80, hi80, lo95, hi95``, or
    is None with ``note`` saying why.
    """
    empty = pd.DataFrame(columns=["start", "end", "expected", "capacity", "excess_pct"])
    try:
        from analytics import forecast

        by, name = ("region", selection.regions[0]) if selection.regions else ("total", "total")
        fc = forecast.forecast_series(con, selection, "D", days, by, name, 0, settings)
        if fc is None:
            return None, empty, "not enough history for a forecast"
        frame = fc.forecast.head(days).copy()
        found = forecast.surges(
            fc,
            frame,
            margin=settings.forecast.surge_margin,
            target_hours=settings.sla_target_hours * 4,
        )
    except Exception as exc:  # noqa: BLE001
        # The forecast is one section of a report that must still go out on
        # Monday: a failing model leaves a note in that section, not no report.
        _log.warning("forecast failed for the report: %s", exc)
        return None, empty, f"forecast failed: {exc}"
    frame.insert(0, "day", pd.DatetimeIndex(frame.pop("period")).date)
    found = found[found["reason"] == "arrivals above capacity"].reset_index(drop=True)
    return frame.reset_index(drop=True), found, None


def staffing_per_day(forecast: pd.DataFrame, settings: Settings) -> list[int | None]:
    """Return the agents each forecast day's expected tickets keep busy (workload, rounded up)."""
    try:
        from analytics.planning import staffing
    except ImportError:
        return [None] * len(forecast)
    f = settings.forecast
    return [
        math.ceil(
            staffing.workload_agents(m, f.handling_minutes, f.productive_hours, f.shrinkage) - 1e-9
        )
        for m in forecast["mean"]
    ]


def outlook(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    settings: Settings,
    with_forecast: bool = True,
) -> Outlook:
    """Return the week after ``selection``'s week: forecast, surges, staffing and events."""
    zone = ZoneInfo(selection.tz)
    first = selection.end.astimezone(zone).date()
    last = first + timedelta(days=6)
    calendar = events.events_in_range(con, first, last, selection.regions, source=selection.source)
    if not with_forecast:
        return Outlook(first, last, None, pd.DataFrame(), calendar, "forecast not requested")
    frame, found, note = daily_forecast(con, selection, 7, settings)
    if frame is not None:
        frame["agents"] = staffing_per_day(frame, settings)
    return Outlook(first, last, frame, found, calendar, note)


# --- words and numbers ----------------------------------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"
MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip
WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}


def fmt_number(value: float, lang: str, decimals: int = 0) -> str:
    """Return ``value`` with the locale's separators: ``1,234.5`` or ``1 234,5``.

    French groups thousands with a narrow no-break space and uses a decimal comma.
    """
    text = f"{value:,.{decimals}f}"
    if text in ("-0", "-0.0"):
        text = text[1:]
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


def fmt_pct(value: float, lang: str, decimals: int = 0) -> str:
    """Return a percentage: ``34%`` or ``34 %`` (French puts a no-break space before %)."""
    return fmt_number(value, lang, decimals) + (f"{NBSP}%" if lang == "fr" else "%")


def fmt_hours(value: float, lang: str) -> str:
    """Return hours with one decimal: ``7.2 h`` or ``7,2 h``."""
    return f"{fmt_number(value, lang, 1)}{NBSP}h"


def fmt_signed(value: float, lang: str, decimals: int = 0, unit: str = "") -> str:
    """Return a change with its sign: ``+410``, ``-3.1 pts``, ``+12 %``."""
    sign = "+" if round(value, decimals) > 0 else "-" if round(value, decimals) < 0 else "±"
    return sign + fmt_number(abs(value), lang, decimals) + unit


def fmt_date(day: date, lang: str, weekday: bool = True, year: bool = True) -> str:
    """Return ``Monday 17 November 2025`` or ``lundi 17 novembre 2025``."""
    text = f"{day.day} {MONTHS[lang][day.month - 1]}" + (f" {day.year}" if year else "")
    return f"{WEEKDAYS[lang][day.weekday()]} {text}" if weekday else text


TEXT = {
    "en": {
        "title": "Weekly report: week {week}, {year}",
        "period": "{first} to {last}",
        "all_regions": "all regions",
        "region": "Region: {region}",
        "source": "Source",
        "data_to": "Data up to {as_of} ({tz}).",
        "figures": "Headline figures",
        "figure": "Figure",
        "this_week": "This week",
        "vs_previous": "vs previous week",
        "vs_last_year": "vs same week last year ({week})",
        "summary": "Summary",
        "charts": "Charts",
        "next_week": "Next week",
        "day": "Day",
        "expected": "Expected tickets",
        "interval": "80% interval",
        "agents": "Agents (workload)",
        "surge": "Surge alert",
        "no_surge": "No surge expected: every day stays within normal capacity.",
        "events": "On the calendar",
        "no_events": "No event on the calendar.",
        "no_forecast": "No forecast for next week ({note}).",
        "not_in_source": coverage.NOT_IN_SOURCE,
        # None: the source's own reason (analytics.coverage), which is in English.
        "missing": {"first_response": None, "resolution": None, "done": None},
        "footnote": (
            "Definitions: docs/metrics.md. Durations in calendar hours; days in {tz}. "
            "Created and response times count tickets by creation date; resolved and "
            "backlog by the date of the event. Changes compare the same figure; SLA "
            "changes are in percentage points."
        ),
        "labels": {
            "created": "Tickets created",
            "resolved": "Tickets resolved",
            "frt_median_h": "Median first response",
            "frt_p90_h": "p90 first response",
            "sla_pct": "SLA attainment ({target} target)",
            "backlog_open": "Backlog at week end",
            "days_to_clear": "Days to clear the backlog",
        },
        "pts": " pts",
        "chart_volume": "Tickets created per day against the forecast made before the week",
        "chart_trend": "First response, median and p90, last 12 weeks (by creation date)",
        "chart_backlog": "Open backlog, last 12 weeks (by event date)",
        "chart_movers": "Categories and regions that moved most (tickets created)",
        "y_tickets": "Tickets per day",
        "y_hours": "Hours",
        "y_open": "Open tickets",
        "x_change": "Change against the previous week",
        "traces": {},
        "dimension": {"category": "Category", "region": "Region"},
        "volume_up": "Tickets created rose {pct} week on week, to {created} (from {previous})",
        "volume_down": "Tickets created fell {pct} week on week, to {created} (from {previous})",
        "volume_flat": "Tickets created held steady at {created} ({previous} the week before)",
        "drivers": ", mainly {drivers}",
        "and": " and ",
        "flow": "{resolved} tickets were resolved; the backlog {moved} to {backlog} open "
        "tickets at week end",
        "grew": "grew by {n}",
        "shrank": "shrank by {n}",
        "held": "held",
        "clear": ", {days} days of work at the current pace",
        "frt": "Median first response was {median} against a {target} target (p90 {p90}), "
        "{direction} {previous} the week before",
        "up_from": "up from",
        "down_from": "down from",
        "same_as": "the same as",
        "sla": "{sla} of first responses met the target, {change} week on week",
        "pts_up": "up {n} points",
        "pts_down": "down {n} points",
        "pts_same": "unchanged",
        "yoy": "Against the same week last year ({week}), tickets created were {direction} "
        "({created} then)",
        "yoy_up": "up {pct}",
        "yoy_down": "down {pct}",
        "yoy_same": "level",
        "next": "Next week about {total} tickets are expected (the daily 80% intervals add up "
        "to {lo} to {hi})",
        "next_surge": "; surge alert {when}: about {expected} tickets a day against {capacity} "
        "resolved on a normal day ({confidence} likely)",
        "next_agents": "; the workload needs up to {agents} agents a day",
        "surge_when_one": "on {day}",
        "surge_when_many": "from {first} to {last}",
    },
    "fr": {
        "title": "Rapport hebdomadaire : semaine {week} de {year}",
        "period": "du {first} au {last}",
        "all_regions": "toutes les régions",
        "region": "Région\u00a0: {region}",
        "source": "Source",
        "data_to": "Données jusqu'au {as_of} ({tz}).",
        "figures": "Chiffres clés",
        "figure": "Indicateur",
        "this_week": "Cette semaine",
        "vs_previous": "vs semaine précédente",
        "vs_last_year": "vs même semaine l'an dernier ({week})",
        "summary": "Synthèse",
        "charts": "Graphiques",
        "next_week": "Semaine prochaine",
        "day": "Jour",
        "expected": "Tickets attendus",
        "interval": "Intervalle à 80 %",
        "agents": "Agents (charge)",
        "surge": "Alerte de pic",
        "no_surge": "Aucun pic attendu : chaque jour reste dans la capacité habituelle.",
        "events": "Au calendrier",
        "no_events": "Aucun événement au calendrier.",
        "no_forecast": "Pas de prévision pour la semaine prochaine ({note}).",
        "not_in_source": "absent de cette source",
        "missing": {
            "first_response": "Cette source n'enregistre aucune première réponse : le rapport "
            "ne donne ni délai de première réponse ni respect du SLA",
            "resolution": "Cette source n'enregistre aucune résolution : le rapport ne donne "
            "ni tickets résolus ni délai de résolution",
            "done": "Cette source n'enregistre ni résolution ni clôture : le rapport ne donne "
            "pas de backlog",
        },
        "footnote": (
            "Définitions : docs/metrics.md. Durées en heures calendaires ; jours en {tz}. "
            "Les tickets créés et les délais de réponse sont comptés par date de création ; "
            "les résolus et le backlog par date de l'événement. Les variations du SLA sont "
            "en points de pourcentage."
        ),
        "labels": {
            "created": "Tickets créés",
            "resolved": "Tickets résolus",
            "frt_median_h": "Première réponse médiane",
            "frt_p90_h": "Première réponse p90",
            "sla_pct": "Respect du SLA (objectif {target})",
            "backlog_open": "Backlog en fin de semaine",
            "days_to_clear": "Jours pour résorber le backlog",
        },
        "pts": "\u00a0pts",
        "chart_volume": "Tickets créés par jour et prévision faite avant la semaine",
        "chart_trend": "Première réponse, médiane et p90, 12 dernières semaines (par date de "
        "création)",
        "chart_backlog": "Backlog ouvert, 12 dernières semaines (par date de l'événement)",
        "chart_movers": "Catégories et régions qui ont le plus varié (tickets créés)",
        "y_tickets": "Tickets par jour",
        "y_hours": "Heures",
        "y_open": "Tickets ouverts",
        "x_change": "Variation par rapport à la semaine précédente",
        "traces": {
            "Created": "Créés",
            "Forecast": "Prévision",
            "Forecast 80% interval": "Intervalle de prévision à 80 %",
            "Median": "Médiane",
            "Open": "Ouverts",
            "Awaiting first response": "En attente de première réponse",
        },
        "dimension": {"category": "Catégorie", "region": "Région"},
        "volume_up": "Les tickets créés ont augmenté de {pct} sur une semaine, à {created} "
        "(contre {previous})",
        "volume_down": "Les tickets créés ont baissé de {pct} sur une semaine, à {created} "
        "(contre {previous})",
        "volume_flat": "Les tickets créés sont restés stables à {created} ({previous} la "
        "semaine précédente)",
        "drivers": ", surtout {drivers}",
        "and": " et ",
        "flow": "{resolved} tickets ont été résolus ; le backlog {moved} pour finir la semaine "
        "à {backlog} tickets ouverts",
        "grew": "a augmenté de {n}",
        "shrank": "a diminué de {n}",
        "held": "est resté stable",
        "clear": ", soit {days} jours de travail au rythme actuel",
        "frt": "La première réponse médiane a été de {median} pour un objectif de {target} "
        "(p90 : {p90}), {direction} {previous} la semaine précédente",
        "up_from": "en hausse par rapport à",
        "down_from": "en baisse par rapport à",
        "same_as": "comme",
        "sla": "{sla} des premières réponses ont respecté l'objectif, {change} sur une semaine",
        "pts_up": "en hausse de {n} points",
        "pts_down": "en baisse de {n} points",
        "pts_same": "sans changement",
        "yoy": "Par rapport à la même semaine l'an dernier ({week}), les tickets créés sont "
        "{direction} ({created} alors)",
        "yoy_up": "en hausse de {pct}",
        "yoy_down": "en baisse de {pct}",
        "yoy_same": "stables",
        "next": "La semaine prochaine, environ {total} tickets sont attendus (les intervalles "
        "journaliers à 80 % totalisent {lo} à {hi})",
        "next_surge": " ; alerte de pic {when} : environ {expected} tickets par jour pour "
        "{capacity} résolus un jour normal (probabilité {confidence})",
        "next_agents": " ; la charge demande jusqu'à {agents} agents par jour",
        "surge_when_one": "le {day}",
        "surge_when_many": "du {first} au {last}",
    },
}


# --- the report -----------------------------------------------------------------------------

# headline -> the input it needs (analytics.coverage.INPUTS); the others need only creation.
NEEDS = {
    "resolved": "resolution",
    "frt_median_h": "first_response",
    "frt_p90_h": "first_response",
    "sla_pct": "first_response",
    "backlog_open": "done",
    "days_to_clear": "done",
}

KINDS = {
    "created": "count",
    "resolved": "count",
    "frt_median_h": "hours",
    "frt_p90_h": "hours",
    "sla_pct": "pct",
    "backlog_open": "count",
    "days_to_clear": "days",
}


def _change(new, old, kind: str) -> float | None:
    """Return the change shown for a figure: points for a percentage, else percent."""
    if new is None or old is None:
        return None
    if kind == "pct":
        return new - old
    return None if old == 0 else 100.0 * (new - old) / old


@dataclass(frozen=True)
class Headline:
    """One headline figure this week, the week before and the same week last year."""

    key: str
    label: str
    kind: str
    value: float | None
    previous: float | None
    last_year: float | None
    absent: bool = False
    """True when the source does not record the figure's input (an NYC 311 first response)."""

    @property
    def wow(self) -> float | None:
        """Change against the previous week: percent, or points for SLA %."""
        return _change(self.value, self.previous, self.kind)

    @property
    def yoy(self) -> float | None:
        """Change against the same week last year: percent, or points for SLA %."""
        return _change(self.value, self.last_year, self.kind)


@dataclass(frozen=True)
class Sentence:
    """A narrative sentence and the figures it cites (raw values, before formatting)."""

    key: str
    text: str
    cites: dict = field(default_factory=dict)


@dataclass
class Report:
    """A week's report in one language: what the page, the HTML and the PDF show."""

    data: WeekData
    lang: str
    title: str
    subtitle: str
    headlines: list[Headline]
    sentences: list[Sentence]
    charts: dict[str, go.Figure]
    outlook_rows: list[dict]
    surge_lines: list[str]
    event_lines: list[str]
    text: dict

    def file_stem(self) -> str:
        """Return a file name stem: ``backlog-radar-2025-W47-europe-fr``."""
        parts = ["backlog-radar", self.data.week]
        if self.data.region:
            parts.append(re.sub(r"[^a-z0-9]+", "-", self.data.region.lower()).strip("-"))
        return "-".join([*parts, self.lang])

    def headline_cells(self) -> list[dict]:
        """Return each headline as display strings: label, value, both changes."""
        return [
            {
                "key": h.key,
                "label": h.label,
                "value": self.text["not_in_source"] if h.absent else self.show(h.kind, h.value),
                "wow": self.show_change(h.kind, h.wow),
                "yoy": self.show_change(h.kind, h.yoy),
            }
            for h in self.headlines
        ]

    def show(self, kind: str, value) -> str:
        """Return a figure formatted for the report's language (a dash when unknown)."""
        if value is None:
            return "—"
        if kind == "count":
            return fmt_number(value, self.lang)
        if kind == "hours":
            return fmt_hours(value, self.lang)
        if kind == "pct":
            return fmt_pct(value, self.lang, 1)
        return fmt_number(value, self.lang, 1)

    def show_change(self, kind: str, value) -> str:
        """Return a change formatted: ``+12%`` or ``-3.1 pts`` (points for SLA %)."""
        if value is None:
            return "—"
        if kind == "pct":
            return fmt_signed(value, self.lang, 1, self.text["pts"])
        return fmt_signed(value, self.lang, 0, f"{NBSP}%" if self.lang == "fr" else "%")


def compose(data: WeekData, lang: str = "en") -> Report:
    """Return the report of ``data`` in ``lang`` (``"en"`` or ``"fr"``)."""
    if lang not in LANGS:
        raise ReportError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    t = TEXT[lang]
    year, number, _ = data.first_day.isocalendar()
    title = t["title"].format(week=number, year=year)
    subtitle = " · ".join(
        [
            t["period"].format(
                first=fmt_date(data.first_day, lang, year=False),
                last=fmt_date(data.last_day, lang),
            ),
            f"{t['source']} {data.source}",
            t["region"].format(region=data.region or t["all_regions"]),
        ]
    )
    headlines = _headlines(data, t)
    report = Report(
        data=data,
        lang=lang,
        title=title,
        subtitle=subtitle,
        headlines=headlines,
        sentences=[],
        charts=_charts(data, t),
        outlook_rows=[],
        surge_lines=[],
        event_lines=[],
        text=t,
    )
    report.sentences = narrative(data, lang)
    report.outlook_rows, report.surge_lines = _outlook_lines(data.outlook, lang)
    report.event_lines = _event_lines(data.outlook.events, lang)
    return report


def _headlines(data: WeekData, t: dict) -> list[Headline]:
    ly = data.last_year
    out = []
    for key, kind in KINDS.items():
        if key == "days_to_clear":
            values = (
                data.clear["days_to_clear"],
                data.clear_previous["days_to_clear"],
                data.clear_last_year["days_to_clear"] if data.clear_last_year else None,
            )
        else:
            values = (
                getattr(data.now, key),
                getattr(data.previous, key),
                getattr(ly, key) if ly else None,
            )
        label = t["labels"][key].format(target=f"{data.sla_target_hours:g}{NBSP}h")
        if NEEDS.get(key) in data.missing:
            out.append(Headline(key, label, kind, None, None, None, absent=True))
        else:
            out.append(Headline(key, label, kind, *(None if v is None else v for v in values)))
    return out


def _drivers(movers: pd.DataFrame, direction: int) -> list[tuple[str, str, int]]:
    """The category and the region that moved most in the direction of the total."""
    out = []
    for dimension in ("category", "region"):
        rows = movers[(movers["dimension"] == dimension) & (movers["change"] * direction > 0)]
        if not rows.empty:
            row = rows.iloc[0]
            out.append((dimension, str(row["value"]), int(row["change"])))
    return out


def narrative(data: WeekData, lang: str = "en") -> list[Sentence]:
    """Return three to six sentences written from the numbers by fixed rules.

    Each :class:`Sentence` keeps, in ``cites``, the raw values it states, so
    a test can check them against the metric functions.
    """
    t = TEXT[lang]
    now, prev = data.now, data.previous
    out: list[Sentence] = []

    pct = _change(now.created, prev.created, "count")
    cites = {"created": now.created, "previous_created": prev.created, "created_change_pct": pct}
    numbers = {"created": fmt_number(now.created, lang), "previous": fmt_number(prev.created, lang)}
    if pct is None or round(pct) == 0:
        text = t["volume_flat"].format(**numbers)
    else:
        text = t["volume_up" if pct > 0 else "volume_down"].format(
            pct=fmt_pct(abs(pct), lang), **numbers
        )
        drivers = _drivers(data.movers, 1 if pct > 0 else -1)
        if drivers:
            text += t["drivers"].format(
                drivers=t["and"].join(f"{v} ({fmt_signed(c, lang)})" for _, v, c in drivers)
            )
            for dimension, value, change in drivers:
                cites[f"driver_{dimension}"] = value
                cites[f"driver_{dimension}_change"] = change
    out.append(Sentence("volume", text + ".", cites))

    change = now.backlog_open - prev.backlog_open
    moved = (
        t["grew"].format(n=fmt_number(change, lang))
        if change > 0
        else t["shrank"].format(n=fmt_number(-change, lang))
        if change < 0
        else t["held"]
    )
    text = t["flow"].format(
        resolved=fmt_number(now.resolved, lang),
        moved=moved,
        backlog=fmt_number(now.backlog_open, lang),
    )
    cites = {"resolved": now.resolved, "backlog_open": now.backlog_open, "backlog_change": change}
    days = data.clear["days_to_clear"]
    if days is not None:
        text += t["clear"].format(days=fmt_number(days, lang, 1))
        cites["days_to_clear"] = days
    out.append(Sentence("flow", text + ".", cites))

    if now.frt_median_h is not None:
        target = f"{fmt_number(data.sla_target_hours, lang, 0)}{NBSP}h"
        text = t["frt"].format(
            median=fmt_hours(now.frt_median_h, lang),
            target=target,
            p90=fmt_hours(now.frt_p90_h, lang),
            direction="{direction}",
            previous="{previous}",
        )
        cites = {
            "frt_median_h": now.frt_median_h,
            "frt_p90_h": now.frt_p90_h,
            "sla_target_hours": data.sla_target_hours,
        }
        if prev.frt_median_h is not None:
            a, b = round(now.frt_median_h, 1), round(prev.frt_median_h, 1)
            direction = t["up_from"] if a > b else t["down_from"] if a < b else t["same_as"]
            text = text.format(direction=direction, previous=fmt_hours(prev.frt_median_h, lang))
            cites["previous_frt_median_h"] = prev.frt_median_h
        else:
            text = text.split(", {direction}")[0]
        out.append(Sentence("first_response", text + ".", cites))

    if now.sla_pct is not None:
        cites = {"sla_pct": now.sla_pct}
        if prev.sla_pct is not None:
            delta = now.sla_pct - prev.sla_pct
            n = fmt_number(abs(delta), lang, 1)
            shown = round(delta, 1)
            change = (
                t["pts_up"].format(n=n)
                if shown > 0
                else t["pts_down"].format(n=n)
                if shown < 0
                else t["pts_same"]
            )
            cites["sla_change_pts"] = delta
        else:
            change = t["pts_same"]
        text = t["sla"].format(sla=fmt_pct(now.sla_pct, lang, 1), change=change)
        out.append(Sentence("sla", text + ".", cites))

    ly = data.last_year
    if ly is not None and ly.created:
        pct = _change(now.created, ly.created, "count")
        direction = (
            t["yoy_up"].format(pct=fmt_pct(pct, lang))
            if round(pct) > 0
            else t["yoy_down"].format(pct=fmt_pct(-pct, lang))
            if round(pct) < 0
            else t["yoy_same"]
        )
        text = t["yoy"].format(
            week=data.last_year_week, direction=direction, created=fmt_number(ly.created, lang)
        )
        cites = {"last_year_created": ly.created, "yoy_pct": pct}
        out.append(Sentence("year_on_year", text + ".", cites))

    fc = data.outlook.forecast
    if fc is not None and not fc.empty:
        total, lo, hi = (float(fc[c].sum()) for c in ("mean", "lo80", "hi80"))
        text = t["next"].format(
            total=fmt_number(total, lang), lo=fmt_number(lo, lang), hi=fmt_number(hi, lang)
        )
        cites = {"forecast_total": total, "forecast_lo80": lo, "forecast_hi80": hi}
        if not data.outlook.surges.empty:
            surge = data.outlook.surges.iloc[0]
            text += t["next_surge"].format(
                when=_surge_when(surge, lang),
                expected=fmt_number(surge["expected"], lang),
                capacity=fmt_number(surge["capacity"], lang),
                confidence=fmt_pct(100 * surge["confidence"], lang),
            )
            cites |= {"surge_expected": float(surge["expected"])}
        agents = [a for a in fc.get("agents", []) if a is not None]
        if agents:
            text += t["next_agents"].format(agents=fmt_number(max(agents), lang))
            cites["agents_max"] = max(agents)
        out.append(Sentence("next_week", text + ".", cites))
    return _said_of_missing(out, data, t)


# sentence -> the input it speaks of (analytics.coverage.INPUTS)
SENTENCE_NEEDS = {"flow": "resolution", "first_response": "first_response", "sla": "first_response"}


def _said_of_missing(sentences: list[Sentence], data: WeekData, t: dict) -> list[Sentence]:
    """Return ``sentences`` without those on inputs the source lacks, and one line on each.

    An SLA of 0 % from a source that records no first response is not a
    failure to report: the figure does not exist.
    """
    kept = [s for s in sentences if SENTENCE_NEEDS.get(s.key) not in data.missing]
    said = [
        Sentence(f"missing_{name}", (t["missing"][name] or reason).rstrip(".") + ".")
        for name, reason in data.missing.items()
    ]
    return kept[:1] + said + kept[1:]


def _surge_when(surge, lang: str) -> str:
    t = TEXT[lang]
    first, last = pd.Timestamp(surge["start"]).date(), pd.Timestamp(surge["end"]).date()
    if first == last:
        return t["surge_when_one"].format(day=fmt_date(first, lang, year=False))
    return t["surge_when_many"].format(
        first=fmt_date(first, lang, year=False), last=fmt_date(last, lang, year=False)
    )


def _outlook_lines(outlook: Outlook, lang: str) -> tuple[list[dict], list[str]]:
    t = TEXT[lang]
    if outlook.forecast is None:
        return [], []
    rows = [
        {
            "day": fmt_date(row.day, lang, year=False),
            "expected": fmt_number(row.mean, lang),
            "interval": f"{fmt_number(row.lo80, lang)}–{fmt_number(row.hi80, lang)}",
            "agents": "-" if getattr(row, "agents", None) is None else str(row.agents),
        }
        for row in outlook.forecast.itertuples()
    ]
    surges = [
        t["next_surge"]
        .format(
            when=_surge_when(s, lang),
            expected=fmt_number(s["expected"], lang),
            capacity=fmt_number(s["capacity"], lang),
            confidence=fmt_pct(100 * s["confidence"], lang),
        )
        .lstrip(" ;")
        for _, s in outlook.surges.iterrows()
    ]
    return rows, surges


def _event_lines(calendar: pd.DataFrame, lang: str) -> list[str]:
    lines = []
    for row in calendar.itertuples():
        first = pd.Timestamp(row.starts_on).date()
        last = first if pd.isna(row.ends_on) else pd.Timestamp(row.ends_on).date()
        when = fmt_date(first, lang, year=False)
        if last != first:
            when += f" – {fmt_date(last, lang, year=False)}"
        where = "" if row.region in (None, "all") else f" ({row.region})"
        lines.append(f"{when}: {row.name}{where}")
    return lines


def _localise(fig: go.Figure, t: dict, title: str, y_title: str, x_title=None) -> go.Figure:
    fig.update_layout(title_text=title, yaxis_title=y_title)
    if x_title:
        fig.update_layout(xaxis_title=x_title)
    for trace in fig.data:
        if trace.name in t["traces"]:
            trace.name = t["traces"][trace.name]
    return fig


def _charts(data: WeekData, t: dict) -> dict[str, go.Figure]:
    volume = charts.volume_against_forecast(data.flow, data.forecast_before)
    trend = charts.response_time_trend(data.trend, "frt", data.events)
    backlog = data.backlog
    if "first_response" in data.missing:
        backlog = backlog.drop(columns="awaiting_first_response")
    backlog = charts.backlog_lines(backlog, data.events)
    # Events running past the week would stretch the axis into the future.
    window = [
        pd.Timestamp(data.first_day - timedelta(weeks=WEEKS_OF_TREND - 1)) - pd.Timedelta(days=3),
        pd.Timestamp(data.last_day) + pd.Timedelta(days=4),
    ]
    trend.update_xaxes(range=window)
    backlog.update_xaxes(range=window)
    movers = data.movers.assign(
        dimension=[t["dimension"][d].lower() for d in data.movers["dimension"]]
    )
    figures = {
        "volume": _localise(volume, t, t["chart_volume"], t["y_tickets"]),
        "first_response": _localise(trend, t, t["chart_trend"], t["y_hours"]),
        "backlog": _localise(backlog, t, t["chart_backlog"], t["y_open"]),
        "movers": _localise(charts.movers_bar(movers), t, t["chart_movers"], "", t["x_change"]),
    }
    if "first_response" in data.missing:
        del figures["first_response"]
    return {
        key: charts.plain_text(fig.update_layout(template="plotly_white"))
        for key, fig in figures.items()
    }


# --- files ----------------------------------------------------------------------------------


def _template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("weekly_report.html.j2")


def to_html(report: Report, images: dict[str, bytes] | None = None) -> str:
    """Return the report as one self-contained HTML page.

    Without ``images`` the charts are interactive (Plotly's JavaScript is
    embedded once, no CDN); with ``images`` (SVG bytes per chart, for print)
    they are static vector images and the page holds no script.
    """
    import markupsafe

    blocks = {}
    for i, (key, fig) in enumerate(report.charts.items()):
        if images is not None:
            data = base64.b64encode(images[key]).decode("ascii")
            blocks[key] = markupsafe.Markup(
                f'<img class="chart-image" alt="" src="data:image/svg+xml;base64,{data}">'
            )
        else:
            # Plotly escapes the figure's JSON for HTML, so user text stays text.
            blocks[key] = markupsafe.Markup(
                pio.to_html(
                    fig,
                    full_html=False,
                    include_plotlyjs=i == 0,
                    div_id=f"chart-{key}",
                    config={"displaylogo": False, "responsive": True},
                )
            )
    t = report.text
    data = report.data
    return _template().render(
        r=report,
        t=t,
        lang=report.lang,
        charts=blocks,
        static=images is not None,
        last_year_label=t["vs_last_year"].format(week=data.last_year_week),
        data_to=t["data_to"].format(
            as_of=fmt_date(data.as_of.astimezone(ZoneInfo(data.tz)).date(), report.lang),
            tz=data.tz,
        ),
        footnote=t["footnote"].format(tz=data.tz),
        no_forecast=t["no_forecast"].format(note=data.outlook.note or "-"),
    )


def find_chromium() -> str:
    """Return the system Chromium: ``$BACKLOG_RADAR_CHROMIUM``, else Debian's.

    Raises
    ------
    ReportError
        Saying what to install when none is found. A browser is never downloaded.
    """
    candidates = [os.environ.get(CHROMIUM_ENV), *CHROMIUM_PATHS, shutil.which("chromium")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise ReportError(
        "the PDF needs Chromium and none was found: install it (`apt-get install chromium` "
        f"on Debian) or name its executable in {CHROMIUM_ENV}"
    )


async def _print_pdf(figures, size, chromium: str, html_for) -> bytes:
    import kaleido

    async with kaleido.Kaleido(n=1, path=chromium) as k:
        images = {
            key: await k.calc_fig(fig, opts={"format": "svg", "width": size[0], "height": size[1]})
            for key, fig in figures.items()
        }
        with tempfile.TemporaryDirectory(prefix="backlog-radar-report-") as folder:
            page = Path(folder) / "report.html"
            page.write_text(html_for(images), encoding="utf-8")
            tab = await k.create_tab("")
            await tab.send_command("Page.enable")
            loaded = tab.subscribe_once("Page.loadEventFired")
            await tab.send_command("Page.navigate", params={"url": page.as_uri()})
            await loaded
            result = await tab.send_command(
                "Page.printToPDF",
                params={"preferCSSPageSize": True, "printBackground": True},
            )
        return base64.b64decode(result["result"]["data"])


def _run_browser(coroutine):
    """Run a browser coroutine to completion in its own thread and event loop.

    Streamlit's script thread may already have a loop; a fresh thread never does.
    """
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="report-browser")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def to_pdf(report: Report) -> bytes:
    """Return the report as an A4 PDF: charts as vector (SVG) images, text extractable.

    Kaleido exports the charts and the same system Chromium prints the page.

    Raises
    ------
    ReportError
        When Chromium or Kaleido is missing, saying what to install.
    """
    chromium = find_chromium()
    try:
        import kaleido  # noqa: F401
    except ImportError as exc:
        raise ReportError("the PDF needs kaleido: pip install -r requirements.txt") from exc
    return _run_browser(
        _print_pdf(report.charts, PDF_CHART_SIZE, chromium, lambda imgs: to_html(report, imgs))
    )


def write(report: Report, out_dir: str | Path, fmt: str = "html") -> Path:
    """Write the report as ``<stem>.html`` or ``<stem>.pdf`` in ``out_dir``; return the path."""
    if fmt not in ("html", "pdf"):
        raise ReportError(f"format must be html or pdf, not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{report.file_stem()}.{fmt}"
    if fmt == "html":
        path.write_text(to_html(report), encoding="utf-8")
    else:
        path.write_bytes(to_pdf(report))
    return path
