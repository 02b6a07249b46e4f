"""One week's report in one language: headline figures, sentences, charts and the outlook.

:func:`compose` costs no query, so a language switch re-uses the collected
:class:`~analytics.report.collect.WeekData`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go

from analytics import charts
from analytics.report.collect import Outlook, WeekData
from analytics.report.errors import ReportError
from analytics.report.narrative import Sentence, change, narrative, surge_text
from analytics.report.text import (
    LANGS,
    NBSP,
    fmt_date,
    fmt_hours,
    fmt_number,
    fmt_pct,
    fmt_signed,
    strings,
)
from analytics.report.weeks import WEEKS_OF_TREND

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


# headline -> 1 when a rise is good news, -1 when it is bad news, 0 when it is neither
GOOD_WHEN_UP = {
    "created": 0,
    "resolved": 1,
    "frt_median_h": -1,
    "frt_p90_h": -1,
    "sla_pct": 1,
    "backlog_open": -1,
    "days_to_clear": -1,
}
ARROWS = {1: "▲", -1: "▼", 0: "="}


@dataclass(frozen=True)
class Cue:
    """How a figure moved against the previous week, for a reader who scans.

    ``arrow`` is ``▲``, ``▼`` or ``=``; ``word`` says it in the report's
    language (``better``, ``worse``; ``up``, ``down`` for a figure neither good
    nor bad when it rises; ``unchanged``); ``tone`` is ``better``, ``worse``
    or ``neutral``, for the colour.
    """

    arrow: str
    word: str
    tone: str


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
        return change(self.value, self.previous, self.kind)

    @property
    def yoy(self) -> float | None:
        """Change against the same week last year: percent, or points for SLA %."""
        return change(self.value, self.last_year, self.kind)

    def direction(self) -> int | None:
        """Return 1 when the figure rose against the previous week, -1 when it fell, 0 when
        the change rounds to nothing as shown; None when either week is unknown."""
        if self.value is None or self.previous is None:
            return None
        wow = self.wow
        if wow is not None:
            shown = round(wow, 1 if self.kind == "pct" else 0)
        else:  # from zero: a percent change means nothing, the difference still has a sign
            shown = round(self.value - self.previous, 1)
        return 1 if shown > 0 else -1 if shown < 0 else 0

    def judged(self) -> int | None:
        """Return 1 when the week-on-week change is good news, -1 when bad, 0 when neither
        (unchanged, or a figure such as tickets created); None when unknown."""
        moved = self.direction()
        return None if moved is None else moved * GOOD_WHEN_UP.get(self.key, 0)


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
        """Return each headline as display strings: label, value, both changes, and the
        :class:`Cue` of the week-on-week change (None when it is unknown)."""
        return [
            {
                "key": h.key,
                "label": h.label,
                "value": self.text["not_in_source"] if h.absent else self.show(h.kind, h.value),
                "wow": self.show_change(h.kind, h.wow),
                "yoy": self.show_change(h.kind, h.yoy),
                "cue": self.cue(h),
            }
            for h in self.headlines
        ]

    def cue(self, headline: Headline) -> Cue | None:
        """Return the better/worse cue of ``headline`` against the previous week (or None)."""
        moved, judged = headline.direction(), headline.judged()
        if moved is None or judged is None:
            return None
        if moved == 0:
            return Cue(ARROWS[0], self.text["cue_same"], "neutral")
        if judged == 0:
            word = self.text["cue_up" if moved > 0 else "cue_down"]
            return Cue(ARROWS[moved], word, "neutral")
        word, tone = ("cue_better", "better") if judged > 0 else ("cue_worse", "worse")
        return Cue(ARROWS[moved], self.text[word], tone)

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
    t = strings(lang)
    year, number, _ = data.first_day.isocalendar()
    subtitle = " · ".join(
        [
            t["period"].format(
                first=fmt_date(data.first_day, lang, year=False),
                last=fmt_date(data.last_day, lang),
            ),
            f"{t['source']} {data.source}",
            *scope_parts(data, t),
        ]
    )
    heads = headlines(data, t)
    drawn = figures(data, t, lang)
    sentences = narrative(data, lang)
    outlook_rows, surge_lines = outlook_lines(data.outlook, lang)
    return Report(
        data=data,
        lang=lang,
        title=t["title"].format(week=number, year=year),
        subtitle=subtitle,
        headlines=heads,
        sentences=sentences,
        charts=drawn,
        outlook_rows=outlook_rows,
        surge_lines=surge_lines,
        event_lines=event_lines(data.outlook.events, lang),
        text=t,
    )


def scope_parts(data: WeekData, t) -> list[str]:
    """Return what the report covers, for its subtitle: the regions, then any other filter
    (``Team: Billing, Sales``), then ``business hours`` when durations count those."""
    regions = ", ".join(data.filters.regions) if len(data.filters.regions) > 1 else data.region
    parts = [t["region"].format(region=regions or t["all_regions"])]
    for name, values in data.filters.chosen().items():
        if name != "regions":
            parts.append(t["filter"].format(filter=t["filters"][name], values=", ".join(values)))
    if data.filters.business_hours:
        parts.append(t["business_hours"])
    return parts


def headlines(data: WeekData, t: dict) -> list[Headline]:
    """Return the headline figures, labelled in the language of the strings ``t``.

    A figure whose input the source does not record is marked absent, with no value.
    """
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


def outlook_lines(outlook: Outlook, lang: str) -> tuple[list[dict], list[str]]:
    """Return next week's table rows (day, expected, interval, agents) and one line per surge.

    Both empty when there is no forecast.
    """
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
    surges = [surge_text(s, lang).lstrip(" ;") for _, s in outlook.surges.iterrows()]
    return rows, surges


def event_lines(calendar: pd.DataFrame, lang: str) -> list[str]:
    """Return one line per calendar event: ``when: name (region)``."""
    lines = []
    for row in calendar.itertuples():
        first = pd.Timestamp(row.starts_on).date()
        last = first if pd.isna(row.ends_on) else pd.Timestamp(row.ends_on).date()
        when = fmt_date(first, lang, year=False)
        if last != first:
            when += f" – {fmt_date(last, lang, year=False)}"
        where = "" if row.region in (None, "all") else f" ({row.region})"
        lines.append(strings(lang)["event"].format(when=when, event=f"{row.name}{where}"))
    return lines


def localise(fig: go.Figure, t: dict, title: str, y_title: str, x_title=None) -> go.Figure:
    """Return ``fig`` with its titles set and its trace names translated by ``t["traces"]``."""
    fig.update_layout(title_text=title, yaxis_title=y_title)
    if x_title:
        fig.update_layout(xaxis_title=x_title)
    for trace in fig.data:
        if trace.name in t["traces"]:
            trace.name = t["traces"][trace.name]
    return fig


def figures(data: WeekData, t: dict, lang: str = "en") -> dict[str, go.Figure]:
    """Return the report's charts by key, titled in the language of the strings ``t``.

    No first-response chart when the source records no first response.
    """
    volume = charts.volume_against_forecast(data.flow, data.forecast_before, lang=lang)
    trend = charts.response_time_trend(data.trend, "frt", data.events, lang=lang)
    backlog = data.backlog
    if "first_response" in data.missing:
        backlog = backlog.drop(columns="awaiting_first_response")
    backlog = charts.backlog_lines(backlog, data.events, lang=lang)
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
    found = {
        "volume": localise(volume, t, t["chart_volume"], t["y_tickets"]),
        "first_response": localise(trend, t, t["chart_trend"], t["y_hours"]),
        "backlog": localise(backlog, t, t["chart_backlog"], t["y_open"]),
        "movers": localise(
            charts.movers_bar(movers, lang=lang),
            t,
            t["chart_movers"],
            "",
            t["x_change"],
        ),
    }
    if "first_response" in data.missing:
        del found["first_response"]
    return {
        key: charts.plain_text(fig.update_layout(template="plotly_white"))
        for key, fig in found.items()
    }
