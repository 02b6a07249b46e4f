"""Names from imported data show as typed on every page: Markdown in them draws nothing.

The store's source, regions, teams, channels, categories, priorities, ticket
ids and an event all carry hostile names (tests/hostile/hostile_names.csv). Every
page is run through the real frame (AppTest), and every element Streamlit
renders as Markdown (text, captions, alerts, headings, labels, help, pills,
table cells) is read as a renderer would read it.
"""

from __future__ import annotations

import pandas as pd
import pytest
from apptest import PAGES, app_on, open_page
from hostile_text import NAMES, RARE_REGION, REGIONS, SOURCE, drawn_from_data, write_store
from streamlit.testing.v1 import AppTest

import ui
from analytics import charts

MARKDOWN_ELEMENTS = ("markdown", "caption", "warning", "info", "error", "success", "toast",
                     "title", "header", "subheader")  # fmt: skip
WIDGETS = ("button", "button_group", "checkbox", "date_input", "download_button",
           "multiselect", "number_input", "selectbox", "slider", "text_input", "toggle")  # fmt: skip


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("hostile_names") / "names.sqlite")


@pytest.fixture
def app(hostile_db, tmp_path, monkeypatch):
    yield from app_on(hostile_db, tmp_path, monkeypatch)


def markdown_texts(at: AppTest) -> list[str]:
    """Return every text of the run that Streamlit renders as Markdown."""
    texts = [e.value for kind in MARKDOWN_ELEMENTS for e in getattr(at, kind)]
    texts += [t for m in at.metric for t in (m.proto.label, m.proto.help)]
    texts += [block.label for block in (*at.expander, *at.tabs)]
    for kind in WIDGETS:
        for widget in getattr(at, kind):
            texts += [widget.label, widget.help or ""]
            if kind == "button_group":  # pills and segmented controls render their options
                texts += widget.options
    for table in at.table:
        frame = table.value
        texts += [str(v) for v in (*frame.columns, *frame.index, *frame.to_numpy().ravel())]
    return [t for t in texts if t]


def open_names_page(at: AppTest, page: str) -> AppTest:
    """Open ``page`` over the whole history, with the choices that show the most names."""
    open_page(at, page)
    if page == "pages/forecast.py":
        at.selectbox(key="fc_backtest_D").set_value(0)
        at.selectbox(key="fc_by").set_value("region").run()
    if page == "pages/events.py":
        # The corpus's one event, the first of a new calendar.
        at.selectbox(key="impact_event").set_value(1).run()
    return at


def test_the_names_draw_markup_when_shown_raw():
    # The renderer's model sees what each kind of name would draw (a table break
    # and a formula draw nothing outside a table or a spreadsheet).
    raw = [name for name in NAMES if not drawn_from_data(name)]
    assert raw == ["a | b | c", "+cmd|' /C calc'!A0"]


@pytest.mark.parametrize("text", NAMES)
def test_the_escaping_draws_nothing_from_a_name(text):
    assert drawn_from_data(ui.md_escape(text)) == []


@pytest.mark.parametrize("page", PAGES)
def test_no_page_draws_markup_from_names_in_the_data(app, page):
    at = open_names_page(app, page)
    assert not at.exception, at.exception
    texts = markdown_texts(at)
    # The sidebar's source pill is Markdown on every page: the source's name reaches it.
    assert ui.md_escape(SOURCE) in texts
    drawn = {text: found for text in texts if (found := drawn_from_data(text))}
    assert drawn == {}


def test_surge_alerts_name_their_region_as_typed(app):
    at = open_names_page(app, "pages/forecast.py")
    alerts = [w.value for w in at.warning]
    assert any(ui.md_escape(region) in alert for alert in alerts for region in REGIONS), alerts
    assert not any(drawn_from_data(alert) for alert in alerts)


def test_the_weekly_report_names_the_sidebar_region_as_typed(app):
    app.query_params["region"] = RARE_REGION
    at = open_names_page(app, "pages/weekly_report.py")
    # The region's one ticket is in the first week: the only week offered.
    assert len(at.selectbox(key="report_week").options) == 1
    (scope,) = [c.value for c in at.caption if "Sidebar filters applied" in c.value]
    assert ui.md_escape(RARE_REGION) in scope
    assert drawn_from_data(scope) == []


def test_chart_titles_of_every_axis_and_the_legend_are_plain_text():
    fig = charts.forecast_fan(
        pd.DataFrame({"period": pd.date_range("2026-06-01", periods=3), "created": [1, 2, 3]}),
        pd.DataFrame(
            {
                "period": pd.date_range("2026-06-04", periods=2),
                "mean": [3.0, 3.0],
                "lo80": [2.0, 2.0],
                "hi80": [4.0, 4.0],
                "lo95": [1.0, 1.0],
                "hi95": [5.0, 5.0],
            }
        ),  # fmt: skip
        title="<b>bold</b> arrivals per day",
    )
    fig.update_layout(
        xaxis_title="<a href='https://evil.example'>day</a>",
        yaxis2={"title": "<i>region</i>"},
        legend_title="<b>team</b>",
    )
    layout = charts.plain_text(fig).layout
    titles = [layout.title.text, layout.xaxis.title.text, layout.yaxis2.title.text,
              layout.legend.title.text]  # fmt: skip
    assert titles == [
        "&lt;b&gt;bold&lt;/b&gt; arrivals per day (by creation date): actual and forecast",
        "&lt;a href='https://evil.example'&gt;day&lt;/a&gt;",
        "&lt;i&gt;region&lt;/i&gt;",
        "&lt;b&gt;team&lt;/b&gt;",
    ]
