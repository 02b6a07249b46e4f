"""What every page says of the data's state: how fresh it is, and an old store left beside it."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from analytics import convert, metrics
from ui.cache import CACHE_TTL, connection, data_version, settings, sources_frame
from ui.i18n import _, ago, date_time
from ui.text import md_escape

# Data older than this, at the moment of reading, says how old it is.
STALE_AFTER = timedelta(days=1)


def freshness_line(source: str, span: metrics.SourceSpan, tz: str) -> None:
    """Draw "Data up to Friday 2 January 2026, 14:05 (Europe/Paris); imported 3 days ago."

    The data's last event is the moment the export was taken, for all
    practical purposes; the import is when it reached the store. A source
    whose last event is long past says so, so old data never passes for live.
    """
    if span.as_of is None:
        return
    now = datetime.now(UTC)
    moment = date_time(span.as_of.astimezone(zoneinfo.ZoneInfo(tz)))
    if now - span.as_of > STALE_AFTER:
        text = _("Data up to {moment} ({zone}), {age}").format(
            moment=moment, zone=md_escape(tz), age=ago(now - span.as_of)
        )
    else:
        text = _("Data up to {moment} ({zone})").format(moment=moment, zone=md_escape(tz))
    imported = _last_import(source)
    if imported is not None:
        text += _("; imported {age}").format(age=ago(now - imported))
    st.caption(
        f":material/update: {text}.",
        help=_("The latest event the source records, and its last import."),
    )


def _last_import(source: str) -> datetime | None:
    frame = sources_frame(data_version())
    rows = frame.loc[frame["source"] == source, "last_import_at"]
    if rows.empty or pd.isna(rows.iloc[0]):
        return None
    moment = pd.Timestamp(rows.iloc[0])
    return (moment if moment.tzinfo else moment.tz_localize(UTC)).to_pydatetime()


@st.cache_data(ttl=CACHE_TTL, max_entries=4, show_spinner=False)
def _old_store(version: int) -> str | None:
    """Return the unconverted old store beside this one, or None; ``version`` keys the cache."""
    del version
    old = convert.old_store_beside(settings(), con=connection())
    return None if old is None else str(old)


def old_store_notice(user) -> None:
    """Tell an admin when a store of the format before DuckLake sits unconverted beside this one."""
    if not user.can("convert_store"):
        return
    old = _old_store(data_version())
    if old is not None:
        st.sidebar.warning(
            _(
                "A store of the earlier format is at {path}. Its data is not shown here: "
                "convert it once with {command}"
            ).format(
                path=md_escape(old),
                command=md_escape(f"python -m analytics convert-store {old}"),
            ),
            icon=":material/move_up:",
        )
