"""What every figure shares: colours, titles and axes, event bands, labels as plain text."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import i18n
from analytics.i18n import N_

# Said in chart titles, translated there.
COHORT = N_("by creation date")
EVENT_DATE = N_("by event date")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
COLORS = {
    "created": "#1f5f99",
    "resolved": "#6aa84f",
    "backlog": "#cc4125",
    "awaiting": "#e69138",
    "median": "#1f5f99",
    "p90": "#a64d79",
    "event": "rgba(241, 194, 50, 0.18)",
}


# Plotly reads a few HTML tags (<b>, <i>, <a href>, <br>...) inside any label,
# so a category a customer named "<b>VIP</b>" would turn bold. Labels from
# data are escaped; Plotly turns the entities back into the characters typed.
_TEXT_FIELDS = ("x", "y", "text", "name", "hovertext", "labels", "customdata", "legendgroup")


def _escape(value):
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _escape_all(values):
    if isinstance(values, str):
        return _escape(values)
    if isinstance(values, (tuple, list)):
        return [_escape_all(v) for v in values]
    if hasattr(values, "dtype"):
        # Arrays of numbers or dates hold no text; only object arrays are walked.
        return [_escape_all(v) for v in values] if values.dtype.kind == "O" else values
    return values


def plain_text(fig: go.Figure) -> go.Figure:
    """Return ``fig`` with every label shown as the text it holds, never as markup.

    Escapes trace data and names, annotation texts, and the titles of the
    figure, its axes and its legend (which carry series, team and event
    names). Hover templates are left alone: they are code.
    """
    for trace in fig.data:
        for field in _TEXT_FIELDS:
            value = getattr(trace, field, None)
            if value is not None:
                trace[field] = _escape_all(value)
    for annotation in fig.layout.annotations or ():
        annotation.text = _escape(annotation.text)
        annotation.hovertext = _escape(annotation.hovertext)
    titled = [fig.layout, fig.layout.legend]
    titled += [fig.layout[name] for name in fig.layout if name.startswith(("xaxis", "yaxis"))]
    for part in titled:
        if part.title and part.title.text:
            part.title.text = _escape(part.title.text)
    return fig


def layout(
    fig: go.Figure, title: str, y_title: str, x_title: str | None = None, lang: str = "en"
) -> go.Figure:
    """Return ``fig`` titled, with the legend below and numbers in ``lang``'s format.

    The titles are given already in ``lang``.
    """
    fig.update_layout(
        separators=i18n.separators(lang),
        title={"text": title, "x": 0, "xanchor": "left"},
        yaxis_title=y_title,
        xaxis_title=x_title,
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        height=380,
    )
    if lang != "en" and _has_dates(fig):
        fig.update_xaxes(tickformatstops=_NUMERIC_DATES, hoverformat="%d/%m/%Y")
    # No template here: in the app, Streamlit's (its theme, light or dark);
    # the report sets its own. Naming one costs each figure about 25 ms.
    return fig


# Plotly names months and weekdays in English only: outside English, date axes
# are written in figures (d/m/y, the French order).
_NUMERIC_DATES = [
    {"dtickrange": [None, 86_400_000], "value": "%H:%M\n%d/%m"},
    {"dtickrange": [86_400_000, "M1"], "value": "%d/%m"},
    {"dtickrange": ["M1", "M12"], "value": "%m/%Y"},
    {"dtickrange": ["M12", None], "value": "%Y"},
]


def _has_dates(fig: go.Figure) -> bool:
    for trace in fig.data:
        x = getattr(trace, "x", None)
        if (
            x is not None
            and len(x)
            and isinstance(x[0], (date, datetime, pd.Timestamp, np.datetime64))
        ):
            return True
    return False


def count_axis(fig: go.Figure, top: float | None, axis: str = "yaxis") -> go.Figure:
    """Return ``fig`` with ``axis`` ticked in whole numbers (a count has no 48.2).

    ``top`` is the largest value drawn on it; below 5, every whole number is a tick.
    """
    ticks = {"tickformat": ",d"}
    if top is not None and top < 5:
        ticks["dtick"] = 1
    fig.update_layout({axis: ticks})
    return fig


def add_event_bands(fig: go.Figure, events: pd.DataFrame | None) -> go.Figure:
    """Draw each event (``name``, ``region``, ``starts_on``, ``ends_on``) as a labelled band."""
    if events is None or events.empty:
        return fig
    # Bands are clipped to the data drawn, so an event that began before the
    # period does not stretch the time axis back to its start.
    xs = [pd.to_datetime(pd.Series(trace.x)) for trace in fig.data if trace.x is not None]
    xs = pd.concat(xs).dt.tz_localize(None) if xs else pd.Series(dtype="datetime64[ns]")
    low, high = (xs.min(), xs.max() + pd.Timedelta(days=1)) if len(xs) else (None, None)
    bands = []
    for row in events.itertuples():
        label = row.name if row.region in (None, "all") else f"{row.name} ({row.region})"
        x0 = pd.Timestamp(row.starts_on)
        x1 = pd.Timestamp(row.ends_on) + pd.Timedelta(days=1)
        if low is not None:
            x0, x1 = max(x0, low), min(x1, high)
            if x0 >= x1:
                continue
        bands.append((x0, x1, label))
    if getattr(fig, "_grid_ref", None) is None:
        return _bands_on_one_axis(fig, bands)
    for drawn, (x0, x1, label) in enumerate(bands):
        # Subplots: add_vrect draws the band on each of them.
        fig.add_vrect(x0=x0, x1=x1, **_band_style(label, drawn))
    return fig


def _band_style(label: str, drawn: int) -> dict:
    return {
        "fillcolor": COLORS["event"],
        "line_width": 0,
        "layer": "below",
        "annotation_text": label if len(label) <= 28 else label[:27] + "…",
        "annotation_hovertext": label,
        "annotation_position": "top left",
        "annotation_font_size": 10,
        # Labels step down in three rows so that neighbouring events stay readable.
        "annotation_yshift": -12 * (drawn % 3),
    }


def _bands_on_one_axis(fig: go.Figure, bands: list) -> go.Figure:
    """Add the bands as add_vrect would on a figure of one plot, in one layout update.

    add_vrect looks the figure's subplots up again for every band: tens of
    milliseconds on a chart of a season's events, where the page takes a few.
    """
    shapes, notes = list(fig.layout.shapes), list(fig.layout.annotations)
    for drawn, (x0, x1, label) in enumerate(bands):
        style = _band_style(label, drawn)
        shapes.append(
            {"type": "rect", "xref": "x", "yref": "y domain", "x0": x0, "x1": x1, "y0": 0,
             "y1": 1, "fillcolor": style["fillcolor"], "line": {"width": 0}, "layer": "below"}
        )  # fmt: skip
        notes.append(
            {"text": style["annotation_text"], "hovertext": label, "showarrow": False,
             "x": x0, "xref": "x", "xanchor": "left", "y": 1, "yref": "y domain",
             "yanchor": "top", "font": {"size": 10}, "yshift": style["annotation_yshift"]}
        )  # fmt: skip
    fig.update_layout(shapes=shapes, annotations=notes)
    return fig
