"""The report's summary: one function per sentence, each written from the numbers by fixed rules.

Each :class:`Sentence` keeps, in ``cites``, the raw values it states, so a
test can check them against the metric functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analytics.report.collect import WeekData
from analytics.report.text import (
    NBSP,
    agents_clause,
    fmt_date,
    fmt_hours,
    fmt_number,
    fmt_pct,
    fmt_signed,
    missing_line,
    strings,
)

# sentence -> the input it speaks of (analytics.coverage.INPUTS)
SENTENCE_NEEDS = {"flow": "resolution", "first_response": "first_response", "sla": "first_response"}


@dataclass(frozen=True)
class Sentence:
    """A narrative sentence and the figures it cites (raw values, before formatting)."""

    key: str
    text: str
    cites: dict = field(default_factory=dict)


def change(new, old, kind: str) -> float | None:
    """Return the change shown for a figure: points for a percentage (``kind="pct"``), else percent.

    None when either figure is unknown, or a percent change from zero.
    """
    if new is None or old is None:
        return None
    if kind == "pct":
        return new - old
    return None if old == 0 else 100.0 * (new - old) / old


def narrative(data: WeekData, lang: str = "en") -> list[Sentence]:
    """Return three to seven sentences written from the numbers by fixed rules.

    Each :class:`Sentence` keeps, in ``cites``, the raw values it states, so
    a test can check them against the metric functions.
    """
    written = [
        volume_sentence(data, lang),
        flow_sentence(data, lang),
        first_response_sentence(data, lang),
        sla_sentence(data, lang),
        quality_sentence(data, lang),
        year_on_year_sentence(data, lang),
        next_week_sentence(data, lang),
    ]
    return said_of_missing([s for s in written if s is not None], data, lang)


def volume_sentence(data: WeekData, lang: str) -> Sentence:
    """Return the sentence on tickets created against the week before, and what drove the change."""
    t = strings(lang)
    now, prev = data.now, data.previous
    pct = change(now.created, prev.created, "count")
    cites = {"created": now.created, "previous_created": prev.created, "created_change_pct": pct}
    numbers = {"created": fmt_number(now.created, lang), "previous": fmt_number(prev.created, lang)}
    if pct is None or round(pct) == 0:
        return Sentence("volume", t["volume_flat"].format(**numbers) + ".", cites)
    text = t["volume_up" if pct > 0 else "volume_down"].format(
        pct=fmt_pct(abs(pct), lang), **numbers
    )
    found = drivers(data.movers, 1 if pct > 0 else -1)
    if found:
        text += t["drivers"].format(
            drivers=t["and"].join(f"{v} ({fmt_signed(c, lang)})" for _, v, c in found)
        )
        for dimension, value, moved in found:
            cites[f"driver_{dimension}"] = value
            cites[f"driver_{dimension}_change"] = moved
    return Sentence("volume", text + ".", cites)


def drivers(movers: pd.DataFrame, direction: int) -> list[tuple[str, str, int]]:
    """Return the category and the region that moved most in the direction of the total.

    Each as ``(dimension, value, change)``; a dimension with no mover that way is left out.
    """
    out = []
    for dimension in ("category", "region"):
        rows = movers[(movers["dimension"] == dimension) & (movers["change"] * direction > 0)]
        if not rows.empty:
            row = rows.iloc[0]
            out.append((dimension, str(row["value"]), int(row["change"])))
    return out


def flow_sentence(data: WeekData, lang: str) -> Sentence:
    """Return the sentence on tickets resolved, the backlog's move and the days to clear it."""
    t = strings(lang)
    now, prev = data.now, data.previous
    moved = now.backlog_open - prev.backlog_open
    how = (
        t["grew"].format(n=fmt_number(moved, lang))
        if moved > 0
        else t["shrank"].format(n=fmt_number(-moved, lang))
        if moved < 0
        else t["held"]
    )
    text = t["flow"].format(
        resolved=fmt_number(now.resolved, lang),
        moved=how,
        backlog=fmt_number(now.backlog_open, lang),
    )
    cites = {"resolved": now.resolved, "backlog_open": now.backlog_open, "backlog_change": moved}
    days = data.clear["days_to_clear"]
    if days is not None:
        text += t["clear"].format(days=fmt_number(days, lang, 1))
        cites["days_to_clear"] = days
    return Sentence("flow", text + ".", cites)


def first_response_sentence(data: WeekData, lang: str) -> Sentence | None:
    """Return the sentence on the median and p90 first response (None when there is none)."""
    t = strings(lang)
    now, prev = data.now, data.previous
    if now.frt_median_h is None:
        return None
    figures = {
        "median": fmt_hours(now.frt_median_h, lang),
        "target": f"{fmt_number(data.sla_target_hours, lang, 0)}{NBSP}h",
        "p90": fmt_hours(now.frt_p90_h, lang),
    }
    cites = {
        "frt_median_h": now.frt_median_h,
        "frt_p90_h": now.frt_p90_h,
        "sla_target_hours": data.sla_target_hours,
    }
    if prev.frt_median_h is None:
        return Sentence("first_response", t["frt_alone"].format(**figures) + ".", cites)
    a, b = round(now.frt_median_h, 1), round(prev.frt_median_h, 1)
    direction = t["up_from"] if a > b else t["down_from"] if a < b else t["same_as"]
    text = t["frt"].format(
        direction=direction, previous=fmt_hours(prev.frt_median_h, lang), **figures
    )
    cites["previous_frt_median_h"] = prev.frt_median_h
    return Sentence("first_response", text + ".", cites)


def sla_sentence(data: WeekData, lang: str) -> Sentence | None:
    """Return the sentence on SLA attainment and its change in points (None when there is none)."""
    t = strings(lang)
    now, prev = data.now, data.previous
    if now.sla_pct is None:
        return None
    cites = {"sla_pct": now.sla_pct}
    moved = t["pts_same"]
    if prev.sla_pct is not None:
        delta = now.sla_pct - prev.sla_pct
        n = fmt_number(abs(delta), lang, 1)
        shown = round(delta, 1)
        if shown > 0:
            moved = t["pts_up"].format(n=n)
        elif shown < 0:
            moved = t["pts_down"].format(n=n)
        cites["sla_change_pts"] = delta
    text = t["sla"].format(sla=fmt_pct(now.sla_pct, lang, 1), change=moved)
    return Sentence("sla", text + ".", cites)


# quality rate -> whether a higher rate is better
QUALITY_RATES = {"reopen_rate_pct": False, "one_touch_pct": True, "csat_pct": True}


def quality_sentence(data: WeekData, lang: str) -> Sentence | None:
    """Return the sentence on reopens, one-touch resolution and CSAT against the week before.

    A rate the data lacks (None this week) is left out of the sentence; None
    when it lacks all three. Rates compare in points, rounded to one decimal
    as shown, with a word saying whether the change is better or worse.
    """
    t = strings(lang)
    now = data.quality
    if now is None:
        return None
    before = now.previous
    clauses, cites = [], {}
    for key, higher_is_better in QUALITY_RATES.items():
        value = getattr(now, key)
        if value is None:
            continue
        clause = t[f"quality_{key}"].format(
            value=fmt_pct(value, lang, 1), rated=fmt_number(now.rated, lang)
        )
        cites[key] = value
        old = None if before is None else getattr(before, key)
        if old is not None:
            a, b = round(value, 1), round(old, 1)
            word = (
                "quality_same"
                if a == b
                else ("quality_better" if (a > b) == higher_is_better else "quality_worse")
            )
            clause += t[word].format(previous=fmt_pct(old, lang, 1))
            cites[f"previous_{key}"] = old
        clauses.append(clause)
    if not clauses:
        return None
    if "csat_pct" in cites:
        cites["rated"] = now.rated
    return Sentence(
        "quality", t["quality"].format(clauses=t["quality_join"].join(clauses)) + ".", cites
    )


def year_on_year_sentence(data: WeekData, lang: str) -> Sentence | None:
    """Return the sentence comparing tickets created with the same week last year (or None)."""
    t = strings(lang)
    ly = data.last_year
    if ly is None or not ly.created:
        return None
    pct = change(data.now.created, ly.created, "count")
    said = {"week": data.last_year_week, "created": fmt_number(ly.created, lang)}
    if round(pct) == 0:
        text = t["yoy_level"].format(**said)
    else:
        key = "yoy_up" if pct > 0 else "yoy_down"
        direction = t[key].format(pct=fmt_pct(abs(pct), lang))
        text = t["yoy"].format(direction=direction, **said)
    cites = {"last_year_created": ly.created, "yoy_pct": pct}
    return Sentence("year_on_year", text + ".", cites)


def next_week_sentence(data: WeekData, lang: str) -> Sentence | None:
    """Return the sentence on next week's forecast, first surge and peak staffing (or None)."""
    t = strings(lang)
    fc = data.outlook.forecast
    if fc is None or fc.empty:
        return None
    total, lo, hi = (float(fc[c].sum()) for c in ("mean", "lo80", "hi80"))
    text = t["next"].format(
        total=fmt_number(total, lang), lo=fmt_number(lo, lang), hi=fmt_number(hi, lang)
    )
    cites = {"forecast_total": total, "forecast_lo80": lo, "forecast_hi80": hi}
    if not data.outlook.surges.empty:
        surge = data.outlook.surges.iloc[0]
        text += surge_text(surge, lang)
        cites |= {"surge_expected": float(surge["expected"])}
    agents = [a for a in fc.get("agents", []) if a is not None]
    if agents:
        text += agents_clause(max(agents), lang)
        cites["agents_max"] = max(agents)
    return Sentence("next_week", text + ".", cites)


def surge_text(surge: pd.Series, lang: str) -> str:
    """Return the clause on one surge, with its leading ``"; "`` as it follows a sentence."""
    return strings(lang)["next_surge"].format(
        when=surge_when(surge, lang),
        expected=fmt_number(surge["expected"], lang),
        capacity=fmt_number(surge["capacity"], lang),
        confidence=fmt_pct(100 * surge["confidence"], lang),
    )


def surge_when(surge: pd.Series, lang: str) -> str:
    """Return when a surge runs: ``on Tuesday 11 March`` or ``from ... to ...``."""
    t = strings(lang)
    first, last = pd.Timestamp(surge["start"]).date(), pd.Timestamp(surge["end"]).date()
    if first == last:
        return t["surge_when_one"].format(day=fmt_date(first, lang, year=False))
    return t["surge_when_many"].format(
        first=fmt_date(first, lang, year=False), last=fmt_date(last, lang, year=False)
    )


def said_of_missing(sentences: list[Sentence], data: WeekData, lang: str) -> list[Sentence]:
    """Return ``sentences`` without those on inputs the source lacks, and one line on each.

    An SLA of 0 % from a source that records no first response is not a
    failure to report: the figure does not exist.
    """
    kept = [s for s in sentences if SENTENCE_NEEDS.get(s.key) not in data.missing]
    said = [
        Sentence(f"missing_{name}", missing_line(name, reason, lang).rstrip(".") + ".")
        for name, reason in data.missing.items()
    ]
    return kept[:1] + said + kept[1:]
