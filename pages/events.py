"""Events: the calendar (edit, import, export, public holidays) and the measured impact of an event."""

import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from analytics import access, charts, events
from analytics.forecast import impact

st.title("Events")
selection = ui.selection()
user = ui.current_user()
can_edit = user.can("edit_events")
st.caption(
    "What happened, or will happen, that moves ticket volumes or response times. Every time "
    "chart draws the events of its period as labelled bands."
)


def _message(text: str) -> None:
    st.session_state["events_message"] = text


def _refresh_editor() -> None:
    # A new key gives the editor the stored calendar instead of its pending edits.
    st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1


# The selected source's calendar: its own events and every source's. Other
# sources' events are neither shown nor touched by a save.
source = None if selection is None else selection.source
# The editor shows the calendar as it was when it opened, and saving checks
# nobody saved another version meanwhile (events.save_events' based_on).
_pinned = f"events_base_{source}_{st.session_state.get('editor_version', 0)}"
if _pinned not in st.session_state:
    st.session_state[_pinned] = ui.cached(events.all_events, source)
calendar = st.session_state[_pinned]
# Where a new event can go: the selected source, or every source.
scopes = list(dict.fromkeys([*([source] if source else []), events.ALL_SOURCES]))
scopes += sorted(set(calendar["source"]) - set(scopes))


def _scope_label(value: str) -> str:
    return "All sources" if value == events.ALL_SOURCES else value


if message := st.session_state.pop("events_message", None):
    st.success(message)

st.subheader("Calendar", divider="gray")
if can_edit:
    with st.form("add_event", clear_on_submit=True, border=True):
        st.markdown("**Add an event**")
        cols = st.columns([3, 2, 2, 2, 2])
        name = cols[0].text_input("Name", key="new_event_name")
        kind = cols[1].selectbox("Kind", events.KINDS, key="new_event_kind")
        region = cols[2].text_input("Region", value="all", key="new_event_region")
        starts_on = cols[3].date_input("Start", value=None, key="new_event_start")
        ends_on = cols[4].date_input("End (optional)", value=None, key="new_event_end")
        cols = st.columns([3, 2])
        notes = cols[0].text_input("Notes", key="new_event_notes")
        owner = cols[1].selectbox("For", scopes, format_func=_scope_label, key="new_event_source")
        if st.form_submit_button("Add event", icon=":material/add:"):
            row = {
                "event_id": None,
                "name": name,
                "kind": kind,
                "region": region,
                "source": owner,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "notes": notes,
            }
            try:
                with ui.cursor() as cur:
                    counts = events.save_events(
                        cur, pd.concat([calendar, pd.DataFrame([row])]), source=source, actor=user
                    )
            except (events.EventsError, access.PermissionDenied) as exc:
                st.error(f"The event was not added: {ui.md_escape(exc)}")
            else:
                _message(f"Added '{ui.md_escape(name)}' ({counts['added']} event).")
                _refresh_editor()
                st.rerun()

    edited = st.data_editor(
        calendar,
        key=f"events_editor_{st.session_state.get('editor_version', 0)}",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_order=("name", "kind", "region", "source", "starts_on", "ends_on", "notes"),
        column_config={
            "event_id": None,
            "name": st.column_config.TextColumn("Name", required=True, max_chars=200),
            "kind": st.column_config.SelectboxColumn("Kind", options=events.KINDS, required=True),
            "region": st.column_config.TextColumn("Region", default="all", help="A region, or all"),
            "source": st.column_config.SelectboxColumn(
                "For",
                options=scopes,
                default=scopes[0],
                required=True,
                format_func=_scope_label,
                help="This source only, or every source",
            ),
            "starts_on": st.column_config.DateColumn("Start", required=True, format="YYYY-MM-DD"),
            "ends_on": st.column_config.DateColumn("End", format="YYYY-MM-DD"),
            "notes": st.column_config.TextColumn("Notes"),
        },
    )
    cols = st.columns([1, 1, 2])
    if cols[0].button("Save changes", icon=":material/save:", key="save_events"):
        try:
            with ui.cursor() as cur:
                counts = events.save_events(
                    cur, edited, source=source, actor=user, based_on=calendar
                )
        except (events.EventsError, access.PermissionDenied) as exc:
            st.error(f"Nothing was saved: {ui.md_escape(exc)}")
            if isinstance(exc, events.CalendarChanged):
                st.button("Reload the calendar", on_click=_refresh_editor, key="reload_events")
        else:
            _message(
                f"Saved: {counts['added']} added, {counts['changed']} changed, "
                f"{counts['deleted']} deleted."
            )
            _refresh_editor()
            st.rerun()
    with st.expander("Import a CSV file or add public holidays"):
        upload = st.file_uploader(
            "Events CSV (name, kind, region, source, start, end, notes)",
            type=["csv"],
            key="events_upload",
        )
        default_owner = st.selectbox(
            "Rows without a source belong to",
            scopes,
            format_func=_scope_label,
            key="import_source",
            help="A row's own source cell (a source name, or all) wins.",
        )
        if upload is not None and st.button("Import events", key="import_events"):
            with tempfile.TemporaryDirectory(prefix="backlog-radar-events-") as folder:
                path = Path(folder) / "events.csv"
                path.write_bytes(upload.getvalue())
                try:
                    with ui.cursor() as cur:
                        count = events.import_events_csv(
                            cur, path, source=default_owner, actor=user
                        )
                except (events.EventsError, access.PermissionDenied) as exc:
                    st.error(f"Nothing was imported: {ui.md_escape(exc)}")
                else:
                    _message(f"Imported {count} events from {ui.md_escape(upload.name)}.")
                    _refresh_editor()
                    st.rerun()
        st.divider()
        cols = st.columns(5)
        country = cols[0].text_input(
            "Country (ISO code)", value="FR", max_chars=6, key="holiday_country"
        )
        holiday_region = cols[1].text_input("For region", value="all", key="holiday_region")
        holiday_owner = cols[2].selectbox(
            "For", scopes, format_func=_scope_label, key="holiday_source"
        )
        this_year = date.today().year
        first_year, last_year = cols[3].slider(
            "Years", 2015, this_year + 2, (this_year - 3, this_year + 1), key="holiday_years"
        )
        if cols[4].button("Add public holidays", icon=":material/celebration:", key="add_holidays"):
            try:
                with ui.cursor() as cur:
                    count = events.add_public_holidays(
                        cur,
                        country.strip().upper(),
                        holiday_region.strip(),
                        range(first_year, last_year + 1),
                        source=holiday_owner,
                        actor=user,
                    )
            except (events.EventsError, access.PermissionDenied) as exc:
                st.error(ui.md_escape(exc))
            else:
                _message(
                    f"Added the public holidays of {ui.md_escape(country.upper())}: {count} days."
                )
                _refresh_editor()
                st.rerun()
else:
    st.caption(f"You are a {user.role}: editing the calendar needs the analyst role.")
    ui.grid(
        calendar,
        column_order=("name", "kind", "region", "source", "starts_on", "ends_on", "notes"),
        column_config={
            "name": "Name",
            "kind": "Kind",
            "region": "Region",
            "source": "For",
            "starts_on": st.column_config.DateColumn("Start", format="YYYY-MM-DD"),
            "ends_on": st.column_config.DateColumn("End", format="YYYY-MM-DD"),
            "notes": "Notes",
        },
    )
st.download_button(
    "Export CSV",
    ui.cached(events.export_events_csv, source),
    file_name="events.csv",
    mime="text/csv",
    icon=":material/download:",
    key="export_events",
)


st.subheader("Impact of an event", divider="gray")
if selection is None:
    st.info("Import a helpdesk export to measure the impact of its events.")
    st.stop()
past = calendar[calendar["kind"] != "season"].sort_values("starts_on", ascending=False)
if past.empty:
    st.info("Add an event to the calendar to measure its impact.")
    st.stop()
labels = {
    int(r.event_id): f"{r.name} ({r.region}, from {pd.Timestamp(r.starts_on):%Y-%m-%d})"
    for r in past.itertuples()
}
picked = st.selectbox(
    "Event",
    list(labels),
    format_func=labels.get,
    key="impact_event",
    index=None,
    placeholder="Choose an event",
)
if picked is None:
    st.stop()
st.caption(
    f"Measured on source '{ui.md_escape(selection.source)}', days in {selection.tz}. The fit "
    "takes a few seconds the first time."
)
try:
    with st.spinner("Fitting the intervention model…"):
        result = ui.cached(impact.estimate, selection.source, picked, selection.tz)
except impact.ImpactError as exc:
    st.warning(f"This event's impact cannot be measured: {ui.md_escape(exc)}")
    st.stop()

st.markdown(f"**{ui.md_escape(result.sentence())}**")
arr, did = result.arrivals, result.did
cards = st.columns(4)
cards[0].metric(
    "Tickets/day (intervention)",
    f"{arr.effect_pct:+.0f}%",
    help=f"95% interval {arr.low_pct:+.0f}% to {arr.high_pct:+.0f}%. {arr.model}.",
)
cards[1].metric(
    "Tickets/day (difference in differences)",
    "-" if did is None else f"{did.effect_pct:+.0f}%",
    help=None if did is None else f"95% interval {did.low_pct:+.0f}% to {did.high_pct:+.0f}%.",
)
cards[2].metric(
    "Extra tickets per day",
    f"{arr.effect_abs:+,.1f}",
    help=f"Against {arr.baseline:,.1f} a day without the event.",
)
frt = result.first_response
cards[3].metric(
    "Median first response",
    "-" if frt is None else f"{frt.effect_abs:+.1f} h",
    help=None if frt is None else f"95% interval {frt.low_abs:+.1f} h to {frt.high_abs:+.1f} h.",
)
ui.chart(
    ui.figure(
        charts.impact_counterfactual, result.series, result.event, arr.first_day, arr.last_day
    ),
    result.series,
    f"impact_{picked}",
)
estimates = pd.DataFrame(
    [
        {
            **e.to_dict(),
            "method": "Intervention model"
            if e.method == "intervention"
            else "Diff. in differences",
        }
        for e in (arr, did)
        if e is not None
    ]
)
cols = st.columns([2, 3])
with cols[0]:
    st.plotly_chart(
        charts.plain_text(charts.effect_estimates(estimates)), key=f"chart_estimates_{picked}"
    )
with cols[1]:
    st.markdown("**How each estimate was made**")
    for e in (arr, did):
        if e is not None:
            st.markdown(
                f"- {'Intervention' if e.method == 'intervention' else 'Difference in differences'}"
                f" ({e.first_day:%Y-%m-%d} to {e.last_day:%Y-%m-%d}): {ui.md_escape(e.model)}."
            )
    if result.did_note:
        st.markdown(f"- {ui.md_escape(result.did_note)}")
    st.markdown("**Where the extra tickets went** (tickets/day over the event, 95% interval)")
    ui.grid(
        result.categories.head(8),
        column_config={
            "category": "Category",
            "effect_per_day": st.column_config.NumberColumn("Extra per day", format="%+.1f"),
            "low": st.column_config.NumberColumn("Low", format="%+.1f"),
            "high": st.column_config.NumberColumn("High", format="%+.1f"),
            "share_pct": st.column_config.NumberColumn("Share", format="%.0f%%"),
        },
    )
if user.can("save_effects") and st.button(
    "Save this effect for the forecast",
    icon=":material/bookmark_add:",
    key="save_effect",
    help="The forecast applies saved effects to planned events of the same kind.",
):
    with ui.cursor() as cur:
        ids = impact.save_effects(cur, result, actor=user)
    st.success(f"Saved {len(ids)} estimates for {ui.md_escape(result.event['name'])}.")
