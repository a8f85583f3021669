// oidc-provider (panva's certified OpenID Provider for Node.js) set up for
// the benchmark's side-by-side client-credentials figure: the same request
// the benchmark sends to Vestibule's token endpoint
// (grant_type=client_credentials, scope https://graph.microsoft.com/.default,
// the client's id and secret in the body) gets a one-hour access token here
// too, for the resource https://graph.microsoft.com.
//
// vestibule-bench starts it with `node bench/oidc_provider_server.mjs SECRET`
// (node_modules from the repository's package-lock.json), reads one JSON line
// from stdout, {"port": N, "token_path": "/token"}, and stops it when done; it
// also exits when its standard input closes, so it never outlives the bench.
//
// Three clients share SECRET and differ in one thing each:
//   bench-jwt     client_secret_post, RS256 JWT access tokens (like Vestibule's)
//   bench-opaque  client_secret_post, opaque access tokens (oidc-provider's
//                 default: a random value, the token kept in its memory adapter)
//   bench-basic   client_secret_basic, RS256 JWT access tokens

import { createServer } from "node:http";
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const secret = process.argv[2];
if (!secret) {
  console.error("usage: node bench/oidc_provider_server.mjs CLIENT_SECRET");
  process.exit(2);
}

const RESOURCE = "https://graph.microsoft.com";
const SCOPE = "https://graph.microsoft.com/.default";

// An RSA 2048 signing key, as Vestibule's RS256 key.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "bench-rs256", alg: "RS256", use: "sig" };

const client = (client_id, token_endpoint_auth_method) => ({
  client_id,
  client_secret: secret,
  grant_types: ["client_credentials"],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method,
});

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [
      client("bench-jwt", "client_secret_post"),
      client("bench-opaque", "client_secret_post"),
      client("bench-basic", "client_secret_basic"),
    ],
    jwks: { keys: [jwk] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // No `resource` parameter: the token is for Graph, as the scope says.
        defaultResource: () => RESOURCE,
        getResourceServerInfo: (_ctx, resource, requester) => {
          if (resource !== RESOURCE) {
            throw new Provider.errors.InvalidTarget();
          }
          const opaque = requester.clientId === "bench-opaque";
          return {
            scope: SCOPE,
            audience: RESOURCE,
            accessTokenTTL: 3600,
            accessTokenFormat: opaque ? "opaque" : "jwt",
            ...(opaque ? {} : { jwt: { sign: { alg: "RS256" } } }),
          };
        },
      },
    },
  });
  server.on("request", provider.callback());
  process.stdout.write(`${JSON.stringify({ port, token_path: "/token" })}\n`);
});

process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
