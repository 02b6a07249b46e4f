"""Charts and tables with their downloads (formula-like cells neutralised)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import charts, coverage, exports, metrics
from ui.i18n import _, labelled
from ui.text import md_escape


def hours_label(selection: metrics.Selection) -> str:
    """Return "business hours" or "calendar hours" for captions."""
    return _("business hours") if selection.business_hours else _("calendar hours")


def figure(build: Callable[..., go.Figure], *args, **kwargs) -> go.Figure:
    """Return ``build(*args, **kwargs)`` (an :mod:`analytics.charts` function) as plain
    text (:func:`analytics.charts.plain_text`), built once for those inputs.

    Building a Plotly figure validates every property it sets: tens of
    milliseconds a chart, the largest part of a page's run once its queries
    are cached. Every session asking for the same chart of the same data
    shares one figure, which nobody changes afterwards.
    """
    return _built(build.__module__, build.__qualname__, args, kwargs)


@st.cache_resource(max_entries=512, show_spinner=False)
def _built(module: str, name: str, args: tuple, kwargs: dict) -> go.Figure:
    # By name, and from analytics.charts only, like ui.cache's calls.
    if module.partition(".")[0] != "analytics" or ".charts" not in module:
        raise ValueError(f"not a chart function: {module}.{name}")
    fig = charts.plain_text(getattr(charts, name)(*args, **kwargs))
    # Plotly lets only names with an underscore through: marks it plain for chart().
    fig._plain_text = True
    return fig


def choice(label: str, labels: Mapping[str, str], default: str, key: str) -> str:
    """Return the code chosen in a segmented control of ``labels`` (code -> message, shown
    translated), or ``default`` once a second click has cleared the choice."""
    picked = st.segmented_control(
        label, list(labels), default=default, format_func=lambda code: _(labels[code]), key=key
    )
    return default if picked is None else picked


def chart(
    fig: go.Figure,
    data: pd.DataFrame,
    key: str,
    *,
    empty: bool | None = None,
    empty_message: str | None = None,
    select: bool = False,
):
    """Draw a figure with a "download data (CSV)" button, or a plain message when empty.

    A figure from :func:`figure` is drawn as it is; any other is made plain
    text first. With ``select``, a click on a point selects it and reruns
    the page: returns the chart's selection state (for :func:`ui.drill.tickets_below`),
    else None.
    """
    if empty if empty is not None else data.empty:
        st.info(empty_message or _("No tickets in this selection for this chart."))
        return None
    shown = fig if getattr(fig, "_plain_text", False) else charts.plain_text(fig)
    options = {"on_select": "rerun", "selection_mode": "points"} if select else {}
    state = st.plotly_chart(shown, width="stretch", key=f"chart_{key}", **options)
    download_csv(data, key, _("Download data (CSV)"))
    return state if select else None


def text_table(frame: pd.DataFrame) -> None:
    """Draw ``frame`` as a static table whose cells, index and headers show as typed.

    ``st.table`` renders every cell as Markdown, so each one goes through
    :func:`md_escape` first.
    """

    # Numbers, dates and missing values hold no markup and keep their formatting.
    def escaped(value):
        return md_escape(value) if isinstance(value, str) else value

    shown = frame.map(escaped)
    shown.index = pd.Index([escaped(v) for v in frame.index], name=escaped(frame.index.name))
    shown.columns = [escaped(column) for column in frame.columns]
    st.table(shown)


def grid(
    frame: pd.DataFrame,
    download: str | None = None,
    labels: dict[str, str] | None = None,
    tz: str | None = None,
    **options,
) -> None:
    """Draw ``frame`` in the data grid; with ``download``, a CSV button under it.

    With ``labels`` (column -> English label, marked with ``N_``), the grid
    shows those columns only, under their translated labels, timestamps as
    readable text in ``tz`` (:func:`ui.i18n.labelled`); the download keeps
    the machine's column names and ISO dates.

    The grid's own CSV export is off for the whole app
    (``client.disableDataExport`` in ``.streamlit/config.toml``): it wrote
    cells such as ``=HYPERLINK(...)`` as they are, and a spreadsheet runs
    them. ``download`` names the file (``slowest_tickets``) of the app's own
    export, whose formula-like cells are neutralised (:mod:`analytics.exports`).
    ``options`` go to ``st.dataframe``.
    """
    shown = frame if labels is None else labelled(frame, labels, tz)
    st.dataframe(shown, **{"hide_index": True, **options})
    if download is not None:
        download_csv(frame, download)


def download_csv(frame: pd.DataFrame, name: str, label: str | None = None) -> None:
    """Draw a button downloading ``frame`` as ``<name>.csv``, formula-like cells neutralised."""
    # The CSV is built only when someone clicks, and the click does not rerun the page.
    st.download_button(
        label or _("Download (CSV)"),
        lambda: exports.csv_text(frame),
        on_click="ignore",
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download_{name}",
        icon=":material/download:",
    )


def not_in_source(reason: str) -> dict:
    """Return ``st.metric`` arguments for a card whose input the source lacks.

    A dash, "not in this source" under it (the phrase is too long for the
    card's large figure), and ``reason`` (:func:`analytics.coverage.missing_inputs`)
    as its help.
    """
    return {
        "value": "—",
        "delta": _(coverage.NOT_IN_SOURCE),
        "delta_color": "off",
        "delta_arrow": "off",
        "help": md_escape(reason),
    }
