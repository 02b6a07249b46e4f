"""A small but real OpenID Connect provider on loopback, for the sign-in tests.

It speaks the authorization-code flow the way Streamlit's ``st.login`` (via
Authlib) expects it: discovery document, an authorization page with a form
(the browser test types an e-mail address and presses "Sign in"), a token
endpoint that checks the client's secret, the code, the redirect URI and the
PKCE verifier, and returns an RS256-signed ID token whose keys are published
at ``/jwks``. Nothing leaves the machine.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey


@dataclass
class Grant:
    """An authorization code waiting to be exchanged."""

    client_id: str
    redirect_uri: str
    nonce: str | None
    email: str
    code_challenge: str | None


@dataclass
class Provider:
    """The provider's state: one client, its users' groups, the codes issued."""

    client_id: str = "backlog-radar"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    groups: dict[str, list[str]] = field(default_factory=dict)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "test-key"}))
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens_issued: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "name", "groups"],
        }

    def claims(self, email: str) -> dict:
        return {
            "sub": hashlib.sha256(email.encode()).hexdigest()[:16],
            "email": email,
            "email_verified": True,
            "name": email.split("@")[0].title(),
            "groups": self.groups.get(email, []),
        }

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        payload = {
            **self.claims(grant.email),
            "iss": self.issuer,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 3600,
            **({"nonce": grant.nonce} if grant.nonce else {}),
        }
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, payload, self.key)

    def start(self) -> Provider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _send(self, status: int, body: str | bytes, ctype: str, **headers) -> None:
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(data)

            def _json(self, status: int, payload: dict) -> None:
                self._send(status, json.dumps(payload), "application/json")

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length", 0))
                fields = parse_qs(self.rfile.read(length).decode())
                return {k: v[0] for k, v in fields.items()}

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, provider.metadata())
                elif url.path == "/jwks":
                    self._json(200, {"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    if query.get("client_id") != provider.client_id:
                        self._send(400, "unknown client", "text/plain")
                        return
                    hidden = "".join(
                        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                        for k, v in query.items()
                    )
                    page = (
                        "<!doctype html><title>Test identity provider</title>"
                        "<h1>Test identity provider</h1>"
                        f'<form method="post" action="/authorize">{hidden}'
                        '<label>E-mail <input name="email" id="email"></label>'
                        '<button type="submit">Sign in</button></form>'
                    )
                    self._send(200, page, "text/html; charset=utf-8")
                elif url.path == "/userinfo":
                    self._json(401, {"error": "invalid_token"})
                else:
                    self._send(404, "not found", "text/plain")

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                form = self._form()
                if url.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = Grant(
                        form["client_id"],
                        form["redirect_uri"],
                        form.get("nonce"),
                        form["email"],
                        form.get("code_challenge"),
                    )
                    target = f"{form['redirect_uri']}?" + urlencode(
                        {"code": code, "state": form.get("state", "")}
                    )
                    self._send(302, "", "text/plain", Location=target)
                elif url.path == "/token":
                    self._token(form)
                else:
                    self._send(404, "not found", "text/plain")

            def _token(self, form: dict[str, str]) -> None:
                client_id, secret = form.get("client_id"), form.get("client_secret")
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                if client_id != provider.client_id or secret != provider.client_secret:
                    self._json(401, {"error": "invalid_client"})
                    return
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None or grant.redirect_uri != form.get("redirect_uri"):
                    self._json(400, {"error": "invalid_grant"})
                    return
                if grant.code_challenge:
                    verifier = form.get("code_verifier", "")
                    digest = hashlib.sha256(verifier.encode()).digest()
                    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                    if expected != grant.code_challenge:
                        self._json(400, {"error": "invalid_grant", "detail": "PKCE"})
                        return
                provider.tokens_issued += 1
                self._json(
                    200,
                    {
                        "access_token": secrets.token_urlsafe(24),
                        "token_type": "Bearer",
                        "expires_in": 3600,
                        "id_token": provider.id_token(grant),
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def secrets_toml(self, app_port: int) -> str:
        """Return the ``[auth]`` section of ``secrets.toml`` for an app on ``app_port``."""
        return (
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            f'client_id = "{self.client_id}"\n'
            f'client_secret = "{self.client_secret}"\n'
            f'server_metadata_url = "{self.issuer}/.well-known/openid-configuration"\n'
        )
