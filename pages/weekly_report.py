"""Weekly report: one ISO week for executives, printable, downloadable as HTML and PDF.

The week is picked among those in which tickets of the sidebar's selection
moved. The sidebar's filters, time zone and clock apply to the report; its
period does not (the report covers the week). The report speaks the
session's language.
"""

import pandas as pd
import streamlit as st

import ui
from analytics import report
from ui import _

# cue tone -> the colour of its cell (a style: the table's text stays text)
TONES = {"better": "color: #1a7f37", "worse": "color: #c62828", "neutral": ""}
RULE = "gray"  # a colour code, not a word on screen

# Printing the page prints the report, not the app around it.
st.html(
    "<style>@media print { [data-testid='stSidebar'], [data-testid='stHeader'], "
    ".report-controls, [data-testid='stDownloadButton'] { display: none !important; } }</style>"
)
st.title(_("Weekly report"))
selection = ui.selection()
if selection is None:
    st.info(_("The store is empty. Import a helpdesk export on the Data page."))
    st.stop()

lang = ui.lang()
filters = report.Filters.of(selection)
t = report.strings(lang)


def scope_line() -> str:
    """Return what the report covers, as Markdown: its filters (escaped), days and clock."""
    chosen = [
        t["filter"].format(
            filter=t["filters"][name], values=", ".join(ui.md_escape(v) for v in values)
        )
        for name, values in filters.chosen().items()
    ]
    said = (
        _("Sidebar filters applied: {filters}.").format(filters="; ".join(chosen))
        if chosen
        else _("No sidebar filter: the report covers every ticket of the source.")
    )
    clock = (
        _("Durations in business hours.")
        if filters.business_hours
        else _("Durations in calendar hours.")
    )
    days = _("Days in {tz}.").format(tz=ui.md_escape(selection.tz))
    period = _("The sidebar's period does not apply: the report covers the week chosen.")
    return " ".join([said, days, clock, period])


weeks = ui.cached(report.weeks_with_tickets, selection.source, selection.tz, filters, ui.settings())
if not weeks:
    st.info(_("No week holds tickets of this selection yet."))
    st.caption(scope_line())
    st.stop()

with st.container(key="report-controls"):
    week = st.selectbox(
        _("Week"),
        weeks,
        key="report_week",
        format_func=lambda code: report.week_label(report.parse_week(code), lang),
        help=_("Weeks in which tickets of the selection were created or resolved, newest first; "
               "a week runs Monday to Sunday, in local days."),
    )  # fmt: skip
st.caption(scope_line())

try:
    with st.spinner(_("Building the report (the forecasts take a few seconds)...")):
        data = ui.cached(
            report.collect,
            selection.source,
            week,
            None,
            selection.tz,
            ui.settings(),
            filters=filters,
        )
except report.ReportError as exc:
    st.warning(_("No report: {reason}").format(reason=ui.md_escape(ui.describe(exc))))
    st.stop()
rep = report.compose(data, lang)

buttons = st.columns([1, 1, 2])
buttons[0].download_button(
    _("Download HTML"),
    lambda: report.to_html(rep),
    file_name=f"{rep.file_stem()}.html",
    mime="text/html",
    on_click="ignore",
    icon=":material/download:",
    key="download_report_html",
)
buttons[1].download_button(
    _("Download PDF"),
    lambda: report.to_pdf(rep),
    file_name=f"{rep.file_stem()}.pdf",
    mime="application/pdf",
    on_click="ignore",
    icon=":material/picture_as_pdf:",
    key="download_report_pdf",
    help=_("A4, charts as vector images; made with the system Chromium (a few seconds)."),
)

st.header(ui.md_escape(rep.title), divider=RULE)
st.caption(ui.md_escape(rep.subtitle))


def with_cue(cell: dict) -> str:
    """Return the week-on-week change with its cue: ``-15 % ▼ worse``."""
    cue = cell["cue"]
    return cell["wow"] if cue is None else f"{cell['wow']} {cue.arrow} {cue.word}"


def headline_table() -> pd.DataFrame:
    """Return the headline figures as text, one row per figure, labelled for the reader."""
    heads = rep.headline_cells()
    return pd.DataFrame(
        {
            t["this_week"]: [c["value"] for c in heads],
            t["vs_previous"]: [with_cue(c) for c in heads],
            t["vs_last_year"].format(week=data.last_year_week): [c["yoy"] for c in heads],
        },
        index=pd.Index([c["label"] for c in heads], name=t["figure"]),
    )


st.subheader(t["figures"])
# st.table renders cells as Markdown: every text is escaped, and the cue's
# colour is a style of its cell, so no text becomes markup.
tones = [TONES[c["cue"].tone] if c["cue"] else "" for c in rep.headline_cells()]
figures = headline_table().map(ui.md_escape)
figures.index = figures.index.map(ui.md_escape)
st.table(figures.style.apply(lambda column: tones, subset=[t["vs_previous"]]))

st.subheader(t["summary"])
for sentence in rep.sentences:
    st.markdown(ui.md_escape(sentence.text))

st.subheader(t["charts"])
for key, fig in rep.charts.items():
    st.plotly_chart(fig, width="stretch", key=f"report_chart_{key}")

st.subheader(t["next_week"])
if rep.outlook_rows:
    rows = pd.DataFrame(rep.outlook_rows)
    rows.columns = [t["day"], t["expected"], t["interval"], t["agents"]]
    ui.text_table(rows.set_index(t["day"]))
    for line in rep.surge_lines:
        st.warning(f"**{t['surge']}** {ui.md_escape(line)}")
    if not rep.surge_lines:
        st.markdown(ui.md_escape(t["no_surge"]))
else:
    st.markdown(ui.md_escape(t["no_forecast"].format(note=data.outlook.note or "-")))
st.markdown(f"**{ui.md_escape(t['events'])}**")
if rep.event_lines:
    st.markdown("\n".join(f"- {ui.md_escape(line)}" for line in rep.event_lines))
else:
    st.markdown(ui.md_escape(t["no_events"]))
