"""Forecast accuracy and speed on the built-in sample and the real UCI ServiceNow log.

For each daily series: the backtest (26 scored rolling origins where the history
allows, else as many as it does) at 7 and 28 days ahead, the chosen model's MASE against seasonal naive's, the 80%/95% coverage
of the calibrated intervals (each origin calibrated on earlier origins only) and
of the models' own, per-model fit times; hourly at 48 h; Prophet (with the
country's holidays) on the same series and origins when it is installed
(``benchmarks/requirements.txt``); the series where the chosen model is not 15%
better than seasonal naive; the wall time of one full daily backtest.

    python benchmarks/bench_forecast.py [--quick] [--no-prophet]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

# Small matrices: BLAS threads only fight each other on a shared 2-core machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from common import OUT, ROOT, table  # noqa: E402

from analytics import events, forecast, ingest, metrics, store  # noqa: E402
from analytics.settings import load_settings  # noqa: E402

UCI = ROOT.parent / "shared" / "realdata" / "uci_servicenow_incidents" / "incident_event_log.zip"
# Scored origins per series (the issue asks for at least 8): half a year of weekly
# origins, or 26 days of hourly ones. 8 x 7 days left a per-series coverage with a
# sampling error of about 5 points; shorter histories (the UCI log) score fewer.
SCORED_ORIGINS = 26


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


def prophet_backtest(y: pd.Series, horizon: int, origins: list[int], countries, freq: str) -> dict:
    """Prophet on the same scored origins: MASE, coverage of its own 80% and 95%
    intervals, fit seconds per origin. Daily, it gets the same holidays as our
    models, each with its own effect (as ``add_country_holidays`` gives them)."""
    import logging

    from prophet import Prophet

    logging.getLogger("cmdstanpy").setLevel(logging.ERROR)
    m = forecast.SEASON[freq]
    ase, in80, in95, fit_s = [], [], [], []
    first, last = y.index[0].date(), (y.index[-1] + pd.Timedelta(days=horizon + 1)).date()
    calendar = forecast.holiday_calendar(countries, first, last)
    days = pd.DataFrame({"holiday": list(calendar.values()), "ds": pd.to_datetime(list(calendar))})
    for cut in origins:
        train = y.iloc[:cut]
        frame = pd.DataFrame({"ds": train.index, "y": np.log1p(train.to_numpy())})
        began = time.perf_counter()
        holidays = days if freq == "D" and len(days) else None
        model = Prophet(interval_width=0.8, daily_seasonality=freq == "H", holidays=holidays)
        model.fit(frame)
        future = model.make_future_dataframe(horizon, freq="D" if freq == "D" else "h")
        pred80 = model.predict(future).tail(horizon)
        # Prophet draws its interval at predict time, at the width set then.
        model.interval_width = 0.95
        pred95 = model.predict(future).tail(horizon)
        fit_s.append(time.perf_counter() - began)
        actual = y.iloc[cut : cut + horizon].to_numpy()
        point = np.maximum(np.expm1(pred80["yhat"].to_numpy()), 0)
        scale = max(float(np.mean(np.abs(train.to_numpy()[m:] - train.to_numpy()[:-m]))), 0.1)
        ase += list(np.abs(actual - point) / scale)
        for pred, inside in ((pred80, in80), (pred95, in95)):
            lo, hi = (
                np.expm1(pred["yhat_lower"].to_numpy()),
                np.expm1(pred["yhat_upper"].to_numpy()),
            )
            inside += list((lo <= actual) & (actual <= hi))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="totals only, no Prophet")
    parser.add_argument("--no-prophet", action="store_true", help="skip Prophet")
    args = parser.parse_args()
    try:
        import prophet  # noqa: F401

        has_prophet = not (args.quick or args.no_prophet)
    except ImportError:
        has_prophet = False
        print("prophet not installed: pip install -r benchmarks/requirements.txt", file=sys.stderr)

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
    chosen_rows, daily, hourly, misses, chosen_cov, timing = [], [], [], [], [], {}
    for label, path, source, tz, by, countries in datasets:
        con = store.connect(path, read_only=True)
        for freq, horizons in (("D", (7, 28)), ("H", (48,))):
            split = "total" if args.quick or freq == "H" else by
            for name, y, hol, ev, codes in series(con, source, freq, split, tz, countries):
                unit = "days" if freq == "D" else "h"
                title = f"{name} ({len(y)} {unit})"
                per_model: dict[str, list[str]] = {}
                for k, horizon in enumerate(horizons):
                    began = time.perf_counter()
                    fit = forecast.fit_series(
                        y, freq, horizon, SCORED_ORIGINS, holidays=hol, events=ev, name=name
                    )
                    wall = time.perf_counter() - began
                    sc = fit.scores.set_index("model")
                    best = sc.loc[fit.chosen]
                    ahead = f"{horizon}{'d' if freq == 'D' else 'h'}"
                    row = [
                        label, title, ahead, str(fit.origins), fit.chosen, f"{best['mase']:.3f}",
                        f"{sc.loc['seasonal_naive', 'mase']:.3f}",
                        f"{best['relative_mase'] - 1:+.0%}",
                        pct(best["coverage80"]), pct(best["coverage95"]),
                        pct(best["raw_coverage80"]), pct(best["raw_coverage95"]),
                        f"{best['calibrated']:.0%}", f"{wall:.1f}",
                        *chosen_beforehand(fit, y, freq, horizon, hol, ev),
                    ]  # fmt: skip
                    if has_prophet:
                        scored = sorted(fit.predictions["origin"].unique())
                        p = prophet_backtest(y, horizon, scored, codes, freq)
                        row += [f"{p['mase']:.3f}", f"{p['mase'] / sc.loc['seasonal_naive', 'mase'] - 1:+.0%}",
                                pct(p["coverage80"]), pct(p["coverage95"]), f"{p['fit_s']:.2f}"]  # fmt: skip
                    chosen_rows.append(row)
                    print(" | ".join(row), file=sys.stderr, flush=True)
                    if best["relative_mase"] > 0.85:
                        misses.append([label, title, ahead, fit.chosen,
                                       f"{best['relative_mase'] - 1:+.0%}"])  # fmt: skip
                    for r in fit.scores.itertuples():
                        cells = per_model.setdefault(r.model, [""] * 5 * len(horizons))
                        cells[5 * k : 5 * k + 5] = [
                            pct(r.mase), pct(r.relative_mase), pct(r.coverage80),
                            pct(r.coverage95), f"{r.fit_s:.3f}",
                        ]  # fmt: skip
                    chosen_cov.append((freq, horizon, best["coverage80"], best["coverage95"]))
                for model, cells in per_model.items():
                    (daily if freq == "D" else hourly).append([label, title, model, *cells])
                if label == "sample" and freq == "D" and name == "total":
                    timing = full_backtest_seconds(y, hol, ev)
        con.close()
    headers = ["data", "series", "ahead", "origins", "chosen", "MASE", "naive MASE", "vs naive",
               "cov80", "cov95", "raw cov80", "raw cov95", "calibrated", "backtest s",
               "chosen earlier", "its vs naive"]  # fmt: skip
    if has_prophet:
        headers += ["prophet MASE", "prophet vs naive", "prophet cov80", "prophet cov95",
                    "prophet fit s"]  # fmt: skip
    print(f"Chosen model per series: backtest over up to {SCORED_ORIGINS} scored origins (column")
    print("origins). cov80/cov95: calibrated")
    print("intervals, each origin calibrated only on earlier origins' errors; raw: the model's own")
    print("intervals; calibrated: share of scored origins that had enough earlier errors;")
    print("chosen earlier: the choice of a backtest ending at the first scored origin, scored on")
    print("the scored origins (the chosen model's own score is the best of several on them).")
    print(table(headers, chosen_rows))
    print()
    print("Every model, daily (fit s: mean per origin, calibration origins included):")
    print(table(["data", "series", "model", "MASE 7d", "vs naive", "cov80", "cov95", "fit s",
                 "MASE 28d", "vs naive", "cov80", "cov95", "fit s"], daily))  # fmt: skip
    print()
    print("Every model, hourly 48 h:")
    print(table(["data", "series", "model", "MASE 48h", "vs naive", "cov80", "cov95", "fit s"],
                hourly))  # fmt: skip
    print()
    print("Coverage of the chosen models' calibrated intervals, pooled over series:")
    cov = pd.DataFrame(chosen_cov, columns=["freq", "horizon", "c80", "c95"])
    print(table(
        ["ahead", "series", "mean cov80", "within 75-85%", "mean cov95", "within 90-100%"],
        [[f"{h}{'d' if f == 'D' else 'h'}", len(g), f"{g.c80.mean():.3f}",
          f"{g.c80.between(0.75, 0.85).sum()}", f"{g.c95.mean():.3f}",
          f"{g.c95.between(0.90, 1.0).sum()}"]
         for (f, h), g in cov.groupby(["freq", "horizon"], sort=False)],
    ))  # fmt: skip
    print()
    print("Chosen model not 15% better than seasonal naive:")
    print(table(["data", "series", "ahead", "chosen", "vs naive"], misses) if misses else "none")
    if timing:
        print()
        print(
            "Full backtest of the sample's daily total (3 years, all models, 8 scored + "
            f"{forecast.CALIBRATION_ORIGINS} calibration origins, final fits), median of 3: "
            f"{timing[7]:.1f} s at 7 days, {timing[28]:.1f} s at 28 days"
        )


if __name__ == "__main__":
    main()
