"""Forecast accuracy and speed on the sample, the UCI log and real call-centre series.

The series: the built-in sample, the UCI ServiceNow log, and real call-centre and
311 series (``realseries.py``).

Daily (the stores' series, the bank's calls of 1999 and New York's 311 requests of
2016-2018), at 7 and 28 days: the backtest (26 scored rolling origins where the
history allows, else as many as it does), the chosen model's MASE against seasonal
naive's, the 80%/95% coverage of the calibrated intervals (each origin calibrated
on earlier origins only) and of the models' own, per-model fit times, and Prophet
(with the same holidays) on the same series and origins when it is installed
(``benchmarks/requirements.txt``); the series where the chosen model is not 15%
better than seasonal naive; the wall time of one full daily backtest.

Hourly (the bank's year, and its windows ending 31 March, 30 June and 20 October
with the autumn holidays, Ottawa's 311 summer of 2014, the sample's total), 48
hours ahead at 20 origins, on the open hours the backtest scores: the chosen
model's MASE relative to seasonal naive's, its calibrated coverage, the same-day
update's gain at 10:00 and its ceiling, the wall time of ``fit_series``,
Prophet's MAE relative to seasonal naive's and its coverage on the same hours,
flags where the chosen model falls short, and its error by hour of day.

    python benchmarks/bench_forecast.py [--quick] [--no-prophet]
        [--only {daily,hourly,all}] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# Small matrices: BLAS threads only fight each other on a shared 2-core machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import realseries  # noqa: E402
from common import OUT, ROOT, table  # noqa: E402

from analytics import events, forecast, ingest, metrics, store  # noqa: E402
from analytics.settings import load_settings  # noqa: E402

UCI = ROOT.parent / "shared" / "realdata" / "uci_servicenow_incidents" / "incident_event_log.zip"
# Scored origins per series (the issue asks for at least 8): half a year of weekly
# origins, or 26 days of hourly ones. 8 x 7 days left a per-series coverage with a
# sampling error of about 5 points; shorter histories (the UCI log) score fewer.
SCORED_ORIGINS = 26
# The local hour at which the same-day update is scored: a manager's 10:00 (three hours
# after a 07:00 opening, ten into a desk open around the clock).
SAME_DAY_CLOCK = 10
# The history the app gives an hourly forecast.
HOURLY_HISTORY_H = forecast.data.HOURLY_HISTORY_H
# Scored days of the hourly backtest, each 48 hours ahead.
HOURLY_ORIGINS = 20


def sample_store() -> Path:
    """The default sample (3 years, scale 1), simulated and imported once."""
    from analytics.sample import write_sample

    path = OUT / "forecast_sample.duckdb"
    if not path.exists():
        files = write_sample(OUT / "forecast_sample", years=3.0, scale=1.0)
        con = store.connect(path)
        ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
        events.import_events_csv(con, files.events_csv)
        con.close()
    return path


def uci_store() -> Path:
    path = OUT / "forecast_uci.duckdb"
    if not path.exists():
        con = store.connect(path)
        ingest.import_file(con, UCI, settings=load_settings())
        con.close()
    return path


def busy(y: pd.Series, freq: str) -> pd.Series:
    """Return ``y`` without the ramp-up and the trickle outside the log's active months.

    The UCI log has a few stragglers for months after its last busy week.
    """
    weekly = y.rolling(forecast.SEASON[freq], min_periods=1).sum()
    first = np.flatnonzero(weekly.to_numpy() >= 0.1 * weekly.max())[0]
    # The end is the last period with a tenth of a busy week's average: a trailing
    # weekly sum stays high for six days after the log's last busy day.
    last = np.flatnonzero(y.to_numpy() >= 0.1 * weekly.max() / forecast.SEASON[freq])[-1]
    return y.iloc[first : last + 1]


def series(con, source: str, freq: str, by: str, tz: str, countries: tuple[str, ...] = ()):
    """Yield (name, y, holidays, events, countries) for the total and each value of ``by``.

    ``countries`` overrides the settings' holiday countries for every series.

    Hourly series end where the daily total's active months end: the hourly
    history is the eight weeks before the end, and on the UCI log the eight
    weeks before its last straggler hold three tickets a day.
    """
    settings = load_settings()
    span = metrics.source_span(con, source)
    first, last = span.first_created_at.astimezone().date(), span.as_of.date()
    if freq == "H":
        daily = next(series(con, source, "D", "total", tz, countries))[1]
        last = daily.index[-1].date()
    start, end = metrics.period(first, last, tz)
    selection = metrics.Selection(source, start, end, tz=tz)
    frame = forecast.history(con, selection, freq, by, settings)
    for name in forecast.series_names(con, selection, freq, by, settings)[:5]:
        one = frame[frame["series"] == name]
        y = pd.Series(
            one["created"].to_numpy(dtype=float),
            index=pd.DatetimeIndex(one["period"]).tz_localize(None),
        ).asfreq("D" if freq == "D" else "h", fill_value=0.0)
        y = busy(y, freq)
        first, last = y.index[0].date(), date(y.index[-1].year + 1, 12, 31)
        codes = countries or (
            (settings.forecast.region_holidays.get(name) if by == "region" else None)
            or settings.forecast.default_holidays
        )
        hol = forecast.holiday_days(codes, first, last)
        ev = forecast.calendar_events(con, name, by, selection.source)
        yield name, y, hol, ev, codes


def prophet_backtest(y: pd.Series, horizon: int, origins: list[int], days, freq: str) -> dict:
    """Prophet on the same scored origins: MASE, coverage of its own 80% and 95%
    intervals, fit seconds per origin. It gets the same holidays as our models
    (``days``: date -> name), each with its own effect."""
    m = forecast.SEASON[freq]
    ase, in80, in95, fit_s = [], [], [], []
    for cut in origins:
        train = y.iloc[:cut]
        pred = realseries.prophet_forecast(train, horizon, freq, days)
        fit_s.append(pred.attrs["fit_s"])
        actual = y.iloc[cut : cut + horizon].to_numpy()
        scale = max(float(np.mean(np.abs(train.to_numpy()[m:] - train.to_numpy()[:-m]))), 0.1)
        ase += list(np.abs(actual - pred["mean"].to_numpy()) / scale)
        in80 += list((pred["lo80"].to_numpy() <= actual) & (actual <= pred["hi80"].to_numpy()))
        in95 += list((pred["lo95"].to_numpy() <= actual) & (actual <= pred["hi95"].to_numpy()))
    return {"mase": float(np.mean(ase)), "coverage80": float(np.mean(in80)),
            "coverage95": float(np.mean(in95)), "fit_s": float(np.mean(fit_s))}  # fmt: skip


def chosen_beforehand(fit, y: pd.Series, freq: str, horizon: int, hol, ev) -> list[str]:
    """Return the model a backtest ending at the first scored origin would have chosen,
    and its MASE against seasonal naive's on the scored origins.

    The chosen model's own score is the best of several on the same origins,
    which flatters it; a choice made on earlier data does not.
    """
    first = int(fit.predictions["origin"].min())
    early = forecast.fit_series(y.iloc[:first], freq, horizon, 8, holidays=hol, events=ev)
    sc = fit.scores.set_index("model")
    model = early.chosen if early.chosen in sc.index else "seasonal_naive"
    return [model, f"{sc.loc[model, 'relative_mase'] - 1:+.0%}"]


def full_backtest_seconds(y: pd.Series, hol, ev, runs: int = 3) -> dict[int, float]:
    """Median wall seconds of one whole ``fit_series`` (all models, 8 scored origins and
    the calibration origins, final fits) on a daily series, at 7 and 28 days."""
    out = {}
    for horizon in (7, 28):
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            forecast.fit_series(y, "D", horizon, 8, holidays=hol, events=ev)
            times.append(time.perf_counter() - began)
        out[horizon] = float(np.median(times))
    return out


def pct(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.2f}"


@dataclass
class DailyTables:
    """The daily section's rows, filled series by series."""

    chosen: list[list[str]] = field(default_factory=list)
    models: list[list[str]] = field(default_factory=list)
    misses: list[list[str]] = field(default_factory=list)
    coverage: list[tuple[int, float, float]] = field(default_factory=list)
    timing: dict[int, float] = field(default_factory=dict)


def store_datasets() -> list[tuple]:
    """Return (label, store, source, time zone, split, holiday codes) of each store."""
    datasets = [("sample", sample_store(), "sample", "Europe/Paris", "region", ())]
    if UCI.exists():
        # The UCI log comes from a Brazilian company (University of Sao Paulo's
        # study): its dips fall on Good Friday, Tiradentes (21 April) and Corpus
        # Christi (26 May 2016, an optional day of the federal calendar, a holiday
        # in Sao Paulo and most cities), so Brazil's optional days count too.
        datasets.append(
            ("UCI ServiceNow", uci_store(), "incident_event_log", "UTC", "category",
             ("BR:optional",))
        )  # fmt: skip
    return datasets


def daily_inputs(quick: bool) -> Iterator[tuple]:
    """Yield (label, name, y, holidays as date -> name, events) of each daily series:
    the stores' (their totals only when ``quick``), then the real ones in memory."""
    for label, path, source, tz, by, countries in store_datasets():
        con = store.connect(path, read_only=True)
        try:
            split = "total" if quick else by
            for name, y, _, ev, codes in series(con, source, "D", split, tz, countries):
                # The span of series()'s holidays, with names for Prophet.
                last = date(y.index[-1].year + 1, 12, 31)
                yield label, name, y, forecast.holiday_calendar(codes, y.index[0].date(), last), ev
        finally:
            con.close()
    for real in realseries.daily_series():
        yield "real", real.name, real.y, real.calendar, None


def prophet_cells(y: pd.Series, horizon: int, fit, days: dict, naive_mase: float) -> list[str]:
    scored = sorted(fit.predictions["origin"].unique())
    p = prophet_backtest(y, horizon, scored, days, "D")
    return [f"{p['mase']:.3f}", f"{p['mase'] / naive_mase - 1:+.0%}", pct(p["coverage80"]),
            pct(p["coverage95"]), f"{p['fit_s']:.2f}"]  # fmt: skip


def daily_fit(tables: DailyTables, label: str, name: str, y: pd.Series, days: dict, ev,
              has_prophet: bool) -> None:  # fmt: skip
    """Backtest one daily series at 7 and 28 days (and Prophet) into ``tables``."""
    hol, title, per_model = set(days), f"{name} ({len(y)} days)", {}
    for k, horizon in enumerate((7, 28)):
        began = time.perf_counter()
        fit = forecast.fit_series(
            y, "D", horizon, SCORED_ORIGINS, holidays=hol, events=ev, name=name
        )
        wall = time.perf_counter() - began
        sc = fit.scores.set_index("model")
        best, naive = sc.loc[fit.chosen], sc.loc["seasonal_naive", "mase"]
        ahead, vs_naive = f"{horizon}d", f"{best['relative_mase'] - 1:+.0%}"
        row = [
            label, title, ahead, str(fit.origins), fit.chosen, f"{best['mase']:.3f}",
            f"{naive:.3f}", vs_naive, pct(best["coverage80"]), pct(best["coverage95"]),
            pct(best["raw_coverage80"]), pct(best["raw_coverage95"]),
            f"{best['calibrated']:.0%}", f"{wall:.1f}",
            *chosen_beforehand(fit, y, "D", horizon, hol, ev),
        ]  # fmt: skip
        if has_prophet:
            row += prophet_cells(y, horizon, fit, days, naive)
        tables.chosen.append(row)
        print(" | ".join(row), file=sys.stderr, flush=True)
        if best["relative_mase"] > 0.85:
            tables.misses.append([label, title, ahead, fit.chosen, vs_naive])
        for r in fit.scores.itertuples():
            cells = per_model.setdefault(r.model, [""] * 10)
            cells[5 * k : 5 * k + 5] = [
                pct(r.mase), pct(r.relative_mase), pct(r.coverage80),
                pct(r.coverage95), f"{r.fit_s:.3f}",
            ]  # fmt: skip
        tables.coverage.append((horizon, best["coverage80"], best["coverage95"]))
    for model, cells in per_model.items():
        tables.models.append([label, title, model, *cells])
    if label == "sample" and name == "total":
        tables.timing = full_backtest_seconds(y, hol, ev)


def print_daily(tables: DailyTables, has_prophet: bool) -> None:
    headers = ["data", "series", "ahead", "origins", "chosen", "MASE", "naive MASE", "vs naive",
               "cov80", "cov95", "raw cov80", "raw cov95", "calibrated", "backtest s",
               "chosen earlier", "its vs naive"]  # fmt: skip
    if has_prophet:
        headers += ["prophet MASE", "prophet vs naive", "prophet cov80", "prophet cov95",
                    "prophet fit s"]  # fmt: skip
    print(f"Chosen model per daily series: backtest over up to {SCORED_ORIGINS} scored origins")
    print("(column origins). cov80/cov95: calibrated")
    print("intervals, each origin calibrated only on earlier origins' errors; raw: the model's own")
    print("intervals; calibrated: share of scored origins that had enough earlier errors;")
    print("chosen earlier: the choice of a backtest ending at the first scored origin, scored on")
    print("the scored origins (the chosen model's own score is the best of several on them).")
    print(table(headers, tables.chosen))
    print()
    print("Every model, daily (fit s: mean per origin, calibration origins included):")
    print(table(["data", "series", "model", "MASE 7d", "vs naive", "cov80", "cov95", "fit s",
                 "MASE 28d", "vs naive", "cov80", "cov95", "fit s"], tables.models))  # fmt: skip
    print()
    print("Coverage of the chosen models' calibrated intervals, pooled over daily series:")
    cov = pd.DataFrame(tables.coverage, columns=["horizon", "c80", "c95"])
    print(table(
        ["ahead", "series", "mean cov80", "within 75-85%", "mean cov95", "within 90-100%"],
        [[f"{h}d", len(g), f"{g.c80.mean():.3f}", f"{g.c80.between(0.75, 0.85).sum()}",
          f"{g.c95.mean():.3f}", f"{g.c95.between(0.90, 1.0).sum()}"]
         for h, g in cov.groupby("horizon", sort=False)],
    ))  # fmt: skip
    print()
    print("Chosen model not 15% better than seasonal naive:")
    print(table(["data", "series", "ahead", "chosen", "vs naive"], tables.misses)
          if tables.misses else "none")  # fmt: skip
    if tables.timing:
        print()
        print(
            "Full backtest of the sample's daily total (3 years, all models, 8 scored + "
            f"{forecast.CALIBRATION_ORIGINS} calibration origins, final fits), median of 3: "
            f"{tables.timing[7]:.1f} s at 7 days, {tables.timing[28]:.1f} s at 28 days"
        )


def hourly_inputs() -> list[tuple[realseries.RealSeries, pd.DataFrame | None]]:
    """Return the real hourly series (no calendar events) and the sample's hourly total."""
    out = [(real, None) for real in realseries.hourly_series()]
    con = store.connect(sample_store(), read_only=True)
    try:
        name, y, _, ev, codes = next(series(con, "sample", "H", "total", "Europe/Paris"))
    finally:
        con.close()
    days = forecast.holiday_calendar(codes, y.index[0].date(), date(y.index[-1].year + 1, 12, 31))
    out.append((realseries.RealSeries(f"sample {name}", y, set(days), days), ev))
    return out


def same_day_hours(fit) -> int:
    """Return the hours from the usual opening to :data:`SAME_DAY_CLOCK` (the opening hour
    most weekdays share)."""
    hours = [fit.opening.opening_hour(d) for d in range(7)]
    opening = pd.Series([h for h in hours if h is not None]).mode()
    return SAME_DAY_CLOCK - int(opening.iloc[0] if len(opening) else 0)


def hourly_fit(real: realseries.RealSeries, ev, rounds: int, has_prophet: bool):
    """Return the hourly table's row of one series and its chosen model's error by hour."""
    times = []
    y = real.y.iloc[-HOURLY_HISTORY_H:]
    for _ in range(rounds):
        began = time.perf_counter()
        fit = forecast.fit_series(
            y, "H", 48, HOURLY_ORIGINS, holidays=real.holidays, events=ev, name=real.name
        )
        times.append(time.perf_counter() - began)
        realseries.require_scored(fit.predictions)
    best = fit.scores.set_index("model").loc[fit.chosen]
    missing = {"gain": np.nan, "candidate_gain": np.nan, "oracle_gain": np.nan}
    update = forecast.update_backtest(fit, same_day_hours(fit)) or missing
    row = [real.name, f"{len(y)} h", str(fit.origins), fit.chosen,
           f"{best['relative_mase']:.2f}", pct(best["coverage80"]), pct(best["coverage95"]),
           f"{update['gain']:+.0%}", f"{update['candidate_gain']:+.0%}",
           f"{update['oracle_gain']:+.0%}",
           f"{np.median(times):.1f}"]  # fmt: skip
    if has_prophet:
        p = realseries.prophet_hourly(y, fit.predictions, real.calendar)
        row += [f"{p['relative_mae']:.2f}", pct(p["coverage80"]), pct(p["coverage95"]),
                f"{p['fit_s']:.1f}"]  # fmt: skip
    row.append(realseries.flags(best["relative_mase"], best["coverage80"], best["coverage95"]))
    print(" | ".join(row), file=sys.stderr, flush=True)
    return row, realseries.mase_by_hour(fit.predictions, fit.chosen, y.index)


def hourly_section(rounds: int, has_prophet: bool) -> None:
    rows, by_hour = [], {}
    for real, ev in hourly_inputs():
        row, by_hour[real.name] = hourly_fit(real, ev, rounds, has_prophet)
        rows.append(row)
    headers = ["series", "length", "origins", "chosen", "rel MASE", "cov80", "cov95",
               "same-day gain", "always", "level known", "wall s"]  # fmt: skip
    if has_prophet:
        headers += ["prophet rel MAE", "prophet cov80", "prophet cov95", "prophet fit s"]
    print()
    print(f"Hourly, 48 h ahead, {HOURLY_ORIGINS} scored origins, scored on open hours only:")
    print("rel MASE: the chosen model's MASE over seasonal naive's; cov80/cov95: its calibrated")
    clock = f"{SAME_DAY_CLOCK:02d}:00"
    print(f"intervals; same-day gain: the rest of the first day's error updated at {clock},")
    print("against the morning forecast's (positive: the update is better), applied once it")
    print("has beaten the morning on the days before; always: applied on every day; level")
    print("known: the gain had the rest of each day been scaled by its own actual busyness,")
    print("the ceiling of any update of the day's level;")
    print(f"wall s: one whole fit_series, median of {rounds}; prophet rel MAE:")
    print("Prophet's MAE over seasonal naive's on the same hours, cov: its own intervals;")
    print("flags: rel MASE over 0.85, cov80 outside 75-85%, cov95 outside 90-100%.")
    print(table([*headers, "flags"], rows))
    print()
    print("Chosen model by hour of day, scored hours: seasonal naive's MAE, and the chosen")
    print("model's MAE over it (blank: no scored hour).")
    cells = [[f"{hour:02d}"] for hour in range(24)]
    for frame in by_hour.values():
        for hour, r in enumerate(frame.itertuples()):
            cells[hour] += [pct(r.naive_mae), pct(r.ratio)]
    names = [h for name in by_hour for h in (f"{name} naive", "ratio")]
    print(table(["hour", *names], cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="daily totals only, no Prophet")
    parser.add_argument("--no-prophet", action="store_true", help="skip Prophet")
    parser.add_argument("--only", choices=("daily", "hourly", "all"), default="all")
    parser.add_argument("--rounds", type=int, default=1, help="hourly fit_series timings")
    args = parser.parse_args()
    try:
        import prophet  # noqa: F401

        has_prophet = not (args.quick or args.no_prophet)
    except ImportError:
        has_prophet = False
        print("prophet not installed: pip install -r benchmarks/requirements.txt", file=sys.stderr)
    if args.only in ("daily", "all"):
        tables = DailyTables()
        for label, name, y, days, ev in daily_inputs(args.quick):
            daily_fit(tables, label, name, y, days, ev, has_prophet)
        print_daily(tables, has_prophet)
    if args.only in ("hourly", "all"):
        # Printed after the daily tables: without the hourly backtest's scored
        # hours this section stops with a message, and the daily figures stand.
        hourly_section(max(args.rounds, 1), has_prophet)


if __name__ == "__main__":
    main()
