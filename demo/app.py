"""Vestibule demo app: a small web application that signs people in through
Vestibule with OpenID Connect and shows who signed in and their app roles.

It is built on authlib's OpenID Connect client and Python's standard
library only; nothing in it is Vestibule's code. Start it with
scripts/demo-app (see docs/demo-app.md). Settings, from the environment:

  VESTIBULE_ISSUER    the issuer from Vestibule's Single sign-on page,
                      e.g. http://localhost:8080/<tenant ID>/v2.0
  DEMO_CLIENT_ID      the Application (client) ID
  DEMO_CLIENT_SECRET  a client secret's value (empty: a public client,
                      which PKCE alone protects)
  DEMO_PORT           the port on localhost (7000)

Register on the app in Vestibule:
  redirect URI         http://localhost:7000/signin-oidc
  sign-on URL          http://localhost:7000/login
  post-logout URI      http://localhost:7000/
"""

import html
import json
import os
import secrets
import sys
import threading
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from authlib.integrations.base_client import (
    BaseApp,
    FrameworkIntegration,
    OAuth2Mixin,
    OAuthError,
    OpenIDMixin,
)
from authlib.integrations.requests_client import OAuth2Session

COOKIE = "demo_session"


def setting(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        sys.exit(f"Set {name}: see docs/demo-app.md")
    return value.strip()


ISSUER = setting("VESTIBULE_ISSUER").rstrip("/")
CLIENT_ID = setting("DEMO_CLIENT_ID")
CLIENT_SECRET = setting("DEMO_CLIENT_SECRET", "")
PORT = int(setting("DEMO_PORT", "7000"))
BASE = f"http://localhost:{PORT}"
REDIRECT_URI = f"{BASE}/signin-oidc"
POST_LOGOUT_URI = f"{BASE}/"
VESTIBULE_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(ISSUER))


class NoFramework(FrameworkIntegration):
    """authlib's Flask, Django and Starlette clients keep the sign-in's
    state in the framework's session; this app keeps it in its own."""

    def update_token(self, token, refresh_token=None, access_token=None):
        pass


class Vestibule(OAuth2Mixin, OpenIDMixin, BaseApp):
    """authlib's OpenID Connect client, as its web-framework integrations
    assemble it: discovery, PKCE, the ID token checked against the JWKS and
    the end-session URL."""

    client_cls = OAuth2Session

    def load_server_metadata(self):
        metadata = super().load_server_metadata()
        if metadata.get("issuer") != ISSUER:
            raise RuntimeError(f"the discovery document names the issuer {metadata.get('issuer')!r}, not {ISSUER!r}")
        return metadata


vestibule = Vestibule(
    NoFramework("vestibule"),
    name="vestibule",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET or None,
    server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
    client_kwargs={
        "scope": "openid profile email",
        "code_challenge_method": "S256",
        "token_endpoint_auth_method": "client_secret_basic" if CLIENT_SECRET else "none",
    },
)


class Sessions:
    """Server-side sessions: a random ID in an HttpOnly cookie, the data here.
    A sign-in in progress keeps its state, nonce and PKCE verifier; a
    signed-in session keeps the verified claims and the ID token."""

    def __init__(self):
        self._lock = threading.Lock()
        self._data = {}

    def get(self, sid):
        with self._lock:
            return dict(self._data.get(sid, {})) if sid else {}

    def put(self, sid, data):
        with self._lock:
            self._data[sid] = data

    def drop(self, sid):
        with self._lock:
            self._data.pop(sid, None)


sessions = Sessions()

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f3f2f1; color: #201f1e; }
main { max-width: 40rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 4px;
       box-shadow: 0 1px 3px rgba(0,0,0,.15); }
h1 { font-size: 1.5rem; margin-top: 0; }
a.button, button { display: inline-block; background: #0078d4; color: #fff; border: 0; padding: .5rem 1rem;
       border-radius: 2px; font: inherit; text-decoration: none; cursor: pointer; }
.error { border-left: 4px solid #a4262c; padding-left: 1rem; }
form { margin: 1rem 0; }
pre { background: #f3f2f1; padding: 1rem; overflow-x: auto; font-size: .85rem; }
"""


def page(title, body):
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body><main>
<h1>Vestibule demo app</h1>
{body}
</main></body>
</html>
"""


def home(session, signed_out):
    user = session.get("user")
    if not user:
        note = '<p data-testid="demo-signed-out">You have signed out.</p>' if signed_out else ""
        return page(
            "Vestibule demo app",
            f"""{note}<p>This app signs you in through Vestibule with OpenID Connect.</p>
<p><a class="button" href="/login" data-testid="demo-sign-in">Sign in</a></p>""",
        )
    name = user.get("name") or user.get("preferred_username") or user["sub"]
    roles = user.get("roles") or []
    roles_text = "Your roles: " + ", ".join(roles) if roles else "You have no app roles."
    email = user.get("email") or user.get("preferred_username") or ""
    return page(
        f"Hello, {name}",
        f"""<p data-testid="demo-greeting">Hello, {html.escape(name)}</p>
<p data-testid="demo-email">{html.escape(email)}</p>
<p data-testid="demo-roles">{html.escape(roles_text)}</p>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>
<details><summary>ID token claims (signature checked against Vestibule's keys)</summary>
<pre data-testid="demo-claims">{html.escape(json.dumps(user, indent=2, sort_keys=True))}</pre></details>""",
    )


def problem(title, message):
    return page(
        title,
        f"""<div class="error" role="alert" data-testid="demo-error"><h2>{html.escape(title)}</h2>
<p>{html.escape(message)}</p></div>
<p><a href="/">Back to the demo app</a></p>""",
    )


class Handler(BaseHTTPRequestHandler):
    server_version = "VestibuleDemo"

    def log_message(self, format, *args):
        # The request line without its query: callbacks carry codes.
        sys.stderr.write(f"{self.command} {urlsplit(self.path).path} {args[1] if len(args) > 1 else ''}\n")

    def session_id(self):
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        return cookie[COOKIE].value if COOKIE in cookie else None

    def send(self, status, body=None, location=None, sid=None):
        self.send_response(status)
        if sid:
            self.send_header("Set-Cookie", f"{COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax")
        self.send_header("Cache-Control", "no-store")
        if location:
            self.send_header("Location", location)
        data = (body or "").encode()
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        # Sign out posts here and is redirected on to Vestibule.
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {VESTIBULE_ORIGIN}",
        )
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            if url.path == "/":
                self.root(query)
            elif url.path == "/login":
                self.login()
            elif url.path == "/signin-oidc":
                self.callback(query)
            elif url.path == "/logout":
                self.send(HTTPStatus.SEE_OTHER, location="/")
            else:
                self.send(HTTPStatus.NOT_FOUND, problem("Not found", "There is no such page in the demo app."))
        except Exception as error:  # noqa: BLE001 - shown to the person, with the reason
            self.failed(error)

    def do_POST(self):
        if urlsplit(self.path).path != "/logout":
            self.send(HTTPStatus.NOT_FOUND, problem("Not found", "There is no such page in the demo app."))
            return
        try:
            self.logout()
        except Exception as error:  # noqa: BLE001
            self.failed(error)

    def failed(self, error):
        """Vestibule unreachable, or its discovery document unusable."""
        sys.stderr.write(f"{type(error).__name__}: {error}\n")
        self.send(
            HTTPStatus.BAD_GATEWAY,
            problem("The demo app could not talk to Vestibule", f"{type(error).__name__}: {error}"),
        )

    def root(self, query):
        sid = self.session_id()
        session = sessions.get(sid)
        signed_out = "state" in query and query["state"] == session.pop("logout_state", None)
        if signed_out:
            sessions.put(sid, session)
        self.send(HTTPStatus.OK, home(session, signed_out))

    def login(self):
        """Starts the code flow: authlib makes the state, nonce and PKCE
        verifier; they stay here, the browser gets only the URL."""
        sid = self.session_id() or secrets.token_urlsafe(32)
        session = sessions.get(sid)
        request = vestibule.create_authorization_url(REDIRECT_URI)
        pending = session.get("pending", {})
        pending[request["state"]] = {"nonce": request["nonce"], "code_verifier": request["code_verifier"]}
        session["pending"] = dict(list(pending.items())[-5:])
        sessions.put(sid, session)
        self.send(HTTPStatus.FOUND, location=request["url"], sid=sid)

    def callback(self, query):
        sid = self.session_id()
        session = sessions.get(sid)
        pending = session.get("pending", {})
        sign_in = pending.pop(query.get("state", ""), None)
        if "error" in query:
            session["pending"] = pending
            sessions.put(sid, session)
            description = query.get("error_description") or "Vestibule did not sign you in."
            self.send(HTTPStatus.BAD_REQUEST, problem(f"Sign-in failed: {query['error']}", description))
            return
        if sign_in is None:
            self.send(
                HTTPStatus.BAD_REQUEST,
                problem(
                    "Sign-in failed: state mismatch",
                    "This answer from Vestibule does not belong to a sign-in this browser started here. Sign in again.",
                ),
            )
            return
        metadata = vestibule.load_server_metadata()
        if metadata.get("authorization_response_iss_parameter_supported") and query.get("iss") != ISSUER:
            self.send(HTTPStatus.BAD_REQUEST, problem("Sign-in failed", "The answer names another issuer."))
            return
        try:
            token = vestibule.fetch_access_token(
                redirect_uri=REDIRECT_URI,
                authorization_response=f"{BASE}{self.path}",
                state=query["state"],
                code_verifier=sign_in["code_verifier"],
            )
            # The signature against Vestibule's JWKS, then iss, aud, exp,
            # iat and the nonce.
            claims = vestibule.parse_id_token(token, nonce=sign_in["nonce"])
        except Exception as error:  # noqa: BLE001 - a refusal of the library, shown
            code = getattr(error, "error", None) or type(error).__name__
            self.send(HTTPStatus.BAD_REQUEST, problem(f"Sign-in failed: {code}", str(error)))
            return
        # A new session ID at sign-in, so that none set before carries over.
        sessions.drop(sid)
        sid = secrets.token_urlsafe(32)
        sessions.put(sid, {"user": dict(claims), "id_token": token["id_token"]})
        self.send(HTTPStatus.SEE_OTHER, location="/", sid=sid)

    def logout(self):
        """RP-initiated logout: signs out here, then at Vestibule, which
        comes back to the home page."""
        sid = self.session_id()
        session = sessions.get(sid)
        id_token = session.get("id_token")
        if not id_token:
            self.send(HTTPStatus.SEE_OTHER, location="/")
            return
        logout = vestibule.create_logout_url(post_logout_redirect_uri=POST_LOGOUT_URI, id_token_hint=id_token)
        sessions.put(sid, {"logout_state": logout["state"]})
        self.send(HTTPStatus.SEE_OTHER, location=logout["url"])


def main():
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"Vestibule demo app on {BASE}/ (issuer {ISSUER}); Ctrl+C stops it", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
