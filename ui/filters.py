"""The shared sidebar: source, period, filters, time zone and clock, mirrored in the URL."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import date, timedelta

import streamlit as st

from analytics import access, metrics
from analytics.settings import SAMPLE_SOURCE
from ui.auth import current_user, user_badge
from ui.cache import data_version, in_frame, settings, source_facts, sources_frame
from ui.text import md_escape

PERIODS = ("Last 7 days", "Last 28 days", "Last 90 days", "This quarter", "All", "Custom")
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
    "region": "Region",
    "team": "Team",
    "channel": "Channel",
    "category": "Category",
    "priority": "Priority",
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
    params = st.query_params
    frame = sources_frame(data_version())
    if frame.empty:
        st.sidebar.info("No data yet: import an export on the Data page.")
        return None
    source = _source_choice(frame["source"].tolist(), params)
    span, values = source_facts(source, data_version())

    zones = time_zones()
    _restore("tz", params.get("tz"), settings().default_tz, lambda v: v in zones)
    # Drawn below, with the filters; a new choice is kept before this run.
    tz = st.session_state["kept_tz"]
    last_day = span.as_of.astimezone(zoneinfo.ZoneInfo(tz)).date()
    first_day = span.first_created_at.astimezone(zoneinfo.ZoneInfo(tz)).date()
    period, (start_day, end_day) = _period_choice(params, first_day, last_day)
    chosen = _filter_choices(params, values)
    # Lazy, like the filters: the zone list is drawn while its expander is open.
    zone_box = st.sidebar.expander(f"Time zone: {tz}", key="tz_box", on_change="rerun")
    if zone_box.open:
        zone_box.selectbox("Display time zone", zones, key="tz", on_change=_zone_chosen)
    _restore("business_hours", params.get("hours") == "business" or None, False)
    business = st.sidebar.toggle(
        "Business hours",
        key="business_hours",
        on_change=_keep,
        args=("business_hours",),
        help="Durations count only the hours inside each team's schedule.",
    )
    custom = {"from": start_day.isoformat(), "to": end_day.isoformat()}
    st.query_params.from_dict(
        {
            "source": source,
            "period": period,
            "tz": tz,
            **(custom if period == "Custom" else {}),
            **{d: list(v) for d, v in chosen.items() if v},
            **({"hours": "business"} if business else {}),
        }
    )
    start, end = metrics.period(start_day, end_day, tz)
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
            "Data source",
            names,
            required=True,
            format_func=md_escape,
            key="source",
            on_change=_keep,
            args=("source",),
        )
    return st.sidebar.selectbox(
        "Data source", names, key="source", on_change=_keep, args=("source",)
    )


def _period_choice(params, first_day: date, last_day: date) -> tuple[str, tuple[date, date]]:
    """Draw the period pills (and the custom range); return the period and its days."""
    _restore("period", params.get("period"), "Last 90 days", lambda v: v in PERIODS)
    period = st.sidebar.pills(
        "Period",
        PERIODS,
        required=True,
        key="period",
        on_change=_keep,
        args=("period",),
        help=f"Relative to the source's last event, {last_day:%Y-%m-%d}.",
    )
    if period != "Custom":
        return period, _preset_days(period, first_day, last_day)
    try:
        from_url = (date.fromisoformat(params["from"]), date.fromisoformat(params["to"]))
    except (KeyError, ValueError):
        from_url = None
    _restore(
        "custom_range",
        from_url,
        (max(first_day, last_day - timedelta(27)), last_day),
        lambda v: len(v) == 2 and first_day <= v[0] <= v[1] <= last_day,
    )
    picked = st.sidebar.date_input(
        "From - to",
        min_value=first_day,
        max_value=last_day,
        key="custom_range",
        on_change=_keep,
        args=("custom_range",),
    )
    return period, ((picked[0], picked[-1]) if picked else (first_day, last_day))


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
        "Filters", expanded=any(chosen.values()), key="filters", on_change="rerun"
    )
    if filters.open:
        with filters:
            for dimension, label in FILTERS.items():
                key = f"filter_{dimension}"
                chosen[dimension] = tuple(
                    st.multiselect(
                        label,
                        values.get(dimension, []),
                        key=key,
                        placeholder="All",
                        on_change=_keep,
                        args=(key,),
                    )
                )
    elif any(chosen.values()):
        summary = "; ".join(f"{FILTERS[d]} {', '.join(v)}" for d, v in chosen.items() if v)
        st.sidebar.caption(f"Filtered: {md_escape(summary)}")
    return chosen


def _preset_days(period: str, first_day: date, last_day: date) -> tuple[date, date]:
    if period == "All":
        return first_day, last_day
    if period == "This quarter":
        quarter_start = date(last_day.year, 3 * ((last_day.month - 1) // 3) + 1, 1)
        return max(first_day, quarter_start), last_day
    days = int(period.split()[1])
    return max(first_day, last_day - timedelta(days=days - 1)), last_day
