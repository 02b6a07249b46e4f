"""Backlog: open and awaiting tickets over time, when it builds up, how old it is."""

import streamlit as st

import ui
from analytics import charts, coverage, metrics
from ui import N_, _

GRAINS = {"hour": N_("Hour"), "day": N_("Day")}
DEFAULT_GRAIN = "day"
DIVIDER = "gray"
# The heatmaps' tabs, in their order.
TABS = {
    "arrivals": N_("Arrivals"),
    "backlog": N_("Open backlog"),
    "first_response": N_("First response by arrival hour"),
}

st.title(_("Backlog"))
selection = ui.selection()
if selection is None:
    st.info(_("The store is empty. Import a helpdesk export on the Data page."))
    st.stop()
lang = ui.lang()

cards = st.columns(3)
grain = ui.choice(_("Resolution"), GRAINS, DEFAULT_GRAIN, "backlog_grain")
# Only what is shown is computed: another resolution is one more query, then cached.
page = ui.cached(metrics.backlog_page, selection, settings=ui.settings(), grain=grain)
missing = ui.cached(coverage.missing_inputs, selection.source, lang=lang)
for reason in missing.values():
    st.caption(ui.md_escape(reason))
clear = page.now.clear
cards[0].metric(_("Open at the end of the period"), ui.number(int(clear["backlog_open"] or 0)))
if "done" in missing:
    # Without resolutions or closings every ticket stays open: no pace of clearing.
    for column, label in (
        (cards[1], _("Resolved per day (last 28 days)")),
        (cards[2], _("Days to clear")),
    ):
        column.metric(label, **ui.not_in_source(missing["done"]))
else:
    cards[1].metric(
        _("Resolved per day (last 28 days)"),
        "-" if clear["resolved_per_day"] is None else ui.number(clear["resolved_per_day"], 1),
    )
    cards[2].metric(
        _("Days to clear"),
        "-" if clear["days_to_clear"] is None else ui.number(clear["days_to_clear"], 1),
        help=_("Open backlog / mean daily resolutions over the last 28 days."),
    )
# Without first responses, every open ticket would read as awaiting one: those parts go.
without_first_response = "first_response" in missing
series = page.series
if without_first_response:
    series = series.drop(columns="awaiting_first_response")
state = ui.chart(
    ui.figure(charts.backlog_lines, series, ui.events_for(selection), lang=lang),
    series,
    f"backlog_{grain}",
    select=True,
)
kinds = ("open_at",) if without_first_response else ("open_at", "awaiting_at")
ui.tickets_below(state, selection, kinds, f"backlog_{grain}", grain=grain)

st.subheader(_("When the backlog builds up"), divider=DIVIDER)
st.caption(_("Weekdays and hours in {tz}.").format(tz=selection.tz))
heatmap = page.heatmap
# Lazy tabs: only the open tab's heatmap is built and drawn.
tabs = st.tabs([_(label) for label in TABS.values()], key="backlog_heatmap", on_change="rerun")
heatmaps = (
    ("arrivals", "arrivals_mean", _("Mean tickets created per hour (by creation date)"), "tickets"),
    ("backlog", "backlog_mean", _("Mean open backlog at the end of the hour"), "tickets"),
    (
        "first_response",
        "frt_median_h",
        _("Median first response of tickets created in that hour ({hours})").format(
            hours=ui.hours_label(selection)
        ),
        "hours",
    ),
)
units = {"tickets": _("tickets"), "hours": _("hours")}
for tab, (name, column, title, unit) in zip(tabs, heatmaps, strict=True):
    if tab.open:
        with tab:
            if name == "first_response" and without_first_response:
                st.info(
                    _("{what}: {absent}. {reason}").format(
                        what=_("First response"),
                        absent=_(coverage.NOT_IN_SOURCE),
                        reason=ui.md_escape(missing["first_response"]),
                    )
                )
                continue
            # Arrivals and first responses are of the tickets created in the cell;
            # a mean backlog is of no set of tickets, so its cells list none.
            clickable = name != "backlog"
            state = ui.chart(
                ui.figure(
                    charts.weekday_hour_heatmap, heatmap, column, title, units[unit], lang=lang
                ),
                heatmap,
                f"heatmap_{name}",
                empty=heatmap.empty or heatmap[column].isna().all(),
                select=clickable,
            )
            if clickable:
                # trace 0 is the heatmap, 1 the clickable cells over it
                ui.tickets_below(state, selection, (None, "weekday_hour"), f"heatmap_{name}")

age = page.now.age
if without_first_response:
    age = age.drop(columns="awaiting_first_response")
state = ui.chart(
    ui.figure(charts.backlog_age_bar, age, lang=lang),
    age,
    "backlog_age",
    empty=age["open"].sum() == 0,
    empty_message=_("No ticket was open at the end of the period."),
    select=True,
)
# one trace of all open tickets, or answered then awaiting, stacked
aged = ("open_aged",) if without_first_response else ("answered_aged", "awaiting_aged")
ui.tickets_below(state, selection, aged, "backlog_age")
