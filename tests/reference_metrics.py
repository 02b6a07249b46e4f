"""The metrics of ``docs/metrics.md`` a second time, in plain pandas: the oracle.

Written from the definitions, not from the SQL. Durations are timestamp
differences (not the ``*_s`` columns the importer stores), business hours come
from :func:`analytics.business_hours.business_seconds` ticket by ticket (the
slow, obvious definition), and a backlog level at an instant ``t`` is counted
directly as "created at or before ``t`` and not done at ``t``" rather than
as a running sum of events. Hours follow the display time zone as real
hours: a DST change day has 23 or 25 of them.

The tests hold ``analytics.metrics`` to these functions; the benchmark times
them as the pandas path. Every function takes the frame of one source's
``tickets`` rows (:func:`load_tickets`) and an ``analytics.metrics.Selection``.

Example
-------
>>> ref = Reference(load_tickets(con, "sample"), load_settings())  # doctest: +SKIP
>>> ref.overview(selection)["created"]  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from analytics.business_hours import business_seconds
from analytics.settings import Settings

HOUR = 3600.0
DAY = 86400.0
TIMES = ("created_at", "first_response_at", "resolved_at", "closed_at")
FILTERS = (
    ("regions", "region"),
    ("teams", "team"),
    ("channels", "channel"),
    ("categories", "category"),
    ("priorities", "priority"),
)
FRT_BUCKETS = (("0-1 h", 1), ("1-4 h", 4), ("4-8 h", 8), ("8-24 h", 24), ("24 h+", np.inf))
AGE_BUCKETS = (
    ("< 1 day", 1),
    ("1-2 days", 2),
    ("2-3 days", 3),
    ("3-7 days", 7),
    ("7-14 days", 14),
    ("14 days+", np.inf),
)
MOVER_DIMENSIONS = ("region", "channel", "category")
CLEAR_WINDOW = pd.Timedelta(days=28)


def load_tickets(con, source: str) -> pd.DataFrame:
    """Return every ``tickets`` row of ``source``, times as UTC pandas timestamps."""
    frame = con.execute("select * from tickets where source = ?", [source]).df()
    for column in TIMES:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def load_ratings(con, source: str) -> pd.DataFrame:
    """Return ``ticket_id, csat_score`` of every ``ratings`` row of ``source``."""
    return con.execute("select ticket_id, csat_score from ratings where source = ?", [source]).df()


def _local_midnight(day: date, tz: str) -> pd.Timestamp:
    return pd.Timestamp(datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)))


def _hours(seconds: pd.Series | float | None):
    if isinstance(seconds, pd.Series):
        return seconds / HOUR
    return None if seconds is None or pd.isna(seconds) else seconds / HOUR


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return None if values.empty else float(values.quantile(0.5))


def _p90(values: pd.Series) -> float | None:
    values = values.dropna()
    return None if values.empty else float(values.quantile(0.9))


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


class Reference:
    """The metrics of one source's tickets, computed in pandas from the definitions.

    Parameters
    ----------
    tickets
        The source's ``tickets`` rows, as returned by :func:`load_tickets`.
    settings
        SLA targets and business-hours schedules.
    """

    def __init__(self, tickets: pd.DataFrame, settings: Settings) -> None:
        self.tickets = tickets
        self.settings = settings
        self._cohorts: dict = {}
        self._periods: dict = {}
        latest = tickets[list(TIMES)].max(axis=1)
        self.as_of = latest.max() if len(tickets) else None
        created = tickets["created_at"]
        # Done is the resolution, or the close when the export has no resolution.
        self.done_at = tickets["resolved_at"].fillna(tickets["closed_at"])
        # A ticket done "before" it was created is never in the backlog.
        done = self.done_at
        self._left_backlog = done.where(done.isna() | (done >= created), created)
        first_response = tickets["first_response_at"]
        awaiting_end = self._left_backlog.where(
            first_response.isna() | (first_response >= self._left_backlog), first_response
        )
        self._left_awaiting = awaiting_end.where(
            awaiting_end.isna() | (awaiting_end >= created), created
        )

    # --- the selection -----------------------------------------------------------------------

    def _mask(self, selection) -> pd.Series:
        mask = pd.Series(True, index=self.tickets.index)
        for attribute, column in FILTERS:
            values = getattr(selection, attribute)
            if values:
                mask &= self.tickets[column].isin(values)
        return mask

    def _cohort(self, selection) -> pd.DataFrame:
        """Tickets created in the period, with ``frt_s``, ``resolution_s``, ``age_s``, ``target_s``.

        ``age_s`` (time from creation to ``as_of``) is only computed where the
        SLA needs it, for tickets without a first response. ``misdated`` marks
        a first response recorded before creation: no FRT bucket, no SLA. Remembered per
        selection, because business hours are slow to count this way.
        """
        if selection not in self._cohorts:
            self._cohorts[selection] = self._compute_cohort(selection)
        return self._cohorts[selection].copy()

    def _compute_cohort(self, selection) -> pd.DataFrame:
        t = self.tickets
        mask = self._mask(selection)
        mask &= (t["created_at"] >= selection.start) & (t["created_at"] < selection.end)
        cohort = t[mask].copy()
        created = cohort["created_at"]
        frt = (cohort["first_response_at"] - created).dt.total_seconds()
        resolution = (cohort["resolved_at"] - created).dt.total_seconds()
        # A negative duration is a data error and counts as null.
        cohort["frt_s"] = frt.where(frt >= 0)
        cohort["resolution_s"] = resolution.where(resolution >= 0)
        # A first response recorded before creation was still a response: the
        # ticket is neither unanswered nor measurable, so it has no age either.
        unanswered = cohort["first_response_at"].isna()
        cohort["unanswered"] = unanswered
        cohort["misdated"] = ~unanswered & cohort["frt_s"].isna()
        cohort["age_s"] = np.nan
        if selection.business_hours:
            for column, end_column in (
                ("frt_s", "first_response_at"),
                ("resolution_s", "resolved_at"),
            ):
                cohort[column] = [
                    float(business_seconds(self._schedule(team), start, end))
                    if pd.notna(value)
                    else np.nan
                    for team, start, end, value in zip(
                        cohort["team"], created, cohort[end_column], cohort[column], strict=True
                    )
                ]
            cohort.loc[unanswered, "age_s"] = [
                float(business_seconds(self._schedule(team), start, self.as_of))
                for team, start in zip(
                    cohort.loc[unanswered, "team"], created[unanswered], strict=True
                )
            ]
        else:
            cohort.loc[unanswered, "age_s"] = (self.as_of - created[unanswered]).dt.total_seconds()
        targets = self.settings.sla_by_priority
        default = self.settings.sla_target_hours
        cohort["target_s"] = (
            cohort["priority"].map(dict(targets)).astype(float).fillna(default) * HOUR
        )
        cohort["met"] = cohort["frt_s"] <= cohort["target_s"]
        cohort["evaluated"] = cohort["frt_s"].notna() | (cohort["age_s"] > cohort["target_s"])
        return cohort

    def _schedule(self, team):
        name = self.settings.team_schedules.get(team, "default") if pd.notna(team) else "default"
        return self.settings.schedules[name]

    def _local(self, times: pd.Series, tz: str) -> pd.Series:
        return times.dt.tz_convert(tz)

    def _local_day(self, times: pd.Series, tz: str, grain: str = "day") -> pd.Series:
        """Return the local day (or the Monday of the local ISO week) as a naive timestamp."""
        day = times.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
        if grain == "week":
            day = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
        return day

    def _durations_by(self, cohort: pd.DataFrame, keys) -> pd.DataFrame:
        """Return count, medians and p90s of FRT and resolution (hours) per group of ``keys``."""
        hours = cohort[["frt_s", "resolution_s"]] / HOUR
        groups = hours.groupby(keys, sort=True)
        frame = pd.DataFrame(
            {
                "created": groups.size(),
                "answered": groups["frt_s"].count(),
                "frt_median_h": groups["frt_s"].median(),
                "frt_p90_h": groups["frt_s"].quantile(0.9),
                "resolution_median_h": groups["resolution_s"].median(),
                "resolution_p90_h": groups["resolution_s"].quantile(0.9),
            }
        )
        sla = cohort[["met", "evaluated"]].groupby(keys, sort=True).sum()
        frame["met"] = sla["met"]
        frame["evaluated"] = sla["evaluated"]
        frame["sla_pct"] = 100.0 * sla["met"] / sla["evaluated"].where(sla["evaluated"] > 0)
        return frame

    # --- backlog levels ----------------------------------------------------------------------

    def _levels(self, selection, instants) -> tuple[np.ndarray, np.ndarray]:
        """Return open and awaiting-first-response counts at each instant."""
        mask = self._mask(selection)
        created = np.sort(self.tickets.loc[mask, "created_at"].to_numpy("datetime64[ns]"))
        left = self._left_backlog[mask].dropna().to_numpy("datetime64[ns]")
        left_awaiting = self._left_awaiting[mask].dropna().to_numpy("datetime64[ns]")
        left.sort()
        left_awaiting.sort()
        points = np.asarray(
            pd.DatetimeIndex(instants).tz_convert("UTC").tz_localize(None), "datetime64[ns]"
        )
        arrived = np.searchsorted(created, points, side="right")
        return (
            arrived - np.searchsorted(left, points, side="right"),
            arrived - np.searchsorted(left_awaiting, points, side="right"),
        )

    def _days(self, selection) -> list[date]:
        tz = selection.tz
        first = pd.Timestamp(selection.start).tz_convert(tz).date()
        last = (pd.Timestamp(selection.end) - pd.Timedelta(microseconds=1)).tz_convert(tz).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def _real_hours(self, selection) -> pd.DatetimeIndex:
        """Every real hour of the period (a DST day has 23 or 25), as local start instants."""
        return pd.date_range(
            pd.Timestamp(selection.start).tz_convert("UTC"),
            pd.Timestamp(selection.end).tz_convert("UTC"),
            freq="h",
            inclusive="left",
        ).tz_convert(selection.tz)

    def backlog_at(self, selection, instant) -> tuple[int, int]:
        """Return (open, awaiting first response) at ``instant``."""
        opened, awaiting = self._levels(selection, [pd.Timestamp(instant)])
        return int(opened[0]), int(awaiting[0])

    def backlog_instant(self, selection) -> pd.Timestamp:
        """Return ``min(end, as_of)``, the instant of "backlog now"."""
        end = pd.Timestamp(selection.end)
        return end if self.as_of is None else min(end, self.as_of)

    # --- the metrics -------------------------------------------------------------------------

    def overview(self, selection) -> dict:
        """Return the overview figures, keyed like ``OverviewFigures``."""
        cohort = self._cohort(selection)
        mask = self._mask(selection)
        resolved = self.tickets.loc[mask, "resolved_at"]
        opened, awaiting = self.backlog_at(selection, self.backlog_instant(selection))
        return {
            "created": len(cohort),
            "resolved": int(((resolved >= selection.start) & (resolved < selection.end)).sum()),
            "frt_median_h": _hours(_median(cohort["frt_s"])),
            "frt_p90_h": _hours(_p90(cohort["frt_s"])),
            "resolution_median_h": _hours(_median(cohort["resolution_s"])),
            "sla_pct": _pct(int(cohort["met"].sum()), int(cohort["evaluated"].sum())),
            "sla_evaluated": int(cohort["evaluated"].sum()),
            "backlog_open": opened,
            "backlog_awaiting_first_response": awaiting,
        }

    def daily_flow(self, selection) -> pd.DataFrame:
        """Return ``day, created, resolved, backlog`` per local day."""
        tz = selection.tz
        days = self._days(selection)
        mask = self._mask(selection)
        t = self.tickets[mask]
        in_period = (t["created_at"] >= selection.start) & (t["created_at"] < selection.end)
        created = self._local_day(t.loc[in_period, "created_at"], tz).value_counts()
        solved = (t["resolved_at"] >= selection.start) & (t["resolved_at"] < selection.end)
        resolved = self._local_day(t.loc[solved, "resolved_at"], tz).value_counts()
        ends = [_local_midnight(d + timedelta(days=1), tz) for d in days]
        opened, _ = self._levels(selection, ends)
        index = pd.DatetimeIndex(days)
        return pd.DataFrame(
            {
                "day": index,
                "created": created.reindex(index, fill_value=0).to_numpy(),
                "resolved": resolved.reindex(index, fill_value=0).to_numpy(),
                "backlog": opened.astype(int),
            }
        )

    def movers(self, selection) -> pd.DataFrame:
        """Return ``dimension, value, current, previous, change`` by largest change."""
        previous = selection.previous()
        mask = self._mask(selection)
        t = self.tickets[mask]
        current_rows = t[(t["created_at"] >= selection.start) & (t["created_at"] < selection.end)]
        previous_rows = t[(t["created_at"] >= previous.start) & (t["created_at"] < previous.end)]
        rows = []
        for dimension in MOVER_DIMENSIONS:
            now = current_rows[dimension].fillna("(none)").value_counts()
            before = previous_rows[dimension].fillna("(none)").value_counts()
            for value in sorted(set(now.index) | set(before.index)):
                a, b = int(now.get(value, 0)), int(before.get(value, 0))
                rows.append((dimension, value, a, b, a - b))
        frame = pd.DataFrame(rows, columns=["dimension", "value", "current", "previous", "change"])
        frame["size"] = frame["change"].abs()
        frame = frame.sort_values(["size", "dimension", "value"], ascending=[False, True, True])
        return frame.drop(columns="size").reset_index(drop=True)

    def _by_period(self, selection, grain: str) -> pd.DataFrame:
        """Return :meth:`_durations_by` local day or ISO week, remembered per selection.

        The trend and the weekly SLA share it, as the page's weekly trend
        serves both charts (so the benchmark's pandas path does not group twice).
        """
        key = (selection, grain)
        if key not in self._periods:
            cohort = self._cohort(selection)
            period = self._local_day(cohort["created_at"], selection.tz, grain).rename("period")
            self._periods[key] = self._durations_by(cohort, period).reset_index()
        return self._periods[key].copy()

    def response_time_trend(self, selection, grain: str = "day") -> pd.DataFrame:
        """Return median/p90 first response and resolution hours per local day or ISO week."""
        frame = self._by_period(selection, grain)
        columns = ["period", "created", "answered", "frt_median_h", "frt_p90_h"]
        return frame[columns + ["resolution_median_h", "resolution_p90_h"]]

    def response_time_buckets(self, selection) -> pd.DataFrame:
        """Return ``bucket, tickets, share_pct`` (0-1 h ... 24 h+, not answered)."""
        cohort = self._cohort(selection)
        cohort = cohort[~cohort["misdated"]]
        frt_h = cohort["frt_s"] / HOUR
        rows, lower = [], 0.0
        for label, upper in FRT_BUCKETS:
            rows.append((label, int(((frt_h >= lower) & (frt_h < upper)).sum())))
            lower = upper
        rows.append(("not answered", int(cohort["unanswered"].sum())))
        total = sum(n for _, n in rows)
        return pd.DataFrame(
            [(label, n, _pct(n, total)) for label, n in rows],
            columns=["bucket", "tickets", "share_pct"],
        )

    def response_time_breakdown(self, selection, dimension: str) -> pd.DataFrame:
        """Return ``value, created, frt_median_h, frt_p90_h, resolution_median_h, sla_pct``."""
        cohort = self._cohort(selection)
        value = cohort[dimension].fillna("(none)").rename("value")
        frame = self._durations_by(cohort, value).reset_index()
        frame = frame.sort_values(["created", "value"], ascending=[False, True])
        columns = ["value", "created", "frt_median_h", "frt_p90_h", "resolution_median_h"]
        return frame[columns + ["sla_pct"]].reset_index(drop=True)

    def sla_weekly(self, selection) -> pd.DataFrame:
        """Return ``week, met, evaluated, sla_pct`` per local ISO week (cohort)."""
        frame = self._by_period(selection, "week").rename(columns={"period": "week"})
        return frame[["week", "met", "evaluated", "sla_pct"]]

    def slowest_tickets(self, selection, limit: int = 100) -> pd.DataFrame:
        """Return the ``limit`` tickets that waited longest (unanswered: their age so far)."""
        cohort = self._cohort(selection)
        cohort = cohort[~cohort["misdated"]].copy()
        cohort["wait_h"] = cohort["frt_s"].fillna(cohort["age_s"]) / HOUR
        cohort["resolution_h"] = cohort["resolution_s"] / HOUR
        cohort = cohort.sort_values(
            ["wait_h", "ticket_id"], ascending=[False, True], na_position="last"
        )
        columns = ["ticket_id", "unanswered", "wait_h", "resolution_h"]
        return cohort[columns].head(limit).reset_index(drop=True)

    def backlog_series(self, selection, grain: str = "day") -> pd.DataFrame:
        """Return ``bucket, open, awaiting_first_response`` at the end of each local hour or day.

        ``bucket`` is the local start of the hour or day (time-zone aware).
        """
        if grain == "day":
            starts = [_local_midnight(d, selection.tz) for d in self._days(selection)]
            ends = starts[1:] + [
                _local_midnight(self._days(selection)[-1] + timedelta(1), selection.tz)
            ]
        else:
            starts = list(self._real_hours(selection))
            ends = [s + pd.Timedelta(hours=1) for s in starts]
        opened, awaiting = self._levels(selection, ends)
        return pd.DataFrame(
            {"bucket": starts, "open": opened.astype(int), "awaiting_first_response": awaiting}
        )

    def weekday_hour_heatmap(self, selection) -> pd.DataFrame:
        """Return ``weekday (1=Mon), hour, arrivals_mean, backlog_mean, frt_median_h``."""
        hours = self._real_hours(selection)
        opened, _ = self._levels(selection, hours + pd.Timedelta(hours=1))
        slots = (
            pd.DataFrame({"weekday": hours.day_of_week + 1, "hour": hours.hour, "open": opened})
            .groupby(["weekday", "hour"])["open"]
            .agg(["size", "mean"])
        )
        cohort = self._cohort(selection)
        local = self._local(cohort["created_at"], selection.tz)
        arrivals = (cohort["frt_s"] / HOUR).groupby(
            [(local.dt.day_of_week + 1).rename("weekday"), local.dt.hour.rename("hour")]
        )
        counts = arrivals.size().reindex(slots.index, fill_value=0)
        frame = pd.DataFrame(
            {
                "arrivals_mean": counts / slots["size"],
                "backlog_mean": slots["mean"],
                "frt_median_h": arrivals.median().reindex(slots.index),
            }
        )
        return frame.reset_index()

    def backlog_age(self, selection) -> pd.DataFrame:
        """Return ``age, open, awaiting_first_response`` at ``min(end, as_of)``."""
        at = self.backlog_instant(selection)
        t = self.tickets[self._mask(selection)]
        done = self.done_at[t.index]
        open_now = (t["created_at"] <= at) & (done.isna() | (done > at))
        t = t[open_now]
        age_days = (at - t["created_at"]).dt.total_seconds() / DAY
        awaiting = t["first_response_at"].isna() | (t["first_response_at"] > at)
        rows, lower = [], 0.0
        for label, upper in AGE_BUCKETS:
            inside = (age_days >= lower) & (age_days < upper)
            rows.append((label, int(inside.sum()), int((inside & awaiting).sum())))
            lower = upper
        return pd.DataFrame(rows, columns=["age", "open", "awaiting_first_response"])

    def days_to_clear(self, selection) -> dict:
        """Return ``backlog_open``, ``resolved_per_day`` and ``days_to_clear``."""
        at = self.backlog_instant(selection)
        opened, _ = self.backlog_at(selection, at)
        done = self.done_at[self._mask(selection)]
        per_day = int(((done > at - CLEAR_WINDOW) & (done <= at)).sum()) / 28
        return {
            "backlog_open": opened,
            "resolved_per_day": per_day,
            "days_to_clear": opened / per_day if per_day else None,
        }

    # --- quality -----------------------------------------------------------------------------

    def _resolved_in(self, selection, start, end, ratings: pd.DataFrame) -> pd.DataFrame:
        """The selected tickets resolved in [start, end), with their ``csat_score`` (or NaN)."""
        t = self.tickets[self._mask(selection)]
        t = t[(t["resolved_at"] >= start) & (t["resolved_at"] < end)]
        scores = ratings.set_index("ticket_id")["csat_score"]
        return t.assign(csat_score=t["ticket_id"].map(scores))

    def quality(self, selection, ratings: pd.DataFrame) -> dict:
        """Return the quality figures of the period and the one before, keyed like ``QualityFigures``.

        ``ratings`` is the source's :func:`load_ratings`. A ticket whose
        input is unknown (NaN) is in neither the numerator nor the denominator.
        """
        previous = selection.previous()
        selected = self.tickets.loc[self._mask(selection), "ticket_id"]
        # No selected ticket ever rated: the export has no ratings, not unanswered surveys.
        has_ratings = bool(selected.isin(ratings["ticket_id"]).any())
        figures = self._quality_of(
            self._resolved_in(selection, selection.start, selection.end, ratings), has_ratings
        )
        figures["previous"] = self._quality_of(
            self._resolved_in(selection, previous.start, selection.start, ratings), has_ratings
        )
        figures["previous"]["previous"] = None
        return figures

    def _quality_of(self, t: pd.DataFrame, has_ratings: bool) -> dict:
        reopens, replies, score = t["reopens"], t["replies"], t["csat_score"]
        known_reopens, known_replies = reopens.notna(), replies.notna()
        both = known_reopens & known_replies
        rated = score.notna()
        counts = {
            "resolved": len(t),
            "reopens_known": int(known_reopens.sum()),
            "reopened": int((reopens[known_reopens] >= 1).sum()),
            "replies_known": int(known_replies.sum()),
            "one_touch": int((replies[known_replies] == 1).sum()),
            "first_contact_known": int(both.sum()),
            "first_contact": int(((replies[both] == 1) & (reopens[both] == 0)).sum()),
            "rated": int(rated.sum()),
            "good": int((score[rated] >= 75).sum()),
        }
        return {
            **counts,
            "reopen_rate_pct": _pct(counts["reopened"], counts["reopens_known"]),
            "one_touch_pct": _pct(counts["one_touch"], counts["replies_known"]),
            "first_contact_pct": _pct(counts["first_contact"], counts["first_contact_known"]),
            "csat_pct": _pct(counts["good"], counts["rated"]),
            "csat_response_pct": _pct(counts["rated"], counts["resolved"]) if has_ratings else None,
        }

    def csat_by_response_bucket(self, selection, ratings: pd.DataFrame) -> pd.DataFrame:
        """Return ``bucket, rated, good, csat_pct`` over the rated tickets resolved in the period.

        Buckets as :meth:`response_time_buckets`, on the selection's clock.
        """
        t = self._resolved_in(selection, selection.start, selection.end, ratings)
        t = t[t["csat_score"].notna()]
        frt = (t["first_response_at"] - t["created_at"]).dt.total_seconds()
        if selection.business_hours:
            frt = pd.Series(
                [
                    float(business_seconds(self._schedule(team), start, end))
                    if pd.notna(end) and end >= start
                    else np.nan
                    for team, start, end in zip(
                        t["team"], t["created_at"], t["first_response_at"], strict=True
                    )
                ],
                index=t.index,
            )
        frt_h = frt.where(frt >= 0) / HOUR
        good = t["csat_score"] >= 75
        rows, lower = [], 0.0
        for label, upper in FRT_BUCKETS:
            inside = (frt_h >= lower) & (frt_h < upper)
            rows.append((label, int(inside.sum()), int((inside & good).sum())))
            lower = upper
        unanswered = t["first_response_at"].isna()
        rows.append(("not answered", int(unanswered.sum()), int((unanswered & good).sum())))
        return pd.DataFrame(
            [(label, n, g, _pct(g, n)) for label, n, g in rows],
            columns=["bucket", "rated", "good", "csat_pct"],
        )
