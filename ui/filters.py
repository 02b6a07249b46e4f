"""The shared sidebar: source, period, filters, time zone and clock, mirrored in the URL."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import date, timedelta

import streamlit as st

from analytics import access, metrics
from analytics.i18n import N_
from analytics.settings import SAMPLE_SOURCE
from ui.auth import current_user, user_badge
from ui.cache import cached, data_version, in_frame, settings, source_facts, sources_frame
from ui.freshness import freshness_line
from ui.i18n import _, lang, language_switch, long_date
from ui.text import md_escape

# The period codes, which the URL carries, are their English names.
PERIODS = (
    N_("Last 7 days"),
    N_("Last 28 days"),
    N_("Last 90 days"),
    N_("This quarter"),
    N_("All"),
    N_("Custom"),
)
# A thin tail longer than this moves the default period back to the dense weeks.
THIN_TAIL_DAYS = 7
# Up to this many sources are buttons in the sidebar; more are a dropdown.
MAX_SOURCE_BUTTONS = 6
COMMON_ZONES = (
    "UTC",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Singapore",
)
FILTERS = {
    "region": N_("Region"),
    "team": N_("Team"),
    "channel": N_("Channel"),
    "category": N_("Category"),
    "priority": N_("Priority"),
}


def selection() -> metrics.Selection | None:
    """Return the shared sidebar's selection for the page being drawn.

    app.py draws the sidebar before running the page. A page run without it
    (AppTest, which runs a page straight from ``pages/``) draws the same
    sidebar itself, so it never renders without filters.
    """
    if in_frame():
        return st.session_state.get("selection")
    # A session that has never been through the frame is on its first run,
    # which carries no click for a rerun to lose. (AppTest resets Streamlit's
    # mode on every run, so its later runs stay as they are.)
    if "selection" not in st.session_state and _leave_pages_folder_mode():
        st.rerun()
    return sidebar()


def _leave_pages_folder_mode() -> bool:
    """Switch Streamlit from its ``pages/`` folder mode to app.py's navigation; return if it was on.

    Until a session has run ``st.navigation``, Streamlit treats the
    ``pages/`` folder as the app (its multipage mode before ``st.navigation``):
    the first deep link after a restart ran the page without app.py, with
    the file names as navigation and a narrow layout. The flag is the one
    ``st.navigation`` itself clears; a rerun then goes through app.py, to
    the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory:
        return False
    PagesManager.uses_pages_directory = False
    return True


def _restore(key: str, from_url, default, valid=lambda value: True) -> None:
    """Give widget ``key`` its value before it is drawn.

    Streamlit drops a widget's state when a run ends without drawing it (a
    page switch that interrupts a run), so each choice is also kept under a
    key no widget owns. The value is, in order: the kept choice, the URL's
    (a shared link, on first load), the default.
    """
    kept = st.session_state.get(f"kept_{key}")
    if kept is not None and valid(kept):
        value = kept
    elif from_url not in (None, [], "") and valid(from_url):
        value = from_url
    else:
        value = default
    st.session_state[key] = value
    st.session_state[f"kept_{key}"] = value


def _keep(key: str) -> None:
    st.session_state[f"kept_{key}"] = st.session_state[key]


def _zone_chosen() -> None:
    _keep("tz")
    # The box's label names the zone, and the browser draws a relabelled
    # expander closed: close it here too, so that the two agree.
    st.session_state["tz_box"] = False


@functools.cache
def time_zones() -> list[str]:
    """Return the zones the sidebar offers, common ones first (read from disk once)."""
    return list(COMMON_ZONES) + sorted(zoneinfo.available_timezones() - set(COMMON_ZONES))


def sidebar(user: access.User | None = None) -> metrics.Selection | None:
    """Draw the shared sidebar; return the selection it describes (None for an empty store).

    The choices are mirrored in the URL query string so a link shares the view.
    ``user`` is who app.py let in; without it (a page run without the frame)
    nobody gets this far without being signed in (:func:`current_user`).
    """
    user_badge(user or current_user())
    language_switch()
    params = st.query_params
    frame = sources_frame(data_version())
    if frame.empty:
        st.sidebar.info(_("No data yet: import an export on the Data page."))
        st.query_params.from_dict({"lang": lang()})
        return None
    source = _source_choice(frame["source"].tolist(), params)
    span, values = source_facts(source, data_version())

    zones = time_zones()
    _restore("tz", params.get("tz"), settings().display_tz, lambda v: v in zones)
    # Drawn below, with the filters; a new choice is kept before this run.
    tz = st.session_state["kept_tz"]
    days = _days_of(source, span, tz)
    period, (start_day, end_day) = _period_choice(params, days)
    chosen = _filter_choices(params, values)
    business = _zone_and_clock(params, tz, zones)
    custom = {"from": start_day.isoformat(), "to": end_day.isoformat()}
    st.query_params.from_dict(
        {
            "source": source,
            "period": period,
            "tz": tz,
            "lang": lang(),
            **(custom if period == "Custom" else {}),
            **{d: list(v) for d, v in chosen.items() if v},
            **({"hours": "business"} if business else {}),
        }
    )
    start, end = metrics.period(start_day, end_day, tz)
    freshness_line(source, span, tz)
    return metrics.Selection(
        source=source,
        start=start,
        end=end,
        tz=tz,
        regions=chosen["region"],
        teams=chosen["team"],
        channels=chosen["channel"],
        categories=chosen["category"],
        priorities=chosen["priority"],
        business_hours=business,
    )


def _zone_and_clock(params, tz: str, zones: list[str]) -> bool:
    """Draw the time zone box and the business-hours toggle; return whether business hours apply."""
    # Lazy, like the filters: the zone list is drawn while its expander is open.
    zone_box = st.sidebar.expander(
        _("Time zone: {zone}").format(zone=tz), key="tz_box", on_change="rerun"
    )
    if zone_box.open:
        zone_box.selectbox(_("Display time zone"), zones, key="tz", on_change=_zone_chosen)
    _restore("business_hours", params.get("hours") == "business" or None, False)
    return st.sidebar.toggle(
        _("Business hours"),
        key="business_hours",
        on_change=_keep,
        args=("business_hours",),
        help=_("Durations count only the hours inside each team's schedule."),
    )


def _source_choice(names: list[str], params) -> str:
    """Draw the source picker; return the chosen source."""
    _restore(
        "source",
        params.get("source"),
        SAMPLE_SOURCE if SAMPLE_SOURCE in names else names[0],
        lambda v: v in names,
    )
    # A few choices are buttons, one click each. A dropdown loads its own
    # script files, a noticeable share of a page's load in the browser, so
    # the sidebar draws one only for a long list.
    if len(names) <= MAX_SOURCE_BUTTONS:
        # A pill renders its option as Markdown.
        return st.sidebar.pills(
            _("Data source"),
            names,
            required=True,
            format_func=md_escape,
            key="source",
            on_change=_keep,
            args=("source",),
        )
    return st.sidebar.selectbox(
        _("Data source"), names, key="source", on_change=_keep, args=("source",)
    )


class _Days:
    """The local days a source spans, and those its default period shows."""

    def __init__(self, first: date, last: date, complete: date, dense: tuple[date, date] | None):
        self.first, self.last = first, last
        # Relative periods end at the last day the data covers whole.
        self.complete = max(first, min(complete, last))
        self.dense = dense


def _days_of(source: str, span: metrics.SourceSpan, tz: str) -> _Days:
    zone = zoneinfo.ZoneInfo(tz)
    first = span.first_created_at.astimezone(zone).date()
    last = span.as_of.astimezone(zone).date()
    complete = metrics.last_complete_day(span.as_of, tz)
    dense = cached(metrics.dense_span, source, tz)
    return _Days(first, last, complete, dense)


def _default_period(days: _Days) -> tuple[str, tuple[date, date] | None]:
    """Return the period a source opens on: the last 90 days, or, when its last weeks
    hold only a trickle, the 90 days before the trickle began (as a custom range)."""
    if days.dense is None or days.dense[1] >= days.complete - timedelta(THIN_TAIL_DAYS):
        return "Last 90 days", None
    end = max(days.first, days.dense[1])
    return "Custom", (max(days.first, end - timedelta(89)), end)


def _period_choice(params, days: _Days) -> tuple[str, tuple[date, date]]:
    """Draw the period pills (and the custom range); return the period and its days."""
    default, dense_range = _default_period(days)
    _restore("period", params.get("period"), default, lambda v: v in PERIODS)
    period = st.sidebar.pills(
        _("Period"),
        PERIODS,
        required=True,
        format_func=_,
        key="period",
        on_change=_keep,
        args=("period",),
        help=_("Up to the last complete day, {day}.").format(day=long_date(days.complete)),
    )
    if period != "Custom":
        return period, _preset_days(period, days)
    try:
        from_url = (date.fromisoformat(params["from"]), date.fromisoformat(params["to"]))
    except (KeyError, ValueError):
        from_url = None
    _restore(
        "custom_range",
        from_url,
        dense_range or (max(days.first, days.complete - timedelta(27)), days.complete),
        lambda v: len(v) == 2 and days.first <= v[0] <= v[1] <= days.last,
    )
    picked = st.sidebar.date_input(
        _("From - to"),
        min_value=days.first,
        max_value=days.last,
        key="custom_range",
        on_change=_keep,
        args=("custom_range",),
        format="DD/MM/YYYY" if lang() == "fr" else "YYYY-MM-DD",
    )
    if dense_range is not None and tuple(picked) == dense_range:
        st.sidebar.caption(
            _(
                "The weeks after {day} hold only a trickle of tickets: the period ends there."
            ).format(day=long_date(dense_range[1], weekday=False))
        )
    return period, ((picked[0], picked[-1]) if picked else (days.first, days.complete))


def _filter_choices(params, values: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Draw the filters (while their expander is open); return dimension -> chosen values."""
    chosen: dict[str, tuple[str, ...]] = {}
    for dimension in FILTERS:
        options = values.get(dimension, [])
        _restore(
            f"filter_{dimension}",
            [v for v in params.get_all(dimension) if v in options],
            [],
            lambda v, options=options: all(item in options for item in v),
        )
        chosen[dimension] = tuple(st.session_state[f"kept_filter_{dimension}"])
    # Lazy: the five multiselects are drawn only while the expander is open;
    # closed, the kept choices apply. Drawing them is a noticeable share of a
    # page's load in the browser, and most views use no filter.
    filters = st.sidebar.expander(
        _("Filters"), expanded=any(chosen.values()), key="filters", on_change="rerun"
    )
    if filters.open:
        with filters:
            for dimension, label in FILTERS.items():
                key = f"filter_{dimension}"
                chosen[dimension] = tuple(
                    st.multiselect(
                        _(label),
                        values.get(dimension, []),
                        key=key,
                        placeholder=_("All"),
                        on_change=_keep,
                        args=(key,),
                    )
                )
    elif any(chosen.values()):
        summary = "; ".join(f"{_(FILTERS[d])} {', '.join(v)}" for d, v in chosen.items() if v)
        st.sidebar.caption(_("Filtered: {filters}").format(filters=md_escape(summary)))
    return chosen


def _preset_days(period: str, days: _Days) -> tuple[date, date]:
    if period == "All":
        return days.first, days.last
    last = days.complete
    if period == "This quarter":
        quarter_start = date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
        return max(days.first, quarter_start), last
    count = int(period.split()[1])
    return max(days.first, last - timedelta(days=count - 1)), last
