// A relying party on openid-client 6 that signs in through Vestibule: the
// code flow with PKCE, state and nonce, with no code of Vestibule's.
// openid-client checks the flow strictly; it checks ID token signatures
// only when told to (enableNonRepudiationChecks), so jose checks them a
// second time on its own, against the JWKS.
//
// tests/api/client_libraries.rs starts it with one argument, a JSON object:
// issuer, client_id, client_secret, redirect_uri, post_logout_redirect_uri.
// It talks on its standard streams, one JSON object a line:
//
//   stdout  {"step": "authorize", "url": ...}   the browser goes there
//   stdin   the URL Vestibule redirected the browser to (code, state, iss)
//   stdout  {"step": "result", ...}             what the libraries checked
//
// Anything a library refuses ends it with the error on stderr and a
// non-zero exit.

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import * as jose from "jose";
import * as client from "openid-client";

const SCOPE = "openid profile email offline_access";

const config = JSON.parse(process.argv[2]);
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();

function emit(step, fields) {
  process.stdout.write(JSON.stringify({ step, ...fields }) + "\n");
}

function version(name) {
  const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

/** The same token with another subject and the original signature. */
function tampered(idToken) {
  const [head, payload, signature] = idToken.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  claims.sub = "someone-else";
  return [head, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
}

/** The name of the error `action` throws; null when it does not throw. */
async function refused(action) {
  try {
    await action();
  } catch (error) {
    return error.error ?? error.code ?? error.name;
  }
  return null;
}

// Discovery: the issuer in the document must be the one asked for; the
// default client authentication is client_secret_post.
const rp = await client.discovery(new URL(config.issuer), config.client_id, config.client_secret, undefined, {
  execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
});
const metadata = rp.serverMetadata();
if (!metadata.supportsPKCE()) throw new Error("the discovery document does not offer PKCE S256");

const codeVerifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const url = client.buildAuthorizationUrl(rp, {
  redirect_uri: config.redirect_uri,
  scope: SCOPE,
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: "S256",
  state,
  nonce,
});
emit("authorize", { url: url.href });

const { value: callback } = await lines.next();
input.close();

// The callback (error, state, iss per RFC 9207), the exchange with the
// verifier, and the ID token's claims and signature.
const checks = { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true };
const exchange = () => client.authorizationCodeGrant(rp, new URL(callback.trim()), checks);
const tokens = await exchange();
const claims = tokens.claims();

// jose, on its own: the signature against the JWKS, the issuer and the
// audience.
const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));
const verifyOptions = {
  issuer: config.issuer,
  audience: config.client_id,
  algorithms: metadata.id_token_signing_alg_values_supported,
  typ: "JWT",
  requiredClaims: ["sub", "iat", "exp", "nonce"],
};
const verified = await jose.jwtVerify(tokens.id_token, jwks, verifyOptions);
if (verified.payload.nonce !== nonce) throw new Error("the nonce differs");
const tamperedRefused = await refused(() => jose.jwtVerify(tampered(tokens.id_token), jwks, verifyOptions));

const userinfo = await client.fetchUserInfo(rp, tokens.access_token, claims.sub);

// offline_access: a refresh token, rotated on use.
const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token);
const refreshedClaims = refreshed.claims();
await jose.jwtVerify(refreshed.id_token, jwks, { ...verifyOptions, requiredClaims: ["sub"] });
const refreshedUserinfo = await client.fetchUserInfo(rp, refreshed.access_token, claims.sub);

// openid-client's own signature check: a token response whose ID token
// was changed on the way (another subject, the original signature) is
// refused. The refresh token it spends is not used again.
const onTheWay = new client.Configuration(metadata, config.client_id, config.client_secret);
client.allowInsecureRequests(onTheWay);
client.enableNonRepudiationChecks(onTheWay);
onTheWay[client.customFetch] = async (url, options) => {
  const response = await fetch(url, options);
  const body = await response.json();
  if (body.id_token) body.id_token = tampered(body.id_token);
  return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
};
let tamperedResponseRefused = null;
try {
  await client.refreshTokenGrant(onTheWay, refreshed.refresh_token);
} catch (error) {
  tamperedResponseRefused = error.cause?.message ?? error.message;
}

// The refusal: the code again. Vestibule answers invalid_grant and revokes
// what the code gave, refreshed tokens too.
const replayedCode = await refused(exchange);
let afterReplayUserinfo = 200;
try {
  await client.fetchUserInfo(rp, refreshed.access_token, claims.sub);
} catch (error) {
  afterReplayUserinfo = error.status ?? error.response?.status ?? error.name;
}

const endSessionState = client.randomState();
const endSession = client.buildEndSessionUrl(rp, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: config.post_logout_redirect_uri,
  state: endSessionState,
});

emit("result", {
  library: `openid-client ${version("openid-client")}, jose ${version("jose")}`,
  alg: verified.protectedHeader.alg,
  kid: verified.protectedHeader.kid,
  token_type: tokens.token_type,
  claims,
  jose_claims: verified.payload,
  tampered_token_refused: tamperedRefused,
  tampered_response_refused: tamperedResponseRefused,
  userinfo,
  refreshed: refreshed.refresh_token !== tokens.refresh_token,
  refreshed_claims: refreshedClaims,
  refreshed_userinfo: refreshedUserinfo,
  replayed_code: replayedCode,
  after_replay_userinfo: afterReplayUserinfo,
  end_session_url: endSession.href,
  end_session_state: endSessionState,
});
