//! Vestibule as an OpenID Connect provider, over HTTP: discovery, the code
//! flow with PKCE, the tokens and their claims, UserInfo, refresh, logout,
//! and every refusal the rules name. The real client libraries drive the
//! same flow from outside (`clients/`); these tests check the details.

use reqwest::Client;
use serde_json::Value;
use vestibule::domain::single_sign_on::SigningAlg;
use vestibule::security::jws::{Expect, PublicJwk, verify};

use crate::common::oidc::{
    Attempt, OidcClient, POST_LOGOUT_URI, REDIRECT_URI, authorize, claims, exchange, header, reply_params,
    token_request, userinfo,
};
use crate::common::{TestApp, location, new_client, spawn_app};

const PASSWORD: &str = "Member-Passw0rd!";

/// DocuSign on OpenID Connect, and a member signed in in their own browser,
/// holding DocuSign Sender through a group.
pub(crate) struct World {
    pub(crate) app: TestApp,
    client: OidcClient,
    user_id: String,
    browser: Client,
    tenant: String,
}

async fn world_with(alg: SigningAlg, public: bool) -> World {
    let app = spawn_app().await;
    let (app_id, _default, sender) = crate::common::flows::docusign(&app).await;
    let client = app.oidc_client(&app_id, alg, public).await;
    let user_id = app.create_member("ada@contoso.test", PASSWORD, "").await;
    let group = vestibule::services::groups::create_group(
        &app.state,
        &crate::common::system_admin(),
        &vestibule::services::groups::GroupForm {
            display_name: "Developers".into(),
            membership_type: "Assigned".into(),
            ..Default::default()
        },
    )
    .await
    .expect("a group");
    let now = app.clock.now();
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::groups::add_member(&mut conn, &group, &user_id, now)
        .await
        .unwrap();
    vestibule::store::assignments::insert(&mut conn, &app_id, &sender, "Group", &group, now)
        .await
        .unwrap();
    drop(conn);
    let browser = new_client();
    let res = app.sign_in_with(&browser, "ada@contoso.test", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let tenant = app.tenant_id().await;
    World {
        app,
        client,
        user_id,
        browser,
        tenant,
    }
}

pub(crate) async fn world() -> World {
    world_with(SigningAlg::Rs256, false).await
}

impl World {
    pub(crate) async fn tokens(&self) -> (Attempt, Value) {
        let attempt = Attempt::new();
        let code = authorize(&self.app, &self.browser, &self.client, &attempt).await;
        let (status, body) = exchange(&self.app, &self.client, &code, &attempt).await;
        assert_eq!(status, 200, "{body}");
        (attempt, body)
    }

    pub(crate) async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        token_request(
            &self.app,
            &self.client,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
        )
        .await
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.browser.get(self.app.url(path)).send().await.unwrap()
    }

    async fn authorize_with(&self, extra: &[(&str, &str)]) -> reqwest::Response {
        self.get(&Attempt::new().authorize_path(&self.tenant, &self.client, extra))
            .await
    }

    async fn jwks(&self) -> Vec<PublicJwk> {
        let res = self
            .app
            .client
            .get(self.app.url(&format!("/{}/discovery/v2.0/keys", self.tenant)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        serde_json::from_value(body["keys"].clone()).unwrap()
    }

    async fn sign_in_log(&self, status: &str) -> Vec<(Option<String>, Option<String>)> {
        sqlx::query_as(
            "SELECT error_code, app_name FROM sign_in_log WHERE status = $1 AND app_id IS NOT NULL ORDER BY id",
        )
        .bind(status)
        .fetch_all(self.app.db.pool())
        .await
        .unwrap()
    }
}

fn error_of(res: &reqwest::Response) -> (String, String) {
    let params = reply_params(&location(res));
    (
        params.get("error").cloned().unwrap_or_default(),
        params.get("state").cloned().unwrap_or_default(),
    )
}

#[tokio::test]
async fn discovery_describes_the_entra_shaped_endpoints() {
    let w = world().await;
    let issuer = w.app.issuer().await;
    for path in [
        format!("/{}/v2.0/.well-known/openid-configuration", w.tenant),
        "/contoso.test/v2.0/.well-known/openid-configuration".to_owned(),
        "/.well-known/openid-configuration".to_owned(),
    ] {
        let res = w.app.client.get(w.app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["issuer"], issuer.as_str());
        assert_eq!(
            doc["authorization_endpoint"],
            issuer.replace("/v2.0", "/oauth2/v2.0/authorize")
        );
        assert_eq!(doc["token_endpoint"], issuer.replace("/v2.0", "/oauth2/v2.0/token"));
        assert_eq!(doc["jwks_uri"], issuer.replace("/v2.0", "/discovery/v2.0/keys"));
        assert_eq!(doc["userinfo_endpoint"], w.app.url("/oidc/userinfo"));
        assert_eq!(
            doc["end_session_endpoint"],
            issuer.replace("/v2.0", "/oauth2/v2.0/logout")
        );
        assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    }
    let res = w
        .app
        .client
        .get(w.app.url("/fabrikam.test/v2.0/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "another tenant is not found");
    let keys = w.jwks().await;
    assert!(keys.iter().any(|k| k.alg == "RS256" && k.kty == "RSA" && k.n.is_some()));
    assert!(
        keys.iter()
            .any(|k| k.alg == "ES256" && k.crv.as_deref() == Some("P-256"))
    );
}

#[tokio::test]
async fn a_member_assigned_through_a_group_gets_signed_tokens_with_their_role() {
    let w = world().await;
    let (attempt, body) = w.tokens().await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid profile email offline_access");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert!(
        body["refresh_token"].as_str().is_some(),
        "offline_access gives a refresh token"
    );
    let id_token = body["id_token"].as_str().unwrap();
    let head = header(id_token);
    assert_eq!(head["alg"], "RS256");
    assert_eq!(head["typ"], "JWT");
    let issuer = w.app.issuer().await;
    let keys = w.jwks().await;
    assert!(
        keys.iter().any(|k| head["kid"] == k.kid.as_str()),
        "its key is published"
    );
    let expect = Expect {
        issuer: &issuer,
        audience: Some(&w.client.client_id),
        typ: "JWT",
        allow_expired: false,
    };
    let verified: Value = verify(id_token, &keys, &expect).expect("the signature checks against the JWKS");
    let c = claims(id_token);
    assert_eq!(verified, c);
    assert_eq!(c["iss"], issuer.as_str());
    assert_eq!(c["aud"], w.client.client_id.as_str());
    assert_eq!(c["oid"], w.user_id.as_str());
    assert_eq!(c["tid"], w.tenant.as_str());
    assert_eq!(c["nonce"], attempt.nonce.as_str());
    assert_eq!(c["ver"], "2.0");
    assert_eq!(
        c["roles"],
        serde_json::json!(["DocuSignSender"]),
        "the role's value, through the group"
    );
    assert_eq!(c["preferred_username"], "ada@contoso.test");
    assert_eq!(c["email"], "ada@contoso.test");
    assert!(
        c["sub"].as_str().unwrap().len() >= 32 && c["sub"] != w.user_id.as_str(),
        "pairwise"
    );
    for claim in ["exp", "iat", "nbf", "auth_time"] {
        assert!(c[claim].is_i64(), "{claim}");
    }
    assert!(c["sid"].is_string());

    let access = body["access_token"].as_str().unwrap();
    assert_eq!(header(access)["typ"], "at+jwt");
    let (status, info) = userinfo(&w.app, access).await;
    assert_eq!(status, 200);
    assert_eq!(info["sub"], c["sub"], "UserInfo's sub is the ID token's");
    assert_eq!(info["email"], "ada@contoso.test");
    assert_eq!(info["name"], "Test Member");

    let logged = w.sign_in_log("Success").await;
    assert_eq!(
        logged,
        vec![(None, Some("DocuSign".to_owned()))],
        "the sign-in log has the app sign-in"
    );
}

#[tokio::test]
async fn es256_apps_get_es256_tokens_and_basic_client_authentication_works() {
    let w = world_with(SigningAlg::Es256, false).await;
    let attempt = Attempt::new();
    let code = authorize(&w.app, &w.browser, &w.client, &attempt).await;
    let res = w
        .app
        .client_builder()
        .build()
        .unwrap()
        .post(w.app.url(&format!("/{}/oauth2/v2.0/token", w.tenant)))
        .basic_auth(&w.client.client_id, w.client.secret.as_ref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", attempt.verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let id_token = body["id_token"].as_str().unwrap();
    assert_eq!(header(id_token)["alg"], "ES256");
    let issuer = w.app.issuer().await;
    let expect = Expect {
        issuer: &issuer,
        audience: Some(&w.client.client_id),
        typ: "JWT",
        allow_expired: false,
    };
    assert!(verify::<Value>(id_token, &w.jwks().await, &expect).is_some());
}

#[tokio::test]
async fn an_unknown_client_or_a_redirect_uri_that_does_not_match_gets_a_page_never_a_redirect() {
    let w = world().await;
    let unknown = OidcClient {
        client_id: "00000000-0000-0000-0000-000000000000".into(),
        ..w.client.clone()
    };
    let res = w.get(&Attempt::new().authorize_path(&w.tenant, &unknown, &[])).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res.text().await.unwrap().contains("AADSTS700016"));
    for wrong in [
        "http://localhost:7777/signin-oidc/",
        "http://localhost:7777/signin-oidc?x=1",
        "http://evil.example/signin-oidc",
        "HTTP://localhost:7777/signin-oidc",
    ] {
        let res = w.authorize_with(&[("redirect_uri", wrong)]).await;
        assert_eq!(res.status(), 400, "{wrong}");
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.unwrap().contains("AADSTS50011"));
    }
    let res = w.authorize_with(&[("redirect_uri", "")]).await;
    assert_eq!(res.status(), 400);
    // A parameter given twice, before the client is known: a page too.
    let path = format!(
        "{}&client_id=again",
        Attempt::new().authorize_path(&w.tenant, &w.client, &[])
    );
    let res = w.get(&path).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
}

#[tokio::test]
async fn other_request_errors_go_back_to_the_app_with_state_and_iss() {
    let w = world().await;
    let issuer = w.app.issuer().await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[("response_type", "")], "invalid_request"),
        (&[("scope", "profile email")], "invalid_scope"),
        (&[("code_challenge_method", "plain")], "invalid_request"),
        (&[("code_challenge", "short")], "invalid_request"),
        (&[("response_mode", "fragment")], "invalid_request"),
        (&[("request", "eyJ.x.y")], "request_not_supported"),
        (&[("prompt", "none login")], "invalid_request"),
        (&[("max_age", "soon")], "invalid_request"),
    ];
    for (extra, error) in cases {
        let attempt = Attempt::new();
        let res = w.get(&attempt.authorize_path(&w.tenant, &w.client, extra)).await;
        assert_eq!(res.status(), 302, "{extra:?}");
        let to = location(&res);
        assert!(to.starts_with(REDIRECT_URI), "{to}");
        let params = reply_params(&to);
        assert_eq!(params.get("error").map(String::as_str), Some(*error), "{extra:?}");
        assert_eq!(params.get("state"), Some(&attempt.state));
        assert_eq!(params.get("iss"), Some(&issuer));
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn pkce_is_checked_and_public_clients_must_use_it() {
    let w = world().await;
    // Missing and wrong verifiers: each spends its code.
    for verifier in [None, Some("x".repeat(43)), Some("short".to_owned())] {
        let attempt = Attempt::new();
        let code = authorize(&w.app, &w.browser, &w.client, &attempt).await;
        let mut fields = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ];
        if let Some(v) = &verifier {
            fields.push(("code_verifier", v.as_str()));
        }
        let (status, body) = token_request(&w.app, &w.client, &fields).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{verifier:?}"
        );
        let (status, _) = exchange(&w.app, &w.client, &code, &attempt).await;
        assert_eq!(status, 400, "a code gets one try");
    }
    // A verifier with no challenge at authorize.
    let attempt = Attempt::new();
    let res = w
        .get(&attempt.authorize_path(
            &w.tenant,
            &w.client,
            &[("code_challenge", ""), ("code_challenge_method", "")],
        ))
        .await;
    let code = reply_params(&location(&res))
        .get("code")
        .cloned()
        .expect("a confidential client may skip PKCE");
    let (status, body) = exchange(&w.app, &w.client, &code, &attempt).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    // A public client without PKCE is sent back; with it, it signs in.
    let (public_app, _, _) = crate::common::flows::docusign(&w.app).await;
    let public = w.app.oidc_client(&public_app, SigningAlg::Rs256, true).await;
    let attempt = Attempt::new();
    let res = w
        .get(&attempt.authorize_path(
            &w.tenant,
            &public,
            &[("code_challenge", ""), ("code_challenge_method", "")],
        ))
        .await;
    assert_eq!(error_of(&res).0, "invalid_request");
    let attempt = Attempt::new();
    let res = w.get(&attempt.authorize_path(&w.tenant, &public, &[])).await;
    // The user is not assigned to this second app, which requires assignment.
    assert_eq!(res.status(), 403);
    sqlx::query("UPDATE applications SET assignment_required = 0 WHERE id = $1")
        .bind(&public_app)
        .execute(w.app.db.pool())
        .await
        .unwrap();
    let code = authorize(&w.app, &w.browser, &public, &attempt).await;
    let (status, body) = exchange(&w.app, &public, &code, &attempt).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        claims(body["id_token"].as_str().unwrap()).get("roles").is_none(),
        "Default Access adds no role"
    );
    // A secret for a public client is refused, as is no secret for a confidential one.
    let (status, body) = token_request(
        &w.app,
        &OidcClient {
            secret: None,
            ..w.client.clone()
        },
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_gave() {
    let w = world().await;
    let attempt = Attempt::new();
    let code = authorize(&w.app, &w.browser, &w.client, &attempt).await;
    let (status, first) = exchange(&w.app, &w.client, &code, &attempt).await;
    assert_eq!(status, 200);
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&w.app, access).await.0, 200);
    let (status, body) = exchange(&w.app, &w.client, &code, &attempt).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(
        userinfo(&w.app, access).await.0,
        401,
        "the first access token stops working"
    );
    let (status, _) = w.refresh(first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400, "and so does its refresh token");
    assert!(
        w.app
            .count("SELECT COUNT(*) FROM authorization_codes WHERE digest LIKE '%'")
            .await
            >= 1
    );
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM authorization_codes WHERE digest = $1")
        .bind(&code)
        .fetch_one(w.app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0, "only a digest of the code is kept");
}

#[tokio::test]
async fn an_expired_code_a_wrong_secret_or_another_redirect_uri_is_refused() {
    let w = world().await;
    let attempt = Attempt::new();
    let code = authorize(&w.app, &w.browser, &w.client, &attempt).await;
    w.app.clock.advance(61);
    let (status, body) = exchange(&w.app, &w.client, &code, &attempt).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    let attempt = Attempt::new();
    let code = authorize(&w.app, &w.browser, &w.client, &attempt).await;
    let wrong = OidcClient {
        secret: Some("vst~not-the-secret".into()),
        ..w.client.clone()
    };
    let (status, body) = exchange(&w.app, &wrong, &code, &attempt).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let res = w
        .app
        .client_builder()
        .build()
        .unwrap()
        .post(w.app.url(&format!("/{}/oauth2/v2.0/token", w.tenant)))
        .basic_auth(&w.client.client_id, Some("wrong"))
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_some());
    // The code was not spent by the failed client authentication.
    let (status, body) = token_request(
        &w.app,
        &w.client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://localhost:7777/other"),
            ("code_verifier", attempt.verifier.as_str()),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let (status, body) = token_request(&w.app, &w.client, &[("grant_type", "password")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    let (status, body) = token_request(&w.app, &w.client, &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let w = world().await;
    let (_, first) = w.tokens().await;
    let old = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = w.refresh(&old).await;
    assert_eq!(status, 200, "{second}");
    let new = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new, old, "it rotates");
    assert_eq!(
        claims(second["id_token"].as_str().unwrap())["roles"],
        serde_json::json!(["DocuSignSender"])
    );
    let (status, body) = w.refresh(&old).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "reuse is refused"
    );
    let (status, _) = w.refresh(&new).await;
    assert_eq!(status, 400, "and the whole family is revoked");
    assert_eq!(userinfo(&w.app, second["access_token"].as_str().unwrap()).await.0, 401);
}

#[tokio::test]
async fn removing_the_assignment_or_blocking_the_user_ends_refresh_and_userinfo() {
    for change in ["unassign", "block", "reset"] {
        let w = world().await;
        let (_, tokens) = w.tokens().await;
        let sql = match change {
            "unassign" => "DELETE FROM group_members WHERE user_id = $1",
            "block" => "UPDATE users SET account_enabled = 0 WHERE id = $1",
            _ => "UPDATE users SET external_user_state = 'PendingAcceptance' WHERE id = $1",
        };
        sqlx::query(sql)
            .bind(&w.user_id)
            .execute(w.app.db.pool())
            .await
            .unwrap();
        assert_eq!(
            userinfo(&w.app, tokens["access_token"].as_str().unwrap()).await.0,
            401,
            "{change}"
        );
        let (status, body) = w.refresh(tokens["refresh_token"].as_str().unwrap()).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{change}"
        );
    }
}

#[tokio::test]
async fn signing_out_of_vestibule_ends_userinfo_for_the_session() {
    let w = world().await;
    let (_, tokens) = w.tokens().await;
    let html = w.get("/myapps").await.text().await.unwrap();
    let csrf = crate::common::csrf_token(&html);
    w.browser
        .post(w.app.url("/signout"))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo(&w.app, tokens["access_token"].as_str().unwrap()).await.0, 401);
}

#[tokio::test]
async fn an_unassigned_user_a_disabled_app_and_a_blocked_session_are_refused_on_a_page_and_logged() {
    let w = world().await;
    sqlx::query("DELETE FROM group_members WHERE user_id = $1")
        .bind(&w.user_id)
        .execute(w.app.db.pool())
        .await
        .unwrap();
    let res = w.authorize_with(&[]).await;
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("AADSTS50105: Your administrator has configured the application DocuSign"),
        "{html}"
    );
    assert!(
        html.contains("specifically granted (&#39;assigned&#39;) access")
            || html.contains("specifically granted ('assigned') access")
    );
    assert_eq!(
        w.sign_in_log("Failure").await,
        vec![(Some("50105".into()), Some("DocuSign".into()))]
    );

    // Without Assignment required anyone signed in may use it.
    sqlx::query("UPDATE applications SET assignment_required = 0 WHERE id = $1")
        .bind(&w.client.app_id)
        .execute(w.app.db.pool())
        .await
        .unwrap();
    assert_eq!(w.authorize_with(&[]).await.status(), 302);

    sqlx::query("UPDATE applications SET enabled = 0 WHERE id = $1")
        .bind(&w.client.app_id)
        .execute(w.app.db.pool())
        .await
        .unwrap();
    let res = w.authorize_with(&[]).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("AADSTS7000112"));

    // A blocked user's session is over: authorize sends them to sign in.
    sqlx::query("UPDATE users SET account_enabled = 0 WHERE id = $1")
        .bind(&w.user_id)
        .execute(w.app.db.pool())
        .await
        .unwrap();
    let res = w.authorize_with(&[]).await;
    assert_eq!(res.status(), 302);
    assert!(location(&res).starts_with("/signin?next="));
}

#[tokio::test]
async fn signing_in_on_the_way_comes_straight_back_and_prompt_none_says_login_required() {
    let w = world().await;
    let anonymous = new_client();
    let attempt = Attempt::new();
    let path = attempt.authorize_path(&w.tenant, &w.client, &[("prompt", "none")]);
    let res = anonymous.get(w.app.url(&path)).send().await.unwrap();
    let (error, state) = error_of(&res);
    assert_eq!(
        (error.as_str(), state.as_str()),
        ("login_required", attempt.state.as_str())
    );

    let path = attempt.authorize_path(&w.tenant, &w.client, &[("login_hint", "ada@contoso.test")]);
    let res = anonymous.get(w.app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let signin = location(&res);
    assert!(signin.starts_with("/signin?next="), "{signin}");
    let res = anonymous.get(w.app.url(&signin)).send().await.unwrap();
    // Its form's redirects end at the app, which the policy lets them reach.
    assert!(
        form_action(&res).ends_with(&format!("'self' {APP_ORIGIN}")),
        "{}",
        form_action(&res)
    );
    let page = res.text().await.unwrap();
    assert!(
        page.contains("value=\"ada@contoso.test\""),
        "login_hint fills the address in"
    );
    let next = html_unescape(&crate::common::attribute_after(&page, "name=\"next\" value=\"").unwrap());
    let res = anonymous
        .post(w.app.url("/signin"))
        .form(&[
            ("csrf_token", crate::common::csrf_token(&page).as_str()),
            ("email", "ada@contoso.test"),
            ("password", PASSWORD),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let back = location(&res);
    let res = anonymous.get(w.app.url(&back)).send().await.unwrap();
    let status = res.status();
    assert_eq!(
        status,
        302,
        "back at authorize, signed in: {back} {}",
        res.text().await.unwrap()
    );
    let params = reply_params(&location(&res));
    let (status, _) = exchange(&w.app, &w.client, params.get("code").unwrap(), &attempt).await;
    assert_eq!(status, 200);

    // prompt=login sends a signed-in user to sign in again, once.
    let res = w.authorize_with(&[("prompt", "login")]).await;
    assert!(location(&res).starts_with("/signin?next="));
    // max_age=0 likewise.
    w.app.clock.advance(5);
    let res = w.authorize_with(&[("max_age", "0")]).await;
    assert!(location(&res).starts_with("/signin?next="));
    let res = w.authorize_with(&[("max_age", "3600")]).await;
    assert_eq!(res.status(), 302);
    assert!(location(&res).starts_with(REDIRECT_URI));
}

#[tokio::test]
async fn form_post_answers_with_a_form_for_the_app() {
    let w = world().await;
    let res = w.authorize_with(&[("response_mode", "form_post")]).await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("form-action http://localhost:7777"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("action=\"{REDIRECT_URI}\"")));
    assert!(html.contains("name=\"code\""));
    assert!(html.contains("name=\"iss\""));
}

#[tokio::test]
async fn logout_with_a_hint_signs_out_at_once_and_without_one_asks_first() {
    let w = world().await;
    let (_, tokens) = w.tokens().await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let logout = format!("/{}/oauth2/v2.0/logout", w.tenant);
    // An unregistered post-logout URI: a page, no redirect.
    let res = w
        .browser
        .get(format!(
            "{}?{}",
            w.app.url(&logout),
            serde_urlencoded::to_string([
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", "https://evil.example/")
            ])
            .unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    // Without a hint: "Sign out?" first; nothing changes until confirmed.
    let res = w
        .browser
        .get(format!(
            "{}?{}",
            w.app.url(&logout),
            serde_urlencoded::to_string([
                ("client_id", w.client.client_id.as_str()),
                ("post_logout_redirect_uri", POST_LOGOUT_URI)
            ])
            .unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(form_action(&res), format!("form-action 'self' {APP_ORIGIN}"));
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Sign out?</h1>"));
    assert_eq!(w.get("/myapps").await.status(), 200, "still signed in");
    // A forged confirmation without the page's token does nothing.
    let res = w
        .browser
        .post(w.app.url(&logout))
        .form(&[("confirm", "1"), ("client_id", w.client.client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(w.get("/myapps").await.status(), 200, "still signed in");
    // With the hint and state: signed out and back to the app.
    let res = w
        .browser
        .get(format!(
            "{}?{}",
            w.app.url(&logout),
            serde_urlencoded::to_string([
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", POST_LOGOUT_URI),
                ("state", "bye"),
            ])
            .unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), format!("{POST_LOGOUT_URI}?state=bye"));
    assert_eq!(w.get("/myapps").await.status(), 303, "signed out");
    assert_eq!(userinfo(&w.app, tokens["access_token"].as_str().unwrap()).await.0, 401);
}

#[tokio::test]
async fn the_confirmed_sign_out_form_signs_out() {
    let w = world().await;
    let logout = format!("/{}/oauth2/v2.0/logout", w.tenant);
    let res = w.get(&logout).await;
    assert_eq!(form_action(&res), "form-action 'self'", "nowhere else to go");
    let html = res.text().await.unwrap();
    let csrf = crate::common::csrf_token(&html);
    let res = w
        .browser
        .post(w.app.url(&logout))
        .form(&[("confirm", "1"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), "/signin?signed_out=1");
    assert_eq!(w.get("/myapps").await.status(), 303);
}

#[tokio::test]
async fn rotated_keys_sign_new_tokens_while_the_old_ones_stay_published() {
    let w = world().await;
    let (_, before) = w.tokens().await;
    let old_kid = header(before["id_token"].as_str().unwrap())["kid"].clone();
    vestibule::services::signing_keys::rotate(&w.app.state).await.unwrap();
    let (_, after) = w.tokens().await;
    let new_kid = header(after["id_token"].as_str().unwrap())["kid"].clone();
    assert_ne!(old_kid, new_kid);
    let keys = w.jwks().await;
    assert!(keys.iter().any(|k| old_kid == k.kid.as_str()) && keys.iter().any(|k| new_kid == k.kid.as_str()));
    assert_eq!(userinfo(&w.app, before["access_token"].as_str().unwrap()).await.0, 200);
    // A day later the retired key is gone from the JWKS.
    w.app.clock.advance(25 * 3600);
    w.app.state.signing_keys.forget();
    let keys = w.jwks().await;
    assert!(!keys.iter().any(|k| old_kid == k.kid.as_str()));
    let sealed: String = sqlx::query_scalar("SELECT sealed_private_key FROM signing_keys LIMIT 1")
        .fetch_one(w.app.db.pool())
        .await
        .unwrap();
    assert!(
        !sealed.contains("BEGIN") && sealed.len() > 100,
        "private keys are sealed at rest"
    );
}

/// An attribute's text as a browser reads it.
/// `http://localhost:7777`, the origin of `REDIRECT_URI` and
/// `POST_LOGOUT_URI`, as a policy names it.
const APP_ORIGIN: &str = "http://localhost:7777";

/// The `form-action` directive of a page's Content-Security-Policy.
fn form_action(res: &reqwest::Response) -> String {
    let policy = res.headers()["content-security-policy"].to_str().unwrap();
    policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("form-action"))
        .unwrap_or_else(|| panic!("form-action in {policy}"))
        .to_owned()
}

/// Browsers hold every redirect after a form post to the page's
/// `form-action`: Sign in and Enter code, on the way to an application,
/// name the application's origin there (its registered redirect URI's),
/// and no other page does.
#[tokio::test]
async fn pages_on_the_way_to_an_app_let_their_forms_lead_there() {
    let w = world().await;
    let anonymous = new_client();
    let attempt = Attempt::new();
    let next = attempt.authorize_path(&w.tenant, &w.client, &[]);
    let on_the_way = format!("form-action 'self' {APP_ORIGIN}");
    let signin = |next: &str| format!("/signin?next={}", vestibule::domain::url_query::encode(next));
    let res = anonymous.get(w.app.url(&signin(&next))).send().await.unwrap();
    assert_eq!(form_action(&res), on_the_way);
    let page = res.text().await.unwrap();
    let csrf = crate::common::csrf_token(&page);

    // A wrong password shows the page again, still on the way.
    let res = anonymous
        .post(w.app.url("/signin"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "ada@contoso.test"),
            ("password", "not-the-password"),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(form_action(&res), on_the_way);
    // Email me a sign-in code: Enter code, and a wrong code, likewise.
    let res = anonymous
        .post(w.app.url("/signin/code"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "grace@fabrikam.test"),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(form_action(&res), on_the_way);
    let res = anonymous
        .post(w.app.url("/signin/code/verify"))
        .form(&[("csrf_token", csrf.as_str()), ("code", "00000000")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(form_action(&res), on_the_way);

    // A redirect URI the app did not register, another client, another
    // path, or no next at all: this site only.
    let unregistered = attempt.authorize_path(
        &w.tenant,
        &w.client,
        &[("redirect_uri", "https://evil.example/signin-oidc")],
    );
    let unknown = attempt.authorize_path(&w.tenant, &w.client, &[("client_id", "not-a-client")]);
    let elsewhere = format!("/myapps?redirect_uri={REDIRECT_URI}");
    for path in [
        signin(&unregistered),
        signin(&unknown),
        signin(&elsewhere),
        signin("https://evil.example/"),
        "/signin".to_owned(),
    ] {
        let res = new_client().get(w.app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(form_action(&res), "form-action 'self'", "{path}");
    }
}

fn html_unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#38;", "&")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
