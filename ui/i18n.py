"""The session's language, its words and formats (:mod:`analytics.i18n` for this session).

The language is, in order: the one chosen in the sidebar this session;
``?lang=fr`` in the URL, so that a shared link keeps it; the browser's;
the desk's (``[desk] lang``). Pages write ``_("Tickets created")`` and
``n_("{n} ticket", "{n} tickets", count)``; ``make messages`` finds them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from analytics import i18n
from analytics.i18n import LANGS, N_
from ui.cache import settings

__all__ = ["N_", "_", "lang", "n_"]


def lang() -> str:
    """Return the session's language code (``en`` or ``fr``)."""
    kept = st.session_state.get("kept_lang")
    if kept in LANGS:
        return kept
    chosen = (
        i18n.lang_of(st.query_params.get("lang"))
        or _browser_lang()
        or i18n.lang_of(settings().desk_lang)
        or i18n.DEFAULT_LANG
    )
    st.session_state["kept_lang"] = chosen
    return chosen


def _browser_lang() -> str | None:
    # navigator.language arrives with the browser's first rerun request; the
    # page's own request carries Accept-Language from the start.
    try:
        tag = st.context.locale or st.context.headers.get("Accept-Language")
    except (AttributeError, RuntimeError):
        return None
    return i18n.lang_of(tag)


def _(message: str) -> str:
    """Return ``message`` in the session's language."""
    return i18n.gettext(lang(), message)


def n_(singular: str, plural: str, n: int) -> str:
    """Return the form of a message for ``n`` in the session's language, ``{n}`` filled in."""
    return i18n.ngettext(lang(), singular, plural, n).replace("{n}", number(n))


def describe(error: BaseException) -> str:
    """Return ``error``'s one line in the session's language (:func:`analytics.i18n.describe`)."""
    return i18n.describe(error, lang())


def language_switch() -> None:
    """Draw the sidebar's language switch; a choice applies at once and goes in the URL."""
    st.session_state["lang"] = lang()
    st.sidebar.segmented_control(
        _("Language"),
        LANGS,
        format_func=i18n.NAMES.get,
        key="lang",
        required=True,
        on_change=_lang_chosen,
    )


def _lang_chosen() -> None:
    st.session_state["kept_lang"] = st.session_state["lang"]


def number(value: float, decimals: int = 0) -> str:
    """Return ``value`` with the session's separators: ``12,345`` or ``12 345``."""
    return i18n.number(value, lang(), decimals)


def percent(value: float, decimals: int = 0) -> str:
    """Return a percentage given in points: ``65.2%`` or ``65,2 %``."""
    return i18n.percent(value, lang(), decimals)


def hours(value: float | None, decimals: int = 1) -> str:
    """Return a duration in hours for a card: ``3.5 h`` or ``3,5 h`` (``-`` when unknown)."""
    return "-" if value is None else i18n.hours(value, lang(), decimals)


def signed(value: float, decimals: int = 0, unit: str = "") -> str:
    """Return a change with its sign: ``+410``, ``-3,1 %``; ``±0`` when it rounds to zero."""
    return i18n.signed(value, lang(), decimals, unit)


def signed_percent(points: float, decimals: int = 0) -> str:
    """Return a change in percentage points with its sign: ``+12%``, ``+12 %``, ``±0%``."""
    return i18n.signed_percent(points, lang(), decimals)


def long_date(day: date, weekday: bool = True) -> str:
    """Return ``Monday 7 September 2026`` or ``lundi 7 septembre 2026``."""
    return i18n.long_date(day, lang(), weekday)


def short_date(day: date) -> str:
    """Return ``7 Sep 2026`` or ``7 sept. 2026``."""
    return i18n.short_date(day, lang())


def date_time(moment: datetime, weekday: bool = True) -> str:
    """Return ``Friday 2 January 2026, 14:05`` in ``moment``'s own zone."""
    return i18n.date_time(moment, lang(), weekday)


def ago(elapsed: timedelta) -> str:
    """Return ``3 days ago`` or ``il y a 3 jours``."""
    return i18n.ago(elapsed, lang())


def weekday_names(short: bool = False) -> list[str]:
    """Return the weekdays from Monday in the session's language."""
    return i18n.weekday_names(lang(), short)


def month_names(short: bool = False) -> list[str]:
    """Return the months from January in the session's language."""
    return i18n.month_names(lang(), short)


def labelled(frame: pd.DataFrame, labels: dict[str, str], tz: str | None = None) -> pd.DataFrame:
    """Return ``frame`` for the screen: columns named by ``labels`` (English, translated here),
    timestamps as readable text in ``tz``, and only the columns ``labels`` names, in its order.

    Downloads keep the machine's names and ISO dates: give them ``frame`` itself.
    """
    shown = frame[[column for column in labels if column in frame.columns]].copy()
    for column in shown.columns:
        if isinstance(shown[column].dtype, pd.DatetimeTZDtype) and tz is not None:
            shown[column] = shown[column].dt.tz_convert(tz)
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].map(
                lambda moment: "" if pd.isna(moment) else i18n.short_date_time(moment, lang())
            )
    return shown.rename(columns={column: _(label) for column, label in labels.items()})
