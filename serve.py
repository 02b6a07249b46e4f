"""Serve Backlog Radar: ``streamlit run serve.py`` (``make run`` does).

The pages are ``app.py``'s; this file puts the HTTP layer of :mod:`web` around
them (host guard, framing headers, sign-in form and cookie, upload permits).
"""

import os

import streamlit as st
from starlette.middleware import Middleware

import web

# What the app writes (the store, its log, the session key) is company data.
os.umask(0o077)

app = st.App(
    "app.py",
    routes=web.routes(),
    middleware=[Middleware(web.Guard)],
    lifespan=web.lifespan,
)
