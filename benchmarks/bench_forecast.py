"""Forecast accuracy and speed on the built-in sample and the real UCI ServiceNow log.

For each daily series: the backtest (8 rolling origins) at 7 and 28 days
ahead, the chosen model's MASE against seasonal naive's, 80%/95% coverage and
per-model fit times; hourly at 48 h; Prophet (with the country's holidays) on
the same series and origins when it is installed (``benchmarks/requirements.txt``).

    python benchmarks/bench_forecast.py [--quick]
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

from analytics import events, forecast, importer, metrics, store  # noqa: E402
from analytics.settings import load_settings  # noqa: E402

UCI = ROOT.parent / "shared" / "realdata" / "uci_servicenow_incidents" / "incident_event_log.zip"


def sample_store() -> Path:
    """The default sample (3 years, scale 1), simulated and imported once."""
    from analytics.simulate import write_sample

    path = OUT / "forecast_sample.duckdb"
    if not path.exists():
        files = write_sample(OUT / "forecast_sample", years=3.0, scale=1.0)
        con = store.connect(path)
        importer.import_file(con, files.tickets_csv, source="sample")
        events.import_events_csv(con, files.events_csv)
        con.close()
    return path


def uci_store() -> Path:
    path = OUT / "forecast_uci.duckdb"
    if not path.exists():
        con = store.connect(path)
        importer.import_file(con, UCI)
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
        ev = forecast.calendar_events(con, name, by)
        yield name, y, hol, ev, codes


def prophet_backtest(y: pd.Series, horizon: int, origins: int, countries, freq: str) -> dict:
    """Prophet on the same origins: MASE, coverage of its 80% interval, fit seconds."""
    import logging

    from prophet import Prophet

    logging.getLogger("cmdstanpy").setLevel(logging.ERROR)
    m = forecast.SEASON[freq]
    ase, inside, fit_s = [], [], []
    for cut in forecast.origins_for(len(y), freq, horizon, origins):
        train = y.iloc[:cut]
        frame = pd.DataFrame({"ds": train.index, "y": np.log1p(train.to_numpy())})
        began = time.perf_counter()
        model = Prophet(interval_width=0.8, daily_seasonality=freq == "H")
        if countries and freq == "D":
            model.add_country_holidays(country_name=countries[0])
        model.fit(frame)
        future = model.make_future_dataframe(horizon, freq="D" if freq == "D" else "h")
        pred = model.predict(future).tail(horizon)
        fit_s.append(time.perf_counter() - began)
        actual = y.iloc[cut : cut + horizon].to_numpy()
        point = np.maximum(np.expm1(pred["yhat"].to_numpy()), 0)
        scale = max(float(np.mean(np.abs(train.to_numpy()[m:] - train.to_numpy()[:-m]))), 0.1)
        ase += list(np.abs(actual - point) / scale)
        lo, hi = np.expm1(pred["yhat_lower"].to_numpy()), np.expm1(pred["yhat_upper"].to_numpy())
        inside += list((lo <= actual) & (actual <= hi))
    return {"mase": float(np.mean(ase)), "coverage80": float(np.mean(inside)),
            "fit_s": float(np.mean(fit_s))}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="totals only, no Prophet")
    args = parser.parse_args()
    try:
        import prophet  # noqa: F401

        has_prophet = not args.quick
    except ImportError:
        has_prophet = False
        print("prophet not installed: pip install -r benchmarks/requirements.txt", file=sys.stderr)

    rows, fit_rows = [], []
    datasets = [("sample", sample_store(), "sample", "Europe/Paris", "region", ())]
    if UCI.exists():
        # The UCI log comes from a Brazilian company (University of Sao Paulo's
        # study): its dips fall on Good Friday and Tiradentes (21 April).
        datasets.append(
            ("UCI ServiceNow", uci_store(), "incident_event_log", "UTC", "category", ("BR",))
        )
    for label, path, source, tz, by, countries in datasets:
        con = store.connect(path, read_only=True)
        for freq, horizons in (("D", (7, 28)), ("H", (48,))):
            split = "total" if args.quick or freq == "H" else by
            for name, y, hol, ev, codes in series(con, source, freq, split, tz, countries):
                for horizon in horizons:
                    began = time.perf_counter()
                    fit = forecast.fit_series(
                        y, freq, horizon, 8, holidays=hol, events=ev, name=name
                    )
                    wall = time.perf_counter() - began
                    sc = fit.scores.set_index("model")
                    chosen = sc.loc[fit.chosen]
                    row = [
                        label, f"{name} ({len(y)} {'days' if freq == 'D' else 'h'})",
                        f"{horizon}{'d' if freq == 'D' else 'h'}", fit.chosen,
                        f"{chosen['mase']:.3f}", f"{sc.loc['seasonal_naive', 'mase']:.3f}",
                        f"{chosen['relative_mase'] - 1:+.0%}",
                        f"{chosen['coverage80']:.2f}", f"{chosen['coverage95']:.2f}",
                        f"{wall:.1f}",
                    ]  # fmt: skip
                    if has_prophet and name == "total":
                        p = prophet_backtest(y, horizon, 8, codes, freq)
                        row += [f"{p['mase']:.3f}", f"{p['coverage80']:.2f}", f"{p['fit_s']:.2f}"]
                    elif has_prophet:
                        row += ["", "", ""]
                    rows.append(row)
                    if name == "total":
                        fit_rows += [
                            [label, f"{horizon}{freq}", r.model, f"{r.mase:.3f}",
                             f"{r.relative_mase:.2f}", f"{r.coverage80:.2f}",
                             f"{r.coverage95:.2f}", f"{r.fit_s:.3f}"]
                            for r in fit.scores.itertuples()
                        ]  # fmt: skip
                    print(" | ".join(row), file=sys.stderr, flush=True)
        con.close()
    headers = ["data", "series", "ahead", "chosen", "MASE", "naive MASE", "vs naive",
               "cov80", "cov95", "backtest s"]  # fmt: skip
    if has_prophet:
        headers += ["prophet MASE", "prophet cov80", "prophet fit s"]
    print(table(headers, rows))
    print()
    print("Every model on the totals (fit s: mean per origin; parameters estimated at the first")
    print("origin, re-filtered at the others):")
    print(
        table(["data", "ahead", "model", "MASE", "vs naive", "cov80", "cov95", "fit s"], fit_rows)
    )


if __name__ == "__main__":
    main()
