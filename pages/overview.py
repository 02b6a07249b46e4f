"""Overview: what the selected source holds (the managers' cards arrive with the metrics)."""

import streamlit as st

import ui
from analytics.settings import SAMPLE_SOURCE

st.title("Overview")
source = st.session_state.get("selected_source")

if source is None:
    st.info("The store is empty. Import a helpdesk export to begin.")
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload_file:")
    st.stop()

if source == SAMPLE_SOURCE:
    st.info(
        "You are looking at the built-in sample: a simulated support desk in four regions "
        "living through a September peak, a regional interface rollout and a live-chat "
        "closure. Import your own export on the Data page."
    )
    st.page_link("pages/data.py", label="Import your own data", icon=":material/upload_file:")

summary = ui.sources_frame(ui.data_version())
row = summary.set_index("source").loc[source]
cols = st.columns(4)
cols[0].metric("Tickets", f"{row['tickets']:,}")
cols[1].metric("Open now", f"{row['open_tickets']:,}")
cols[2].metric("First ticket", f"{row['first_created_at']:%Y-%m-%d}")
cols[3].metric("Last ticket", f"{row['last_created_at']:%Y-%m-%d}")
