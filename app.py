"""Backlog Radar: the frame around every page (config, navigation, shared sidebar)."""

import streamlit as st

import ui
from ui import _

st.set_page_config(page_title="Backlog Radar", page_icon=":material/radar:", layout="wide")
# The store first: sign-in reads it too. A catalog that is down is one line,
# and the next run tries again.
# Model fits run beside the pages, in processes of their own: a fit holds its
# process for seconds, and one process serves every session.
ui.start_fit_workers()
if problem := ui.store_problem():
    st.error(ui.md_escape(problem), icon=":material/cloud_off:")
    st.stop()
# Nobody sees a page, or the navigation, before signing in (or single-user mode).
refused = ui.open_access_refusal() is not None
user = None if refused else ui.signed_in()
if user is None:
    gate = ui.refusal_screen if refused else ui.sign_in_screen
    # Under every page's address, so a shared link keeps its page through sign-in.
    st.navigation(ui.auth.gate_pages(gate), position="hidden").run()
    st.stop()

pages = {
    _("Managers"): [
        st.Page(
            "pages/overview.py", title=_("Overview"), icon=":material/dashboard:", default=True
        ),
        st.Page("pages/response_times.py", title=_("Response times"), icon=":material/timer:"),
        st.Page("pages/agents.py", title=_("Agents and teams"), icon=":material/support_agent:"),
        st.Page("pages/backlog.py", title=_("Backlog"), icon=":material/stacked_bar_chart:"),
        st.Page("pages/forecast.py", title=_("Forecast"), icon=":material/trending_up:"),
        st.Page("pages/staffing.py", title=_("Staffing and what-if"), icon=":material/groups:"),
        st.Page("pages/seasonality.py", title=_("Seasonality"), icon=":material/calendar_month:"),
    ],
    _("Analysts"): [
        st.Page("pages/data.py", title=_("Data"), icon=":material/upload_file:"),
        st.Page("pages/events.py", title=_("Events"), icon=":material/event:"),
        st.Page("pages/schedules.py", title=_("Schedules"), icon=":material/schedule:"),
    ],
    _("Executives"): [
        st.Page("pages/weekly_report.py", title=_("Weekly report"), icon=":material/summarize:"),
    ],
}
if user.can("manage_users"):
    pages[_("Admin")] = [
        st.Page("pages/access.py", title=_("Access"), icon=":material/shield_person:")
    ]
page = st.navigation(pages)

with ui.frame(user):
    st.sidebar.title("Backlog Radar")
    ui.old_store_notice(user)
    st.session_state["selection"] = ui.sidebar(user)
    page.run()
