"""Weekly report: one ISO week for executives, printable, downloadable as HTML and PDF."""

import pandas as pd
import streamlit as st

import ui
from analytics import metrics, report

LANGUAGES = {"en": "English", "fr": "Français"}

# Printing the page prints the report, not the app around it.
st.html(
    "<style>@media print { [data-testid='stSidebar'], [data-testid='stHeader'], "
    ".report-controls, [data-testid='stDownloadButton'] { display: none !important; } }</style>"
)
st.title("Weekly report")
selection = ui.selection()
if selection is None:
    st.info("The store is empty. Import a helpdesk export on the Data page.")
    st.stop()

span = ui.cached(metrics.source_span, selection.source)
weeks = report.report_weeks(span, selection.tz)
if not weeks:
    st.info("This source holds no complete week yet.")
    st.stop()
regions = ui.cached(metrics.filter_values, selection.source)["region"]

with st.container(key="report-controls"):
    cols = st.columns([2, 2, 2])
    week = cols[0].selectbox(
        "ISO week", weeks, key="report_week", help="Weeks run Monday to Sunday, local days."
    )
    region = cols[1].selectbox("Region", ["All regions", *regions], key="report_region")
    lang = (
        cols[2].segmented_control(
            "Language", list(LANGUAGES), format_func=LANGUAGES.get, default="en", key="report_lang"
        )
        or "en"
    )
st.caption(
    f"Days in {selection.tz}; durations in calendar hours. The sidebar's period and "
    "filters do not apply: the report covers the week, for all tickets or one region."
)

try:
    with st.spinner("Building the report (the forecasts take a few seconds)..."):
        data = ui.cached(
            report.collect,
            selection.source,
            week,
            None if region == "All regions" else region,
            selection.tz,
            ui.settings(),
        )
except report.ReportError as exc:
    st.warning(f"No report: {ui.md_escape(exc)}")
    st.stop()
rep = report.compose(data, lang)

buttons = st.columns([1, 1, 2])
buttons[0].download_button(
    "Download HTML",
    lambda: report.to_html(rep),
    file_name=f"{rep.file_stem()}.html",
    mime="text/html",
    on_click="ignore",
    icon=":material/download:",
    key="download_report_html",
)
buttons[1].download_button(
    "Download PDF",
    lambda: report.to_pdf(rep),
    file_name=f"{rep.file_stem()}.pdf",
    mime="application/pdf",
    on_click="ignore",
    icon=":material/picture_as_pdf:",
    key="download_report_pdf",
    help="A4, charts as vector images; made with the system Chromium (a few seconds).",
)

st.header(rep.title, divider="gray")
st.caption(ui.md_escape(rep.subtitle))
t = rep.text
cells = pd.DataFrame(rep.headline_cells()).drop(columns="key")
cells.columns = [
    t["figure"],
    t["this_week"],
    t["vs_previous"],
    t["vs_last_year"].format(week=data.last_year_week),
]
st.subheader(t["figures"])
ui.text_table(cells.set_index(t["figure"]))

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
        st.warning(f"**{t['surge']}**: {ui.md_escape(line)}")
    if not rep.surge_lines:
        st.write(t["no_surge"])
else:
    st.write(ui.md_escape(t["no_forecast"].format(note=data.outlook.note or "-")))
st.markdown(f"**{t['events']}**")
if rep.event_lines:
    st.markdown("\n".join(f"- {ui.md_escape(line)}" for line in rep.event_lines))
else:
    st.write(t["no_events"])
