"""Events: the calendar (edit, import, export, public holidays) and the measured impact of an event."""

import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from analytics import access, access_words, charts, events
from analytics.forecast import impact
from ui import N_, _

DIVIDER = "gray"
# Values typed into fields, the same in every language.
EVERY_REGION, DEFAULT_COUNTRY, GROWING = "all", "FR", "dynamic"
CALENDAR_LABELS = {
    "name": N_("Name"),
    "kind_name": N_("Kind"),
    "region": N_("Region"),
    "source": N_("For"),
    "starts": N_("Start"),
    "ends": N_("End"),
    "notes": N_("Notes"),
}

st.title(_("Events"))
selection = ui.selection()
user = ui.current_user()
can_edit = user.can("edit_events")
st.caption(
    _(
        "What happened, or will happen, that moves ticket volumes or response times. Every time "
        "chart draws the events of its period as labelled bands."
    )
)


def _kind(code: str) -> str:
    return _(code) if code in events.KINDS else code


# Made now, in this run's language: a widget may format its options later.
KIND_NAMES = {code: _kind(code) for code in events.KINDS}


def _day(value) -> str:
    """Return a calendar day as the session writes it, empty for none."""
    return "" if value is None or pd.isna(value) else ui.short_date(pd.Timestamp(value).date())


def _pct(value: float) -> str:
    """Return a change in percent with its sign: ``+12%``, ``+12 %`` in French."""
    return ui.signed(value, 0, "\u00a0%" if ui.lang() == "fr" else "%")


def _signed_hours(value: float) -> str:
    return ui.signed(value, 1, "\u00a0h")


def _failed(what: str, exc: Exception) -> None:
    """Show why ``what`` failed (``what`` from the catalogue), the reason in the session's language."""
    st.error(what.format(why=ui.md_escape(ui.describe(exc))))


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


EVERY_SOURCE = _("All sources")


def _scope_label(value: str) -> str:
    return EVERY_SOURCE if value == events.ALL_SOURCES else value


if message := st.session_state.pop("events_message", None):
    st.success(message)

st.subheader(_("Calendar"), divider=DIVIDER)
if can_edit:
    with st.form("add_event", clear_on_submit=True, border=True):
        st.markdown("**" + _("Add an event") + "**")
        cols = st.columns([3, 2, 2, 2, 2])
        name = cols[0].text_input(_("Name"), key="new_event_name")
        kind = cols[1].selectbox(
            _("Kind"), events.KINDS, format_func=KIND_NAMES.get, key="new_event_kind"
        )
        region = cols[2].text_input(_("Region"), value=EVERY_REGION, key="new_event_region")
        starts_on = cols[3].date_input(_("Start"), value=None, key="new_event_start")
        ends_on = cols[4].date_input(_("End (optional)"), value=None, key="new_event_end")
        cols = st.columns([3, 2])
        notes = cols[0].text_input(_("Notes"), key="new_event_notes")
        owner = cols[1].selectbox(
            _("For"), scopes, format_func=_scope_label, key="new_event_source"
        )
        if st.form_submit_button(_("Add event"), icon=":material/add:"):
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
                _failed(_("The event was not added: {why}"), exc)
            else:
                _message(
                    _("Added '{name}' ({count}).").format(
                        name=ui.md_escape(name),
                        count=ui.n_("{n} event", "{n} events", counts["added"]),
                    )
                )
                _refresh_editor()
                st.rerun()

    edited = st.data_editor(
        calendar,
        key=f"events_editor_{st.session_state.get('editor_version', 0)}",
        num_rows=GROWING,
        hide_index=True,
        width="stretch",
        column_order=("name", "kind", "region", "source", "starts_on", "ends_on", "notes"),
        column_config={
            "event_id": None,
            "name": st.column_config.TextColumn(_("Name"), required=True, max_chars=200),
            "kind": st.column_config.SelectboxColumn(
                _("Kind"), options=events.KINDS, required=True, format_func=KIND_NAMES.get
            ),
            "region": st.column_config.TextColumn(
                _("Region"), default=EVERY_REGION, help=_("A region, or all")
            ),
            "source": st.column_config.SelectboxColumn(
                _("For"),
                options=scopes,
                default=scopes[0],
                required=True,
                format_func=_scope_label,
                help=_("This source only, or every source"),
            ),
            # Typed as they are stored: the ISO form reads the same in every language.
            "starts_on": st.column_config.DateColumn(
                _("Start"), required=True, format="YYYY-MM-DD"
            ),
            "ends_on": st.column_config.DateColumn(_("End"), format="YYYY-MM-DD"),
            "notes": st.column_config.TextColumn(_("Notes")),
        },
    )
    cols = st.columns([1, 1, 2])
    if cols[0].button(_("Save changes"), icon=":material/save:", key="save_events"):
        try:
            with ui.cursor() as cur:
                counts = events.save_events(
                    cur, edited, source=source, actor=user, based_on=calendar
                )
        except (events.EventsError, access.PermissionDenied) as exc:
            _failed(_("Nothing was saved: {why}"), exc)
            if isinstance(exc, events.CalendarChanged):
                st.button(_("Reload the calendar"), on_click=_refresh_editor, key="reload_events")
        else:
            _message(
                _("Saved: {added} added, {changed} changed, {deleted} deleted.").format(
                    added=ui.number(counts["added"]),
                    changed=ui.number(counts["changed"]),
                    deleted=ui.number(counts["deleted"]),
                )
            )
            _refresh_editor()
            st.rerun()
    with st.expander(_("Import a CSV file or add public holidays")):
        upload = st.file_uploader(
            _("Events CSV (name, kind, region, source, start, end, notes)"),
            type=["csv"],
            key="events_upload",
        )
        default_owner = st.selectbox(
            _("Rows without a source belong to"),
            scopes,
            format_func=_scope_label,
            key="import_source",
            help=_("A row's own source cell (a source name, or all) wins."),
        )
        if upload is not None and st.button(_("Import events"), key="import_events"):
            with tempfile.TemporaryDirectory(prefix="backlog-radar-events-") as folder:
                path = Path(folder) / "events.csv"
                path.write_bytes(upload.getvalue())
                try:
                    with ui.cursor() as cur:
                        count = events.import_events_csv(
                            cur, path, source=default_owner, actor=user
                        )
                except (events.EventsError, access.PermissionDenied) as exc:
                    _failed(_("Nothing was imported: {why}"), exc)
                else:
                    _message(
                        _("Imported {count} from {file}.").format(
                            count=ui.n_("{n} event", "{n} events", count),
                            file=ui.md_escape(upload.name),
                        )
                    )
                    _refresh_editor()
                    st.rerun()
        st.divider()
        cols = st.columns(5)
        country = cols[0].text_input(
            _("Country (ISO code)"), value=DEFAULT_COUNTRY, max_chars=6, key="holiday_country"
        )
        holiday_region = cols[1].text_input(
            _("For region"), value=EVERY_REGION, key="holiday_region"
        )
        holiday_owner = cols[2].selectbox(
            _("For"), scopes, format_func=_scope_label, key="holiday_source"
        )
        this_year = date.today().year
        first_year, last_year = cols[3].slider(
            _("Years"), 2015, this_year + 2, (this_year - 3, this_year + 1), key="holiday_years"
        )
        if cols[4].button(
            _("Add public holidays"), icon=":material/celebration:", key="add_holidays"
        ):
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
                st.error(ui.md_escape(ui.describe(exc)))
            else:
                _message(
                    _("Added the public holidays of {country}: {days}.").format(
                        country=ui.md_escape(country.upper()),
                        days=ui.n_("{n} day", "{n} days", count),
                    )
                )
                _refresh_editor()
                st.rerun()
else:
    role = _(access_words.ROLE_NAMES.get(user.role, user.role))
    st.caption(
        _("You are a {role}: editing the calendar needs the analyst role.").format(role=role)
    )
    ui.grid(
        calendar.assign(
            kind_name=calendar["kind"].map(_kind),
            source=calendar["source"].map(_scope_label),
            starts=calendar["starts_on"].map(_day),
            ends=calendar["ends_on"].map(_day),
        ),
        labels=CALENDAR_LABELS,
    )
st.download_button(
    _("Export CSV"),
    ui.cached(events.export_events_csv, source),
    file_name="events.csv",
    mime="text/csv",
    icon=":material/download:",
    key="export_events",
)


st.subheader(_("Impact of an event"), divider=DIVIDER)
if selection is None:
    st.info(_("Import a helpdesk export to measure the impact of its events."))
    st.stop()
past = calendar[calendar["kind"] != "season"].sort_values("starts_on", ascending=False)
if past.empty:
    st.info(_("Add an event to the calendar to measure its impact."))
    st.stop()
labels = {
    int(r.event_id): _("{name} ({region}, from {day})").format(
        name=r.name, region=r.region, day=_day(r.starts_on)
    )
    for r in past.itertuples()
}
picked = st.selectbox(
    _("Event"),
    list(labels),
    format_func=labels.get,
    key="impact_event",
    index=None,
    placeholder=_("Choose an event"),
)
if picked is None:
    st.stop()
st.caption(
    _(
        "Measured on source '{source}', days in {zone}. The fit takes a few seconds the first time."
    ).format(source=ui.md_escape(selection.source), zone=ui.md_escape(selection.tz))
)
try:
    with st.spinner(_("Fitting the intervention model…")):
        result = ui.cached(impact.estimate, selection.source, picked, selection.tz)
except impact.ImpactError as exc:
    st.warning(
        _("This event's impact cannot be measured: {why}").format(
            why=ui.md_escape(ui.describe(exc))
        )
    )
    st.stop()

st.markdown(f"**{ui.md_escape(result.sentence())}**")
arr, did = result.arrivals, result.did
cards = st.columns(4)


def _interval(low: str, high: str) -> str:
    return _("95% interval {low} to {high}.").format(low=low, high=high)


cards[0].metric(
    _("Tickets/day (intervention)"),
    _pct(arr.effect_pct),
    help=_interval(_pct(arr.low_pct), _pct(arr.high_pct)) + f" {ui.md_escape(arr.model)}.",
)
cards[1].metric(
    _("Tickets/day (difference in differences)"),
    "-" if did is None else _pct(did.effect_pct),
    help=None if did is None else _interval(_pct(did.low_pct), _pct(did.high_pct)),
)
cards[2].metric(
    _("Extra tickets per day"),
    ui.signed(arr.effect_abs, 1),
    help=_("Against {baseline} a day without the event.").format(
        baseline=ui.number(arr.baseline, 1)
    ),
)
frt = result.first_response
cards[3].metric(
    _("Median first response"),
    "-" if frt is None else _signed_hours(frt.effect_abs),
    help=None
    if frt is None
    else _interval(_signed_hours(frt.low_abs), _signed_hours(frt.high_abs)),
)
ui.chart(
    ui.figure(
        charts.impact_counterfactual,
        result.series,
        result.event,
        arr.first_day,
        arr.last_day,
        lang=ui.lang(),
    ),
    result.series,
    f"impact_{picked}",
)
METHODS = {"intervention": N_("Intervention model"), "did": N_("Difference in differences")}
estimates = pd.DataFrame(
    [
        {**e.to_dict(), "method": _(METHODS.get(e.method, METHODS["did"]))}
        for e in (arr, did)
        if e is not None
    ]
)
cols = st.columns([2, 3])
with cols[0]:
    st.plotly_chart(
        charts.plain_text(charts.effect_estimates(estimates, lang=ui.lang())),
        key=f"chart_estimates_{picked}",
    )
with cols[1]:
    st.markdown("**" + _("How each estimate was made") + "**")
    for e in (arr, did):
        if e is not None:
            st.markdown(
                "- "
                + _("{method} ({first} to {last}): {model}.").format(
                    method=_(METHODS.get(e.method, METHODS["did"])),
                    first=_day(e.first_day),
                    last=_day(e.last_day),
                    model=ui.md_escape(e.model),
                )
            )
    if result.did_note:
        st.markdown(f"- {ui.md_escape(result.did_note)}")
    st.markdown(_("**Where the extra tickets went** (tickets/day over the event, 95% interval)"))
    categories = result.categories.head(8)
    ui.grid(
        categories.assign(
            per_day=categories["effect_per_day"].map(lambda v: ui.signed(v, 1)),
            low_shown=categories["low"].map(lambda v: ui.signed(v, 1)),
            high_shown=categories["high"].map(lambda v: ui.signed(v, 1)),
            share=categories["share_pct"].map(lambda v: ui.percent(v)),
        ),
        labels={
            "category": N_("Category"),
            "per_day": N_("Extra per day"),
            "low_shown": N_("Low"),
            "high_shown": N_("High"),
            "share": N_("Share"),
        },
    )
if user.can("save_effects") and st.button(
    _("Save this effect for the forecast"),
    icon=":material/bookmark_add:",
    key="save_effect",
    help=_("The forecast applies saved effects to planned events of the same kind."),
):
    with ui.cursor() as cur:
        ids = impact.save_effects(cur, result, actor=user)
    st.success(
        _("Saved {count} for {event}.").format(
            count=ui.n_("{n} estimate", "{n} estimates", len(ids)),
            event=ui.md_escape(result.event["name"]),
        )
    )
