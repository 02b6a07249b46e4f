"""The HTTP layer around the Streamlit app: guards, the sign-in pages, the session cookie.

``serve.py`` mounts this package's pieces on Streamlit's own server (``st.App``); the
scripts never see a request, only what this layer let through:

- **Host guard.** Every request (pages, WebSocket, uploads) must name a host
  the app serves: loopback names in single-user mode (DNS rebinding cannot
  reach a local app through an attacker's domain), ``server.allowedHosts``
  otherwise.
- **No framing.** ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``.
- **Sign-in.** Local users sign in on a plain form that sets a signed,
  HttpOnly, SameSite cookie (:mod:`analytics.sessions`); a page request
  without one is sent there. The cookie's session id is also handed to
  Streamlit as a trusted user header, so a WebSocket presenting someone
  else's Streamlit session id without their cookie gets a fresh session.
- **Uploads** reach only sessions whose user may import (:data:`UPLOADS`).
- **Endpoints** that need no exposure (``/_stcore/metrics``, the agent API)
  answer 404.
"""

from web.guard import Guard
from web.sign_in import routes
from web.uploads import UPLOADS, lifespan

__all__ = ["UPLOADS", "Guard", "lifespan", "routes"]
