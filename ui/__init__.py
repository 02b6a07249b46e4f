"""Streamlit glue shared by the pages: the store connection, cached queries, sign-in, widgets.

The only package besides the pages that imports Streamlit. The connection is a
``cache_resource`` (one per process, never mutated); every query takes its own
cursor, because a DuckDB connection is not thread-safe and each browser
session runs in its own thread. Query results are ``cache_data`` keyed on the
selection and the store's data version, so an import or a delete invalidates
them at once.

- :mod:`ui.cache`: the connection, cached calls, app.py's frame, the fit workers;
- :mod:`ui.background`: slow results drawn when ready, without holding the page up;
- :mod:`ui.auth`: who is asking, the sign-in screens;
- :mod:`ui.filters`: the shared sidebar (source, period, filters, zone, clock), mirrored in the URL;
- :mod:`ui.widgets`, :mod:`ui.text`: charts and tables with downloads, text as typed.
- :mod:`ui.changes`: the store's recent changes and the undo of an import;
- :mod:`ui.drill`: below a chart, the tickets behind the point clicked;
- :mod:`ui.i18n`: the session's language, its words (``_``, ``n_``) and formats.
"""

from ui.auth import (
    current_user,
    local_users,
    oidc_configured,
    open_access_refusal,
    refusal_screen,
    session_ended,
    sign_in_screen,
    signed_in,
    user_badge,
)
from ui.background import show_when_ready, soon
from ui.cache import (
    cached,
    connection,
    cursor,
    data_version,
    events_for,
    frame,
    metric,
    settings,
    sources_frame,
    start_fit_workers,
    store_problem,
)
from ui.changes import recent_changes
from ui.drill import tickets_below
from ui.filters import COMMON_ZONES, PERIODS, selection, sidebar, time_zones
from ui.freshness import old_store_notice
from ui.i18n import (
    N_,
    _,
    ago,
    date_time,
    describe,
    hours,
    labelled,
    lang,
    language_switch,
    long_date,
    month_names,
    n_,
    number,
    percent,
    short_date,
    signed,
    signed_percent,
    weekday_names,
)
from ui.text import md_escape
from ui.widgets import (
    chart,
    choice,
    download_csv,
    figure,
    grid,
    hours_label,
    not_in_source,
    text_table,
)

__all__ = [
    "N_",
    "_",
    "ago",
    "date_time",
    "describe",
    "labelled",
    "lang",
    "language_switch",
    "long_date",
    "month_names",
    "n_",
    "number",
    "percent",
    "short_date",
    "signed",
    "signed_percent",
    "weekday_names",
    "COMMON_ZONES",
    "PERIODS",
    "cached",
    "chart",
    "choice",
    "connection",
    "current_user",
    "cursor",
    "data_version",
    "download_csv",
    "events_for",
    "figure",
    "frame",
    "grid",
    "hours",
    "hours_label",
    "local_users",
    "md_escape",
    "metric",
    "not_in_source",
    "oidc_configured",
    "old_store_notice",
    "recent_changes",
    "open_access_refusal",
    "refusal_screen",
    "selection",
    "session_ended",
    "settings",
    "show_when_ready",
    "sidebar",
    "sign_in_screen",
    "signed_in",
    "soon",
    "sources_frame",
    "start_fit_workers",
    "store_problem",
    "text_table",
    "tickets_below",
    "time_zones",
    "user_badge",
]
