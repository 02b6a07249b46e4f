"""Commands that ask the data: metrics, impact, forecast, report."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from analytics import coverage, exports, i18n, metrics, report, store
from analytics.cli.parser import open_store
from analytics.forecast import impact
from analytics.settings import SAMPLE_SOURCE, load_settings


def cmd_metrics(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        selection = selection_of(con, args)
        source, first, last = selection.source, *local_days(selection)
        figures = metrics.overview(con, selection).to_dict()
        figures |= quality_rates(metrics.quality(con, selection))
        lacking = coverage.missing_quality_inputs(con, source)
    finally:
        con.close()
    print(
        json.dumps(
            {"source": source, "from": first.isoformat(), "to": last.isoformat(), **figures},
            default=float,
        )
    )
    # stdout stays one JSON object; what the export lacks goes to stderr, in words
    for name, reason in lacking.items():
        print(f"{', '.join(QUALITY_RATES_NEED[name])}: null. {reason}", file=sys.stderr)
    return 0


# quality input -> the rates of ``metrics`` that are null without it
QUALITY_RATES_NEED = {
    "reopens": ("reopen_rate_pct", "first_contact_pct"),
    "replies": ("one_touch_pct", "first_contact_pct"),
    "satisfaction": ("csat_pct", "csat_response_pct"),
}


def quality_rates(figures: metrics.QualityFigures) -> dict:
    """Return the quality rates ``metrics`` prints: None where the data lacks their input."""
    return {
        name: getattr(figures, name)
        for name in (
            "reopen_rate_pct",
            "one_touch_pct",
            "first_contact_pct",
            "csat_pct",
            "csat_response_pct",
        )
    }


def selection_of(
    con, args: argparse.Namespace, business_hours: bool | None = None
) -> metrics.Selection:
    """Return the selection the options name: ``--source`` (else the default source),
    ``--from``/``--to`` (else the source's whole span, in local days), ``--tz`` and
    ``--business-hours`` (unless ``business_hours`` says otherwise)."""
    source = default_source(con, args.source)
    span = metrics.source_span(con, source)
    zone = ZoneInfo(args.tz)
    first = args.first_day or span.first_created_at.astimezone(zone).date()
    last = args.last_day or span.as_of.astimezone(zone).date()
    start, end = metrics.period(first, last, args.tz)
    if business_hours is None:
        business_hours = args.business_hours
    return metrics.Selection(source, start, end, tz=args.tz, business_hours=business_hours)


def local_days(selection: metrics.Selection) -> tuple[date, date]:
    """Return the first and last local days of ``selection``'s period."""
    zone = ZoneInfo(selection.tz)
    return selection.start.astimezone(zone).date(), (
        selection.end.astimezone(zone) - timedelta(days=1)
    ).date()


def default_source(con, requested: str | None) -> str:
    """Return the source a command works on: the one named, the only one, or the sample."""
    names = [s.source for s in store.list_sources(con)]
    source = requested or (
        names[0] if len(names) == 1 else SAMPLE_SOURCE if SAMPLE_SOURCE in names else None
    )
    if source is None:
        raise store.StoreError(
            "name a source with --source" + (f" ({', '.join(names)})" if names else "")
        )
    if source not in names:
        raise store.StoreError(f"no source named {source!r}")
    return source


def cmd_impact(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        source = default_source(con, args.source)
        event = impact.find_event(con, args.event, args.region, source)
        result = impact.estimate(con, source, event["event_id"], tz=args.tz)
        if args.save:
            impact.save_effects(con, result)
    finally:
        con.close()
    arr, did, frt = result.arrivals, result.did, result.first_response
    print(
        json.dumps(
            {
                "event": event["name"],
                "region": event["region"],
                "source": source,
                "method": f"intervention: {arr.model}",
                "effect_pct": arr.effect_pct,
                "low_pct": arr.low_pct,
                "high_pct": arr.high_pct,
                "duration_days": arr.duration_days,
                "first_response_h": None if frt is None else frt.effect_abs,
                "first_response_low_h": None if frt is None else frt.low_abs,
                "first_response_high_h": None if frt is None else frt.high_abs,
                "did": None if did is None else did.to_dict(),
                "sentence": result.sentence(),
            },
            default=str,
        )
    )
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    from analytics import forecast

    con = open_store(args)
    try:
        selection = selection_of(con, args, business_hours=False)
        by = args.by or "total"
        horizon = args.horizon or (28 if args.freq == "D" else 48)
        low, high = forecast.HORIZONS[args.freq]
        if not low <= horizon <= high:
            raise store.StoreError(f"--horizon must be {low} to {high} for --freq {args.freq}")
        settings = load_settings()
        names = forecast.series_names(con, selection, args.freq, by, settings)
        results = []
        for name in names:
            fit = forecast.forecast_series(
                con, selection, args.freq, horizon, by, name, args.backtest, settings
            )
            if fit is not None:
                results.append(fit)
                if not args.json:
                    print(f"{name}: {fit.chosen}", file=sys.stderr)
        short = None if results else forecast.history_shortfall(con, selection, args.freq, settings)
    finally:
        con.close()
    if not results:
        raise store.StoreError(short or "no series of this selection can be forecast")
    if args.out:
        frames = [r.forecast.assign(series=r.name, model=r.chosen) for r in results]
        table = pd.concat(frames)[
            ["series", "model", "period", "mean", "lo80", "hi80", "lo95", "hi95"]
        ]
        args.out.write_text(exports.csv_text(table), encoding="utf-8")
    payload = {"series": [r.to_dict() for r in results]}
    if args.json:
        print(json.dumps(payload))
    elif not args.out:
        _ = i18n.translator(args.lang)
        for r in results:
            print(_("{series} ({model}):").format(series=r.name, model=r.chosen))
            if r.note:
                print(_("note: {note}").format(note=r.note))
            numbers = r.forecast.select_dtypes("number").columns
            print(r.forecast.round(dict.fromkeys(numbers, 1)).to_string(index=False))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        source = default_source(con, args.source)
        data = report.collect(con, source, args.week, args.region, args.tz, load_settings())
    finally:
        con.close()
    path = report.write(report.compose(data, args.lang), args.out, args.fmt)
    print(path)
    return 0
