//! Real relying parties against the running portal: authlib (Python) and
//! openid-client with jose (Node.js) run the code flow with PKCE from
//! `clients/`, with discovery, the exchange, the ID token's signature
//! against the JWKS, UserInfo, a refresh, a replayed code and the
//! end-session URL all done by the libraries. The test plays the browser:
//! it follows the authorization URL a script prints, signed in, and hands
//! the redirect back. Skipped unless scripts/test installed the libraries
//! (and required when it did, through VESTIBULE_REQUIRE_CLIENTS=1).

use std::path::Path;

use reqwest::Client;
use serde_json::{Value, json};
use vestibule::domain::single_sign_on::SigningAlg;
use vestibule::services::assignments::Principal;

use crate::common::clients::{Script, node, python, repository};
use crate::common::oidc::{OidcClient, POST_LOGOUT_URI, REDIRECT_URI};
use crate::common::{TestApp, location, new_client, spawn_app, system_admin};

const EMAIL: &str = "ada@contoso.test";
const PASSWORD: &str = "Member-Passw0rd!";

/// DocuSign on OpenID Connect and a member holding DocuSign Sender,
/// signed in in their own browser.
struct World {
    app: TestApp,
    client: OidcClient,
    browser: Client,
    issuer: String,
}

async fn world(alg: SigningAlg) -> World {
    let app = spawn_app().await;
    let (app_id, _default, sender) = crate::common::flows::docusign(&app).await;
    let client = app.oidc_client(&app_id, alg, false).await;
    let user_id = app.create_member(EMAIL, PASSWORD, "").await;
    vestibule::services::assignments::assign(
        &app.state,
        &system_admin(),
        &app_id,
        &sender,
        &[Principal::User(user_id)],
    )
    .await
    .expect("the member is assigned");
    let browser = new_client();
    assert_eq!(app.sign_in_with(&browser, EMAIL, PASSWORD).await.status(), 303);
    let issuer = app.issuer().await;
    World {
        app,
        client,
        browser,
        issuer,
    }
}

impl World {
    /// Runs a relying party script to the end and returns its result.
    async fn drive(&self, program: &Path, script: &str) -> Value {
        let config = json!({
            "issuer": self.issuer,
            "client_id": self.client.client_id,
            "client_secret": self.client.secret,
            "redirect_uri": REDIRECT_URI,
            "post_logout_redirect_uri": POST_LOGOUT_URI,
        })
        .to_string();
        let path = repository().join(script);
        let mut rp = Script::start(program, &[path.to_str().unwrap(), &config], &[]);
        let url = rp.step("authorize").await["url"].as_str().unwrap().to_owned();
        let authorize = self.issuer.replace("/v2.0", "/oauth2/v2.0/authorize?");
        assert!(url.starts_with(&authorize), "{url}");
        let res = self.browser.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 302, "{url}: {}", res.text().await.unwrap());
        let callback = location(&res);
        assert!(callback.starts_with(REDIRECT_URI), "{callback}");
        rp.send(&callback);
        let result = rp.step("result").await;
        eprintln!("{result:#}");
        rp.finish().await;
        result
    }

    /// What both libraries must have seen, and the end-session URL they
    /// built, followed by the browser.
    async fn check(&self, result: &Value, alg: &str) {
        let library = result["library"].as_str().unwrap();
        assert_eq!(result["alg"], alg, "{library}");
        let claims = &result["claims"];
        assert_eq!(claims["iss"], self.issuer.as_str(), "{library}");
        assert_eq!(claims["aud"], self.client.client_id.as_str(), "{library}");
        assert_eq!(claims["roles"], json!(["DocuSignSender"]), "{library}: the app role");
        assert_eq!(claims["email"], EMAIL, "{library}");
        assert_eq!(claims["name"], "Test Member", "{library}");
        assert!(claims["nonce"].is_string(), "{library}");
        assert!(result["tampered_token_refused"].is_string(), "{library}: {result}");

        assert_eq!(result["userinfo"]["sub"], claims["sub"], "{library}: UserInfo's sub");
        assert_eq!(result["userinfo"]["email"], EMAIL, "{library}");

        assert_eq!(result["refreshed"], true, "{library}: the refresh token rotates");
        assert_eq!(result["refreshed_claims"]["sub"], claims["sub"], "{library}");
        assert_eq!(
            result["refreshed_claims"]["roles"],
            json!(["DocuSignSender"]),
            "{library}"
        );
        assert_eq!(result["refreshed_userinfo"]["sub"], claims["sub"], "{library}");

        assert_eq!(result["replayed_code"], "invalid_grant", "{library}: {result}");
        assert_eq!(
            result["after_replay_userinfo"], 401,
            "{library}: the replay revoked the refreshed tokens"
        );

        let end_session = result["end_session_url"].as_str().unwrap();
        assert!(
            end_session.starts_with(&self.issuer.replace("/v2.0", "/oauth2/v2.0/logout?")),
            "{end_session}"
        );
        assert_eq!(self.app.get_with(&self.browser, "/myapps").await.status(), 200);
        let res = self.browser.get(end_session).send().await.unwrap();
        assert_eq!(res.status(), 302, "{library}: the ID token hint signs out at once");
        let state = result["end_session_state"].as_str().unwrap();
        assert_eq!(location(&res), format!("{POST_LOGOUT_URI}?state={state}"), "{library}");
        assert_eq!(
            self.app.get_with(&self.browser, "/myapps").await.status(),
            303,
            "{library}: signed out of Vestibule"
        );
    }
}

#[tokio::test]
async fn authlib_signs_in_with_pkce_and_verifies_the_id_token_against_the_jwks() {
    let Some(python) = python() else { return };
    let w = world(SigningAlg::Rs256).await;
    let result = w.drive(&python, "clients/authlib_flow.py").await;
    w.check(&result, "RS256").await;
    assert!(
        result["library"].as_str().unwrap().starts_with("authlib 1."),
        "{result}"
    );
    let kids = result["jwks_kids"].as_array().unwrap();
    assert!(
        kids.contains(&result["kid"]),
        "the signing key is in the JWKS authlib fetched"
    );
    assert_eq!(
        result["tampered_token_refused"], "bad_signature",
        "authlib checks the signature"
    );
    assert!(result["wrong_nonce_refused"].is_string(), "authlib checks the nonce");
}

#[tokio::test]
async fn openid_client_signs_in_with_pkce_and_jose_verifies_the_id_token_against_the_jwks() {
    let Some(node) = node() else { return };
    let w = world(SigningAlg::Es256).await;
    let result = w.drive(&node, "clients/openid_client_flow.mjs").await;
    w.check(&result, "ES256").await;
    assert!(
        result["library"].as_str().unwrap().starts_with("openid-client 6."),
        "{result}"
    );
    assert_eq!(
        result["jose_claims"], result["claims"],
        "jose read the claims openid-client validated"
    );
    assert_eq!(
        result["tampered_token_refused"], "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "jose checks the signature"
    );
    assert_eq!(
        result["tampered_response_refused"], "JWT signature verification failed",
        "openid-client checks it too, told to by enableNonRepudiationChecks"
    );
}
