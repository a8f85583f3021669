"""A relying party on authlib that signs in through Vestibule: the code flow
with PKCE, as a web application built on authlib's OpenID Connect client
would run it, with no code of Vestibule's.

tests/api/client_libraries.rs starts it with one argument, a JSON object:
issuer, client_id, client_secret, redirect_uri, post_logout_redirect_uri.
It talks on its standard streams, one JSON object a line:

  stdout  {"step": "authorize", "url": ...}   the browser goes there
  stdin   the URL Vestibule redirected the browser to (code, state, iss)
  stdout  {"step": "result", ...}             what the library checked

Anything the library refuses ends it with a traceback on stderr and a
non-zero exit.
"""

import base64
import json
import sys
from urllib.parse import parse_qs, urlsplit

import authlib
import requests
from authlib.integrations.base_client import (
    BaseApp,
    FrameworkIntegration,
    OAuth2Mixin,
    OAuthError,
    OpenIDMixin,
)
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2 import rfc9207
from authlib.oidc import discovery, rpinitiated

SCOPE = "openid profile email offline_access"


class NoFramework(FrameworkIntegration):
    """authlib's Flask, Django and Starlette clients keep the flow's state in
    the web framework's session; here it lives in local variables."""

    def update_token(self, token, refresh_token=None, access_token=None):
        pass


class RelyingParty(OAuth2Mixin, OpenIDMixin, BaseApp):
    """authlib's OpenID Connect client, as its web-framework integrations
    assemble it: discovery, PKCE, the ID token checked against the JWKS,
    UserInfo and the end-session URL."""

    client_cls = OAuth2Session


def emit(step, **fields):
    print(json.dumps({"step": step, **fields}), flush=True)


def segment(token, index):
    """One part of a compact JWS, decoded: 0 the header, 1 the claims."""
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def tampered(id_token):
    """The same token with another subject and the original signature."""
    head, _, signature = id_token.split(".")
    claims = segment(id_token, 1)
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


def refused(action):
    """The name of the error `action` raises; None when it does not raise."""
    try:
        action()
    except Exception as error:  # noqa: BLE001 - any refusal counts, its name is checked
        return getattr(error, "error", None) or type(error).__name__
    return None


def main():
    config = json.loads(sys.argv[1])
    issuer = config["issuer"]
    redirect_uri = config["redirect_uri"]

    # Discovery, checked by authlib's metadata rules (OpenID Connect
    # Discovery, RFC 8414, RP-Initiated Logout, RFC 9207).
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    assert response.headers["content-type"].startswith("application/json"), response.headers
    metadata = response.json()
    assert metadata["issuer"] == issuer, f"issuer {metadata['issuer']!r} is not {issuer!r}"
    discovery.OpenIDProviderMetadata(metadata).validate(
        metadata_classes=[rpinitiated.OpenIDProviderMetadata, rfc9207.AuthorizationServerMetadata]
    )

    rp = RelyingParty(
        NoFramework("vestibule"),
        name="vestibule",
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
        },
    )
    # authlib makes the state, the nonce and the PKCE verifier.
    request = rp.create_authorization_url(redirect_uri)
    emit("authorize", url=request["url"])

    callback = sys.stdin.readline().strip()
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    if "error" in params:
        raise OAuthError(params["error"], params.get("error_description"))
    # RFC 9207: the discovery document promises `iss` on every answer.
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert params.get("iss") == issuer, f"iss {params.get('iss')!r}"

    # The exchange: authlib checks the state in the callback URL, sends the
    # verifier, and authenticates with client_secret_basic.
    def exchange():
        return rp.fetch_access_token(
            redirect_uri=redirect_uri,
            authorization_response=callback,
            state=request["state"],
            code_verifier=request["code_verifier"],
        )

    token = exchange()
    # The ID token: signature against the JWKS at jwks_uri with an alg the
    # discovery document lists, then iss, aud, exp, iat, nonce, at_hash.
    claims = rp.parse_id_token(token, nonce=request["nonce"])
    header = segment(token["id_token"], 0)
    forged = dict(token, id_token=tampered(token["id_token"]))
    tampered_refused = refused(lambda: rp.parse_id_token(forged, nonce=request["nonce"]))
    wrong_nonce_refused = refused(lambda: rp.parse_id_token(token, nonce="not-the-nonce"))

    userinfo = rp.userinfo(token=token)
    assert userinfo["sub"] == claims["sub"], "UserInfo's sub is the ID token's"

    # offline_access: a refresh token, rotated on use.
    session = OAuth2Session(
        config["client_id"],
        config["client_secret"],
        scope=SCOPE,
        token_endpoint_auth_method="client_secret_basic",
    )
    refreshed = session.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    refreshed_claims = rp.parse_id_token(refreshed, nonce=None)
    refreshed_userinfo = rp.userinfo(token=refreshed)

    # The refusal: the code again. Vestibule answers invalid_grant and
    # revokes what the code gave, refreshed tokens too.
    replayed_code = refused(exchange)
    try:
        rp.userinfo(token=refreshed)
        after_replay_userinfo = 200
    except requests.HTTPError as error:
        after_replay_userinfo = error.response.status_code

    logout = rp.create_logout_url(
        post_logout_redirect_uri=config["post_logout_redirect_uri"],
        id_token_hint=token["id_token"],
    )

    emit(
        "result",
        library=f"authlib {authlib.__version__}",
        alg=header["alg"],
        token_type=token["token_type"],
        kid=header["kid"],
        # The keys authlib fetched from jwks_uri to check the signature.
        jwks_kids=[key["kid"] for key in rp.fetch_jwk_set()["keys"]],
        claims=dict(claims),
        tampered_token_refused=tampered_refused,
        wrong_nonce_refused=wrong_nonce_refused,
        userinfo=dict(userinfo),
        refreshed=refreshed["refresh_token"] != token["refresh_token"],
        refreshed_claims=dict(refreshed_claims),
        refreshed_userinfo=dict(refreshed_userinfo),
        replayed_code=replayed_code,
        after_replay_userinfo=after_replay_userinfo,
        end_session_url=logout["url"],
        end_session_state=logout["state"],
    )


if __name__ == "__main__":
    main()
