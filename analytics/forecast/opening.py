"""Opening hours: which hours of the week a desk is open, closed, or answers a trickle.

An hourly forecast is judged on the hours a desk is open. A closed hour (no
arrivals at all) is forecast as exactly 0 with a zero-width interval; a
trickle hour (a voice server that answers at night, a few e-mails at 3 am)
is forecast, but its errors neither choose the model nor calibrate the
intervals: a model that is good at predicting near-zeros would otherwise win.

The grid comes from a business-hours schedule named in the settings
(``[forecast.opening_hours]``), or is inferred from the last
:data:`OPENING_WEEKS` weeks of arrivals (:func:`infer_opening`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import i18n

CLOSED, TRICKLE, OPEN = 0, 1, 2
# Weeks of arrivals the inference reads: long enough that a quiet hour is seen
# eight times, short enough to follow a change of opening hours.
OPENING_WEEKS = 8
# An hour whose mean arrivals stay under this share of the busiest hour's is a
# trickle: at a tenth of the peak, the hour carries too little of the week to
# staff for, and its errors say nothing about how well the open hours are forecast.
TRICKLE_SHARE = 0.1
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class OpeningHours:
    """The state of each hour of the week: ``grid[weekday][hour]`` is :data:`CLOSED`,
    :data:`TRICKLE` or :data:`OPEN` (weekday 0 = Monday), and where it came from
    (``"inferred"`` or the schedule's name)."""

    grid: tuple[tuple[int, ...], ...]
    source: str = "inferred"

    def states(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Return the state of each hour of ``index``."""
        grid = np.asarray(self.grid)
        return grid[index.day_of_week.to_numpy(), index.hour.to_numpy()]

    def is_open(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Return True on the open hours of ``index``."""
        return self.states(index) == OPEN

    @property
    def always_open(self) -> bool:
        """True when every hour of the week is open (a 24/7 desk)."""
        return all(state == OPEN for day in self.grid for state in day)

    def opening_hour(self, weekday: int) -> int | None:
        """Return the first open hour of ``weekday`` (0 = Monday), None on a closed day."""
        found = [h for h, state in enumerate(self.grid[weekday]) if state == OPEN]
        return found[0] if found else None

    def describe(self, lang: str = "en") -> str:
        """Return the open hours as people write them: ``"Mon-Fri 08-18, Sat 09-12"``
        (``"lun.-ven. 08-18"`` in French)."""
        names = DAY_NAMES if lang == "en" else i18n.weekday_names(lang, short=True)
        spans = [_day_spans(day) for day in self.grid]
        if all(s == "00-24" for s in spans):
            return i18n.gettext(lang, "every day, around the clock")
        parts, start = [], 0
        for d in range(1, 8):
            if d == 7 or spans[d] != spans[start]:
                if spans[start]:
                    days = names[start] + (f"-{names[d - 1]}" if d - 1 > start else "")
                    parts.append(f"{days} {spans[start]}")
                start = d
        return ", ".join(parts) or i18n.gettext(lang, "never open")


def _day_spans(day: tuple[int, ...]) -> str:
    """Return the open spans of one day as ``"08-12 13-18"`` ("" when closed)."""
    spans, start = [], None
    for h, state in enumerate([*day, CLOSED]):
        if state == OPEN and start is None:
            start = h
        elif state != OPEN and start is not None:
            spans.append(f"{start:02d}-{h:02d}")
            start = None
    return " ".join(spans)


def infer_opening(y: pd.Series) -> OpeningHours:
    """Return the opening hours seen in the last :data:`OPENING_WEEKS` weeks of the hourly
    counts ``y``: an hour of the week without a single arrival is closed, one whose mean
    stays under :data:`TRICKLE_SHARE` of the busiest hour's is a trickle, the rest open."""
    recent = y.iloc[-OPENING_WEEKS * 168 :]
    index = pd.DatetimeIndex(recent.index)
    table = np.zeros((7, 24))
    seen = np.zeros((7, 24))
    np.add.at(table, (index.day_of_week, index.hour), recent.to_numpy(dtype=float))
    np.add.at(seen, (index.day_of_week, index.hour), 1)
    mean = np.divide(table, seen, out=np.zeros_like(table), where=seen > 0)
    peak = mean.max()
    grid = np.where(table == 0, CLOSED, np.where(mean < TRICKLE_SHARE * peak, TRICKLE, OPEN))
    # An hour of the week the history never reached is taken as open: nothing says otherwise.
    grid[seen == 0] = OPEN
    return OpeningHours(tuple(tuple(int(s) for s in row) for row in grid))


def from_schedule(week: tuple[tuple[tuple[int, int], ...], ...], name: str, y: pd.Series):
    """Return the opening hours of a business-hours schedule (per weekday, its
    ``(start_minute, end_minute)`` intervals): an hour is open when any of its minutes
    is; outside them, an hour with arrivals in ``y`` is a trickle, one without is closed."""
    seen = infer_opening(y).grid
    grid = []
    for weekday, intervals in enumerate(week):
        row = []
        for h in range(24):
            inside = any(start < (h + 1) * 60 and end > h * 60 for start, end in intervals)
            row.append(OPEN if inside else (TRICKLE if seen[weekday][h] != CLOSED else CLOSED))
        grid.append(tuple(row))
    return OpeningHours(tuple(grid), name)
