"""Serve Backlog Radar: ``streamlit run serve.py`` (``make run`` does).

The pages are ``app.py``'s; this file puts the HTTP layer of :mod:`web` around
them (host guard, framing headers, sign-in form and cookie, upload permits).
"""

import contextlib
import gc
import os
import threading

import streamlit as st
from starlette.middleware import Middleware

import ui  # noqa: F401  (the libraries every page uses, loaded before the freeze below)
import web
from ui.cache import warm_up

# The server keeps its libraries alive for its whole life, and Python's cycle
# collector walked all their objects again at every full collection: two thirds
# of a cached page's run. Frozen objects are never walked; the pages' own
# short-lived objects are collected as before.
gc.freeze()

# What the app writes (the store, its log, the session key) is company data.
os.umask(0o077)


@contextlib.asynccontextmanager
async def lifespan(app):
    """Copy the store's tickets locally while the server starts, then run web's lifespan."""
    threading.Thread(target=warm_up, name="backlog-radar-warm-up", daemon=True).start()
    async with web.lifespan(app):
        yield


app = st.App(
    "app.py",
    routes=web.routes(),
    middleware=[Middleware(web.Guard)],
    lifespan=lifespan,
)
