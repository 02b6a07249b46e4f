"""Forecast: arrivals ahead with intervals, planned events, surge alerts, the backtest."""

from datetime import timedelta

import pandas as pd
import streamlit as st

import ui
from analytics import charts, events, forecast
from ui import N_, _, n_

# The widgets' option codes (kept in the URL and the session) and what they show.
FREQUENCIES = {"Daily": N_("Daily"), "Hourly": N_("Hourly")}
SPLITS = {"total": N_("total"), "region": N_("region"), "channel": N_("channel"),
          "category": N_("category")}  # fmt: skip
DIVIDER = "gray"


def series_label(name: str) -> str:
    """Return a series as shown: the total translated, a region or channel as in the data."""
    return _("total") if name == "total" else name


# The backtest's scores as shown, in order, and the decimals each is shown with.
BACKTEST_LABELS = {
    "model": N_("Model"),
    "chosen": N_("Chosen"),
    "mase": N_("MASE"),
    "relative_mase": N_("vs seasonal naive"),
    "smape": N_("sMAPE"),
    "coverage80": N_("80% coverage"),
    "coverage95": N_("95% coverage"),
    "raw_coverage80": N_("80% coverage, model's own"),
    "raw_coverage95": N_("95% coverage, model's own"),
    "calibrated": N_("origins calibrated"),
    "rejected": N_("origins rejected"),
    "fit_s": N_("fit s / origin"),
}
DECIMALS = {"mase": 3, "smape": 3, "relative_mase": 2, "coverage80": 2, "coverage95": 2,
            "raw_coverage80": 2, "raw_coverage95": 2, "fit_s": 2, "rejected": 0}  # fmt: skip


def backtest_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Return the backtest's scores as text in the session's language (``0,873``, ``75 %``)."""
    shown = scores.copy()
    for column, decimals in DECIMALS.items():
        if column in shown:
            shown[column] = shown[column].map(
                lambda v, d=decimals: "" if pd.isna(v) else ui.number(v, d)
            )
    if "calibrated" in shown:
        shown["calibrated"] = shown["calibrated"].map(
            lambda v: "" if pd.isna(v) else ui.percent(100 * v)
        )
    shown["chosen"] = shown["chosen"].map(lambda chosen: "✓" if chosen else "")
    shown["model"] = shown["model"].map(lambda code: forecast.model_name(code, ui.lang()))
    return shown


def change(points: float) -> str:
    """Return a change in percentage points with its sign: ``+12%``, ``±0 %``."""
    return ui.signed_percent(points)


st.title(_("Forecast"))
selection = ui.selection()
if selection is None:
    st.info(_("The store is empty. Import a helpdesk export on the Data page."))
    st.stop()
settings = ui.settings()

cols = st.columns([1, 2, 1, 1, 1])
freq_label = cols[0].segmented_control(
    _("Frequency"),
    list(FREQUENCIES),
    format_func=lambda code: _(FREQUENCIES[code]),
    default=list(FREQUENCIES)[0],
    key="fc_freq",
)
freq = "H" if freq_label == "Hourly" else "D"
low, high = forecast.HORIZONS[freq]
horizon = cols[1].slider(
    _("Horizon (days)") if freq == "D" else _("Horizon (hours)"),
    low,
    high,
    28 if freq == "D" else 48,
    step=1 if freq == "D" else 24,
    key=f"fc_horizon_{freq}",
)
by = cols[2].selectbox(
    _("Split"), forecast.SPLITS, format_func=lambda code: _(SPLITS[code]), key="fc_by"
)
backtest = cols[3].selectbox(
    _("Backtest origins"),
    (8, 12, 0) if freq == "D" else (20, 8, 0),
    key=f"fc_backtest_{freq}",
    help=_(
        "0 skips the scored backtest and uses the default model (the combination); its "
        "intervals are still calibrated on 8 earlier origins."
    ),
)
margin = (
    cols[4].slider(
        _("Surge margin (%)"),
        0,
        100,
        int(settings.forecast.surge_margin * 100),
        step=5,
        key="fc_margin",
        help=_("A surge: expected arrivals above the usual resolutions by this margin."),
    )
    / 100
)
st.caption(
    (
        _(
            "History up to the end of the selected period (three years daily, twelve weeks "
            "hourly), with the sidebar's filters; days in {zone}."
        )
        if freq == "D"
        else _(
            "History up to the end of the selected period (three years daily, twelve weeks "
            "hourly), with the sidebar's filters; hours in {zone}."
        )
    ).format(zone=ui.md_escape(selection.tz))
)
ahead = n_("{n} day", "{n} days", horizon) if freq == "D" else n_("{n} hour", "{n} hours", horizon)

# Forecasts read the history up to the period's end, whatever its start: one cache entry.
scope = forecast.history_key(selection)
names = ui.cached(forecast.series_names, scope, freq, by, settings=settings)
short = ui.cached(forecast.history_shortfall, scope, freq, settings=settings, lang=ui.lang())
if not names or short:
    st.info(short or _("No tickets in this selection to forecast."))
    st.stop()

progress = st.progress(0.0, text=_("Backtesting the models..."))
fits = {}
for k, name in enumerate(names):
    progress.progress(
        k / len(names),
        text=_("Backtesting the models on {series}...").format(
            series=ui.md_escape(series_label(name))
        ),
    )
    fit = ui.cached(
        forecast.forecast_series, scope, freq, horizon, by, name, backtest, settings=settings
    )
    if fit is not None:
        fits[name] = fit
progress.empty()
if not fits:
    st.info(_("Not enough history to forecast any of these series."))
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

with st.expander(_("Planned events"), expanded=bool(st.session_state["fc_planned"])):
    st.caption(
        _(
            "An event enters with the effect profile measured on a past event of the same "
            "kind when one was saved (event impact), else with the uplift you type."
        )
    )
    with st.form("fc_add_event", clear_on_submit=False, border=False):
        row = st.columns([2, 2, 2, 2, 1, 1])
        ev_name = row[0].text_input(_("Event name"), _("Planned event"), key="fc_ev_name")
        ev_kind = row[1].selectbox(_("Kind"), events.KINDS, format_func=_, key="fc_ev_kind")
        ev_region = row[2].selectbox(
            _("Region"),
            region_names,
            format_func=lambda region: _("all regions") if region == "all" else region,
            key="fc_ev_region",
        )
        ev_start = row[3].date_input(_("From"), first_day + timedelta(days=7), key="fc_ev_start")
        ev_days = row[4].number_input(_("Days"), 1, 90, 7, key="fc_ev_days")
        ev_uplift = row[5].number_input(_("Uplift %"), -100, 500, 30, key="fc_ev_uplift")
        if st.form_submit_button(_("Add planned event"), icon=":material/add:"):
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
            n_(
                "measured profile over {n} day",
                "measured profile over {n} days",
                len(event.profile),
            )
            if event.profile
            else _("{uplift} typed").format(uplift=change(100 * event.uplift))
        )
        region = _("all regions") if event.region == "all" else event.region
        st.write(
            _("**{name}** ({kind}, {region}), {start} to {end}: {effect}").format(
                name=ui.md_escape(event.name),
                kind=_(event.kind),
                region=ui.md_escape(region),
                start=ui.long_date(event.start),
                end=ui.long_date(event.end),
                effect=effect,
            )
        )
    if st.session_state["fc_planned"] and st.button(_("Clear typed events"), key="fc_clear"):
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
st.subheader(_("Surge alerts"), divider=DIVIDER)
if alerts.empty:
    st.success(_("No surge expected in the next {ahead}.").format(ahead=ahead))
else:
    for row in alerts.sort_values("start").itertuples():
        # The surge names its series: a region, channel or team from the data.
        line = forecast.describe_surge(row, ui.lang())
        st.warning(ui.md_escape(line), icon=":material/warning:")

shown = st.selectbox(_("Series"), list(fits), format_func=series_label, key="fc_series")
fit = fits[shown]
base_total = float(fit.forecast["mean"].sum())
with_total = float(adjusted[shown]["mean"].sum())
cards = st.columns(3)
cards[0].metric(
    _("Forecast tickets, next {ahead}").format(ahead=ahead),
    ui.number(with_total),
    _("{change} from planned events").format(change=ui.signed(with_total - base_total))
    if planned
    else None,
)
cards[1].metric(_("Model chosen"), forecast.model_name(fit.chosen, ui.lang()))
score = fit.scores.set_index("model")
if fit.origins and fit.chosen in score.index:
    cards[2].metric(
        _("Backtest error against seasonal naive"),
        change(100 * (score.loc[fit.chosen, "relative_mase"] - 1)),
        help=_("Mean absolute scaled error relative to the seasonal naive forecast."),
    )
if fit.note:
    # A model rejected by its envelope, or a history too short to backtest.
    note = forecast.describe_note(fit, ui.lang())
    (st.warning if fit.rejected else st.info)(ui.md_escape(note))
tail = fit.history.tail(8 * forecast.SEASON[freq] if freq == "H" else 120)
arrivals = (
    _("{series} arrivals per day") if freq == "D" else _("{series} arrivals per hour")
).format(series=series_label(shown))
ui.chart(
    ui.figure(
        charts.forecast_fan,
        tail,
        fit.forecast,
        adjusted[shown] if planned else None,
        title=arrivals,
        lang=ui.lang(),
    ),
    adjusted[shown].assign(without_events=fit.forecast["mean"]),
    f"forecast_{freq}_{shown}",
)

if fit.opening is not None:
    origin = (
        _("inferred from the last eight weeks")
        if fit.opening.source == "inferred"
        else _("schedule {name}").format(name=ui.md_escape(fit.opening.source))
    )
    st.caption(
        _(
            "Open hours: {hours} ({origin}). Closed hours are forecast as 0; hours with only "
            "a trickle of arrivals are forecast but do not choose the model."
        ).format(hours=fit.opening.describe(ui.lang()), origin=origin)
    )
if fit.today is not None:
    today = fit.today
    morning_rest = float(today.morning.loc[today.morning["period"] >= today.at, "mean"].sum())
    detail = _(
        "{seen} arrivals since opening, where the morning forecast expected {expected}."
    ).format(seen=ui.number(today.seen), expected=ui.number(today.expected))
    if today.keeps_morning:
        detail += " " + _(
            "In the backtest, updating from the morning's arrivals did not beat the "
            "morning forecast, so the rest of the day keeps it."
        )
    row = st.columns(2)
    row[0].metric(_("Today, morning forecast (rest of the day)"), ui.number(morning_rest))
    row[1].metric(
        _("Today, updated at {time}").format(time=f"{today.at:%H:%M}"),
        ui.number(today.forecast["mean"].sum()),
        change(100 * (today.factor - 1)),
        help=detail,
    )
    ui.chart(
        ui.figure(charts.today_update, today, lang=ui.lang()), today.forecast, f"today_{shown}"
    )

st.subheader(_("Backtest"), divider=DIVIDER)
if not fit.origins and fit.chosen == forecast.DEFAULT_MODEL[freq]:
    st.info(_("Backtest skipped: the default model (the combination) is used."))
elif not fit.origins:
    st.info(_("No backtest: see the note above the chart."))
else:
    st.caption(
        _(
            "{origins} rolling origins, {ahead} ahead each (hourly: before each working day "
            "opens, scored on open hours); every model sees only data before its origin. "
            "MASE is scaled by the in-sample error of the seasonal naive forecast (weekly "
            "season); relative MASE below 1 beats it. Intervals are calibrated on the errors "
            "of earlier origins; coverage is measured on origins not used to calibrate. "
            "Chosen: **{chosen}** (lowest MASE)."
        ).format(
            origins=ui.number(fit.origins),
            ahead=ahead,
            chosen=forecast.model_name(fit.chosen, ui.lang()),
        )
    )
    table = fit.scores.assign(chosen=fit.scores["model"] == fit.chosen)
    ui.grid(backtest_table(table), labels=BACKTEST_LABELS)
    ui.chart(
        ui.figure(
            charts.accuracy_by_horizon,
            fit.by_horizon,
            "day" if freq == "D" else "hour",
            lang=ui.lang(),
        ),
        fit.by_horizon,
        f"backtest_{freq}_{shown}",
    )
    if freq == "H":
        by_hour = forecast.error_by_hour(fit)
        ui.chart(
            ui.figure(charts.accuracy_by_hour, by_hour, lang=ui.lang()),
            by_hour,
            f"backtest_hours_{shown}",
        )
