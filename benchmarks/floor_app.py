"""The framework's floor for the page timing benchmark: N constant Plotly charts.

``streamlit run benchmarks/floor_app.py`` and open ``/?charts=N``: the same
number of charts as a Backlog Radar page, with no query behind them, so the
difference is what our queries and figure building cost.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Floor", layout="wide")
st.title("Floor")
count = int(st.query_params.get("charts", "1"))
days = np.arange(365)
for i in range(count):
    fig = go.Figure(go.Scatter(x=days, y=np.sin(days / 7 + i) * 100 + 300, name="constant"))
    fig.update_layout(title=f"Constant chart {i + 1}", height=380, template="plotly_white")
    st.plotly_chart(fig, key=f"floor_{i}")
