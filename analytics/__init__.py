"""Backlog Radar's library: the ticket store, importers and analytics.

Nothing here imports Streamlit or does work at import time; the app, the
command line, the reports and the benchmarks are all clients of this package.
"""

__version__ = "0.1.0"
