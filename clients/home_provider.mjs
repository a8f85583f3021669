// A guest's home identity provider for the tests: oidc-provider (panva's
// certified OpenID Provider) on a loopback port, with one confidential
// client (client_secret_post, the redirect URI given) and two accounts:
// "invited" asserts the invited address, "other" another one, both with
// email_verified true. Its development interactions sign users in: the
// login form takes the account id (any password), then the consent form.
//
// usage: node clients/home_provider.mjs REDIRECT_URI CLIENT_SECRET INVITED_EMAIL OTHER_EMAIL [HOST]
// HOST names the loopback in the issuer (default 127.0.0.1). A browser keeps
// cookies by host name, not by port: a portal on 127.0.0.1 and a provider
// named localhost keep theirs apart, as two real sites would.
// Prints one JSON line, {"issuer": "http://127.0.0.1:N", "client_id": "..."},
// and exits when its standard input closes, so it never outlives the test.

import { createServer } from "node:http";
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const [redirectUri, secret, invited, other, host = "127.0.0.1"] = process.argv.slice(2);
if (!other) {
  console.error("usage: node clients/home_provider.mjs REDIRECT_URI CLIENT_SECRET INVITED_EMAIL OTHER_EMAIL");
  process.exit(2);
}

const CLIENT_ID = "vestibule-home-client";
const accounts = {
  invited: { email: invited, email_verified: true },
  other: { email: other, email_verified: true },
};

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "home-rs256", alg: "RS256", use: "sig" };

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const issuer = `http://${host}:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: secret,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [jwk] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // The email claims in the ID token itself, not only at UserInfo.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, id) {
      const account = accounts[id];
      if (!account) {
        return undefined;
      }
      // The subject is the account id.
      return { accountId: id, claims: async () => ({ sub: id, ...account, name: id }) };
    },
  });
  // What went wrong inside the provider, for the test's failure output.
  for (const event of ["server_error", "authorization.error", "grant.error", "interaction.error"]) {
    provider.on(event, (_ctx, err) => console.error(`${event}: ${err?.stack ?? err}`));
  }
  server.on("request", provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer, client_id: CLIENT_ID })}\n`);
});

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
