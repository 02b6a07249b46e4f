"""Forecast: arrivals ahead with intervals, planned events, surge alerts, the backtest."""

from datetime import timedelta

import pandas as pd
import streamlit as st

import ui
from analytics import charts, events, forecast

st.title("Forecast")
selection = ui.selection()
if selection is None:
    st.info("The store is empty. Import a helpdesk export on the Data page.")
    st.stop()
settings = ui.settings()

cols = st.columns([1, 2, 1, 1, 1])
freq_label = cols[0].segmented_control(
    "Frequency", ["Daily", "Hourly"], default="Daily", key="fc_freq"
)
freq = "H" if freq_label == "Hourly" else "D"
low, high = forecast.HORIZONS[freq]
horizon = cols[1].slider(
    "Horizon (days)" if freq == "D" else "Horizon (hours)",
    low,
    high,
    28 if freq == "D" else 48,
    step=1 if freq == "D" else 24,
    key=f"fc_horizon_{freq}",
)
by = cols[2].selectbox("Split", forecast.SPLITS, key="fc_by")
backtest = cols[3].selectbox(
    "Backtest origins",
    (8, 12, 0) if freq == "D" else (20, 8, 0),
    key=f"fc_backtest_{freq}",
    help="0 skips the scored backtest and uses the default model (the combination); its "
    "intervals are still calibrated on 8 earlier origins.",
)
margin = (
    cols[4].slider(
        "Surge margin (%)",
        0,
        100,
        int(settings.forecast.surge_margin * 100),
        step=5,
        key="fc_margin",
        help="A surge: expected arrivals above the usual resolutions by this margin.",
    )
    / 100
)
st.caption(
    "History up to the end of the selected period (three years daily, twelve weeks hourly), "
    f"with the sidebar's filters; {'days' if freq == 'D' else 'hours'} in {selection.tz}."
)

# Forecasts read the history up to the period's end, whatever its start: one cache entry.
scope = forecast.history_key(selection)
names = ui.cached(forecast.series_names, scope, freq, by, settings=settings)
short = ui.cached(forecast.history_shortfall, scope, freq, settings=settings)
if not names or short:
    st.info(short or "No tickets in this selection to forecast.")
    st.stop()

progress = st.progress(0.0, text="Backtesting the models...")
fits = {}
for k, name in enumerate(names):
    progress.progress(k / len(names), text=f"Backtesting the models on {ui.md_escape(name)}...")
    fit = ui.cached(
        forecast.forecast_series, scope, freq, horizon, by, name, backtest, settings=settings
    )
    if fit is not None:
        fits[name] = fit
progress.empty()
if not fits:
    st.info("Not enough history to forecast any of these series.")
    st.stop()

# Planned events: future calendar events, plus the ones typed here (this session only).
last_period = next(iter(fits.values())).history["period"].max()
first_day = (last_period + timedelta(days=1)).date()
calendar = ui.cached(
    events.events_in_range,
    first_day,
    first_day + timedelta(days=120),
    selection.regions,
    source=selection.source,
)
profiles = ui.cached(forecast.event_profiles)
st.session_state.setdefault("fc_planned", [])
region_names = ["all", *[n for n in names if n != "total"]] if by == "region" else ["all"]
region_names += [r for r in ui.cached(forecast.series_names, scope, "D", "region")[1:]
                 if r not in region_names]  # fmt: skip

with st.expander("Planned events", expanded=bool(st.session_state["fc_planned"])):
    st.caption(
        "An event enters with the effect profile measured on a past event of the same kind "
        "when one was saved (event impact), else with the uplift you type."
    )
    with st.form("fc_add_event", clear_on_submit=False, border=False):
        row = st.columns([2, 2, 2, 2, 1, 1])
        ev_name = row[0].text_input("Event name", "Planned event", key="fc_ev_name")
        ev_kind = row[1].selectbox("Kind", events.KINDS, key="fc_ev_kind")
        ev_region = row[2].selectbox("Region", region_names, key="fc_ev_region")
        ev_start = row[3].date_input("From", first_day + timedelta(days=7), key="fc_ev_start")
        ev_days = row[4].number_input("Days", 1, 90, 7, key="fc_ev_days")
        ev_uplift = row[5].number_input("Uplift %", -100, 500, 30, key="fc_ev_uplift")
        if st.form_submit_button("Add planned event", icon=":material/add:"):
            st.session_state["fc_planned"].append(
                forecast.PlannedEvent(
                    name=ev_name,
                    kind=ev_kind,
                    region=ev_region,
                    start=ev_start,
                    end=ev_start + timedelta(days=int(ev_days) - 1),
                    uplift=ev_uplift / 100,
                    profile=forecast.profile_for(profiles, ev_kind, ev_region),
                )
            )
    planned = list(st.session_state["fc_planned"])
    planned += forecast.calendar_planned(calendar, profiles)
    for event in planned:
        effect = (
            f"measured profile over {len(event.profile)} days"
            if event.profile
            else f"{event.uplift:+.0%} typed"
        )
        st.write(
            f"**{ui.md_escape(event.name)}** ({event.kind}, {ui.md_escape(event.region)}), "
            f"{event.start:%Y-%m-%d} to {event.end:%Y-%m-%d}: {effect}"
        )
    if st.session_state["fc_planned"] and st.button("Clear typed events", key="fc_clear"):
        st.session_state["fc_planned"] = []
        st.rerun()

shares = ui.cached(forecast.region_shares, scope) if planned else {}
adjusted = {
    name: forecast.with_events(fit, planned, shares, by) if planned else fit.forecast
    for name, fit in fits.items()
}

# Surges: every series, then the chart of one series.
alerts = pd.concat(
    [
        forecast.surges(
            fit, adjusted[name], margin=margin, target_hours=settings.sla_target_hours * 4
        )
        for name, fit in fits.items()
    ],
    ignore_index=True,
)
st.subheader("Surge alerts", divider="gray")
if alerts.empty:
    st.success(f"No surge expected in the next {horizon} {'days' if freq == 'D' else 'hours'}.")
else:
    for row in alerts.sort_values("start").itertuples():
        # The surge names its series: a region, channel or team from the data.
        st.warning(ui.md_escape(forecast.describe_surge(row)), icon=":material/warning:")

shown = st.selectbox("Series", list(fits), key="fc_series")
fit = fits[shown]
base_total = float(fit.forecast["mean"].sum())
with_total = float(adjusted[shown]["mean"].sum())
cards = st.columns(3)
cards[0].metric(
    f"Forecast tickets, next {horizon} {'days' if freq == 'D' else 'hours'}",
    f"{with_total:,.0f}",
    f"{with_total - base_total:+,.0f} from planned events" if planned else None,
)
cards[1].metric("Model chosen", fit.chosen)
score = fit.scores.set_index("model")
if fit.origins and fit.chosen in score.index:
    cards[2].metric(
        "Backtest error against seasonal naive",
        f"{score.loc[fit.chosen, 'relative_mase'] - 1:+.0%}",
        help="Mean absolute scaled error relative to the seasonal naive forecast.",
    )
if fit.note:
    # A model rejected by its envelope, or a history too short to backtest.
    (st.warning if fit.rejected else st.info)(ui.md_escape(fit.note))
tail = fit.history.tail(8 * forecast.SEASON[freq] if freq == "H" else 120)
ui.chart(
    ui.figure(
        charts.forecast_fan,
        tail,
        fit.forecast,
        adjusted[shown] if planned else None,
        title=f"{shown} arrivals per {'day' if freq == 'D' else 'hour'}",
    ),
    adjusted[shown].assign(without_events=fit.forecast["mean"]),
    f"forecast_{freq}_{shown}",
)

if fit.opening is not None:
    origin = (
        "inferred from the last eight weeks"
        if fit.opening.source == "inferred"
        else (f"schedule {fit.opening.source}")
    )
    st.caption(
        f"Open hours: {fit.opening.describe()} ({origin}). Closed hours are forecast as 0; "
        "hours with only a trickle of arrivals are forecast but do not choose the model."
    )
if fit.today is not None:
    today = fit.today
    morning_rest = float(today.morning.loc[today.morning["period"] >= today.at, "mean"].sum())
    row = st.columns(2)
    row[0].metric("Today, morning forecast (rest of the day)", f"{morning_rest:,.0f}")
    row[1].metric(
        f"Today, updated at {today.at:%H:%M}",
        f"{today.forecast['mean'].sum():,.0f}",
        f"{today.factor - 1:+.0%}",
        help=f"{today.seen:,.0f} arrivals since opening, where the morning forecast expected "
        f"{today.expected:,.0f}.",
    )
    ui.chart(ui.figure(charts.today_update, today), today.forecast, f"today_{shown}")

st.subheader("Backtest", divider="gray")
if not fit.origins and fit.chosen == forecast.DEFAULT_MODEL[freq]:
    st.info("Backtest skipped: the default model (the combination) is used.")
elif not fit.origins:
    st.info("No backtest: see the note above the chart.")
else:
    st.caption(
        f"{fit.origins} rolling origins, {horizon} {'days' if freq == 'D' else 'hours'} ahead "
        "each (hourly: before each working day opens, scored on open hours); every model "
        "sees only data before its origin. MASE is scaled by the in-sample "
        "error of the seasonal naive forecast (weekly season); relative MASE below 1 beats it. "
        "Intervals are calibrated on the errors of earlier origins; coverage is measured on "
        f"origins not used to calibrate. Chosen: **{fit.chosen}** (lowest MASE)."
    )
    table = fit.scores.assign(chosen=fit.scores["model"] == fit.chosen)
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "mase": st.column_config.NumberColumn("MASE", format="%.3f"),
            "relative_mase": st.column_config.NumberColumn("vs seasonal naive", format="%.2f"),
            "smape": st.column_config.NumberColumn("sMAPE", format="%.3f"),
            "coverage80": st.column_config.NumberColumn("80% coverage", format="%.2f"),
            "coverage95": st.column_config.NumberColumn("95% coverage", format="%.2f"),
            "raw_coverage80": st.column_config.NumberColumn(
                "80% coverage, model's own", format="%.2f"
            ),
            "raw_coverage95": st.column_config.NumberColumn(
                "95% coverage, model's own", format="%.2f"
            ),
            "calibrated": st.column_config.NumberColumn("origins calibrated", format="percent"),
            "fit_s": st.column_config.NumberColumn("fit s / origin", format="%.2f"),
        },
    )
    ui.chart(
        ui.figure(charts.accuracy_by_horizon, fit.by_horizon, "day" if freq == "D" else "hour"),
        fit.by_horizon,
        f"backtest_{freq}_{shown}",
    )
    if freq == "H":
        by_hour = forecast.error_by_hour(fit)
        ui.chart(ui.figure(charts.accuracy_by_hour, by_hour), by_hour, f"backtest_hours_{shown}")
