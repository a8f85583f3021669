//! An application's API permissions page and the `client_credentials`
//! grant: permissions count only once a Global Administrator grants admin
//! consent; the token's `roles` list them; revoking holds from the next
//! request; only Global Administrators use the page; each change audited.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use vestibule::domain::Role;

use crate::common::graph::assert_graph_error;
use crate::common::{TestApp, gallery_app, spawn_app};

fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn audit_activities(app: &TestApp, target: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT activity FROM audit_log WHERE target_id = $1 ORDER BY occurred_at, id")
        .bind(target)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_token_lists_only_consented_permissions_as_roles() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All", "User.Read.All"]).await;
    let token = app.api_token(&client).await;
    let claims = claims_of(&token);
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["appid"], client.client_id.as_str());
    assert_eq!(claims["oid"], client.app_id.as_str());
    assert_eq!(claims["tid"], app.tenant_id().await.as_str());
    assert_eq!(claims["iss"], app.issuer().await.as_str());
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    assert_eq!(claims["roles"], serde_json::json!(["User.Invite.All", "User.Read.All"]));

    let unconsented = app.api_client_with("Not consented", &["User.Read.All"], false).await;
    let token = app.api_token(&unconsented).await;
    assert!(
        claims_of(&token).get("roles").is_none(),
        "nothing granted: no roles claim"
    );
    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&serde_json::json!({
                "invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "https://myapps.example"
            })),
        )
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
}

#[tokio::test]
async fn client_credentials_follows_entra_rules() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Read.All"]).await;
    let graph = "https://graph.microsoft.com/.default";
    // The secret in Basic, and the fields MSAL adds, which are ignored.
    let tenant = app.tenant_id().await;
    let res = app
        .client
        .post(app.url(&format!("/{tenant}/oauth2/v2.0/token?client-request-id=abc")))
        .basic_auth(&client.client_id, Some(&client.secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", graph),
            ("client_info", "1"),
            ("x-client-SKU", "MSAL.Python"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());

    // Vestibule's own resource and Graph's application ID name Graph too.
    for scope in [
        format!("{}/.default", app.address),
        "00000003-0000-0000-c000-000000000000/.default".into(),
    ] {
        let (status, body) = app
            .token_answer(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client.client_id),
                ("client_secret", &client.secret),
                ("scope", &scope),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "{scope}: {body}");
    }

    type Case<'a> = (Vec<(&'a str, &'a str)>, StatusCode, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![
                ("client_id", &client.client_id),
                ("client_secret", "wrong"),
                ("scope", graph),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215",
        ),
        (
            vec![
                ("client_id", "00000000-1111-2222-3333-444444444444"),
                ("client_secret", "x"),
                ("scope", graph),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS700016",
        ),
        (
            vec![("client_id", &client.client_id), ("scope", graph)],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000218",
        ),
        (
            vec![("client_id", &client.client_id), ("client_secret", &client.secret)],
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "AADSTS900144",
        ),
        (
            vec![
                ("client_id", &client.client_id),
                ("client_secret", &client.secret),
                ("scope", "https://graph.microsoft.com/User.Read"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "AADSTS1002012",
        ),
    ];
    for (fields, status, code, aadsts) in cases {
        let mut all = vec![("grant_type", "client_credentials")];
        all.extend(fields.iter().copied());
        let (got, body) = app.token_answer(&all).await;
        assert_eq!(got, status, "{fields:?}: {body}");
        assert_eq!(body["error"], code, "{body}");
        assert!(
            body["error_description"].as_str().unwrap().starts_with(aadsts),
            "{body}"
        );
    }

    // A disabled application gets no token.
    sqlx::query("UPDATE applications SET enabled = 0 WHERE id = $1")
        .bind(&client.app_id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let (status, body) = app
        .token_answer(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", &client.secret),
            ("scope", graph),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
}

#[tokio::test]
async fn revoking_consent_holds_from_the_next_request() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let invite = |email: &str| serde_json::json!({"invitedUserEmailAddress": email, "inviteRedirectUrl": "https://myapps.example"});
    let (status, _) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&invite("a@fabrikam.example")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    vestibule::services::api_permissions::revoke_admin_consent(
        &app.state,
        &crate::common::system_admin(),
        &client.app_id,
        vestibule::domain::api_permission::ApiPermission::UserInviteAll,
    )
    .await
    .unwrap();
    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&invite("b@fabrikam.example")),
        )
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE mail_lower = 'b@fabrikam.example'")
            .await,
        0
    );

    // A deleted application's token stops at once.
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    sqlx::query("DELETE FROM applications WHERE id = $1")
        .bind(&client.app_id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&invite("c@fabrikam.example")),
        )
        .await;
    assert_graph_error(status, &body, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn bad_tokens_are_refused_with_graph_errors() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/v1.0/invitations"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("request-id"));
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(body["error"]["message"], "Access token is empty.");

    let client = app.api_client(&["User.Read.All"]).await;
    let token = app.api_token(&client).await;
    // One character in the middle of the signature changed.
    let at = token.len() - 20;
    let swapped = if &token[at..at + 1] == "A" { "B" } else { "A" };
    let forged = format!("{}{swapped}{}", &token[..at], &token[at + 1..]);
    for bad in [forged.as_str(), "not-a-token", &"x".repeat(10_000)] {
        let (status, body) = app
            .graph_json(bad, Method::POST, "/v1.0/invitations", Some(&serde_json::json!({})))
            .await;
        assert_graph_error(status, &body, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    }
    // An expired token.
    app.clock.advance(3700);
    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&serde_json::json!({})))
        .await;
    assert_graph_error(status, &body, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn a_sign_in_apps_access_token_does_not_open_the_api() {
    use crate::common::oidc::{Attempt, authorize, exchange};
    let app = spawn_app().await;
    let (docusign, _) = gallery_app(&app, "docusign", "DocuSign").await;
    sqlx::query("UPDATE applications SET assignment_required = 0 WHERE id = $1")
        .bind(&docusign.id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let oidc = app
        .oidc_client(
            &docusign.id,
            vestibule::domain::single_sign_on::SigningAlg::Rs256,
            false,
        )
        .await;
    app.sign_in_as_admin().await;
    let attempt = Attempt::new();
    let code = authorize(&app, &app.client, &oidc, &attempt).await;
    let (status, tokens) = exchange(&app, &oidc, &code, &attempt).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let (status, body) = app
        .graph_json(access, Method::POST, "/v1.0/invitations", Some(&serde_json::json!({})))
        .await;
    assert_graph_error(status, &body, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn the_page_adds_permissions_grants_consent_after_confirmation_and_revokes() {
    let app = spawn_app().await;
    let (docusign, _) = gallery_app(&app, "docusign", "DocuSign").await;
    app.sign_in_as_admin().await;
    let page = format!("/admin/apps/{}/api-permissions", docusign.id);
    let html = app.get_html(&page).await;
    assert!(html.contains("No permissions are configured"), "{html}");
    assert!(html.contains("User.Invite.All") && html.contains("AuditLog.Read.All"));

    // Nothing chosen, or a name that is not on the list: refused, nothing written.
    for fields in [vec![], vec![("permission", "Directory.ReadWrite.All")]] {
        let res = app.submit(&page, &format!("{page}/add"), &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM app_api_permissions").await, 0);

    let res = app
        .submit(
            &page,
            &format!("{page}/add"),
            &[("permission", "User.Invite.All"), ("permission", "User.Read.All")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = app.get_html(&page).await;
    assert_eq!(html.matches("Not granted for").count(), 2, "{html}");
    assert!(
        html.contains("data-testid=\"api-client-id\""),
        "adding a permission gives a client ID"
    );

    let confirm = app.get_html(&format!("{page}/consent")).await;
    assert!(confirm.contains("Do you want to grant consent"), "{confirm}");
    let res = app
        .submit(&format!("{page}/consent"), &format!("{page}/consent"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = app.get_html(&page).await;
    assert_eq!(html.matches("Granted for").count(), 2, "{html}");
    assert!(!html.contains("grant-admin-consent"));

    let res = app.submit(&page, &format!("{page}/User.Read.All/revoke"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app.submit(&page, &format!("{page}/User.Invite.All/remove"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let rows: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT permission, consented_at FROM app_api_permissions WHERE app_id = $1")
            .bind(&docusign.id)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(rows, vec![("User.Read.All".to_owned(), None)]);
    let activities = audit_activities(&app, &docusign.id).await;
    for expected in [
        "Update application",
        "Consent to application",
        "Remove app role assignment from service principal",
    ] {
        assert!(activities.iter().any(|a| a == expected), "{expected}: {activities:?}");
    }
}

#[tokio::test]
async fn only_a_global_administrator_uses_the_page() {
    let app = spawn_app().await;
    let (docusign, _) = gallery_app(&app, "docusign", "DocuSign").await;
    let page = format!("/admin/apps/{}/api-permissions", docusign.id);
    app.create_member("ua@contoso.example", "Ua-passw0rd-long", Role::UserAdministrator.key())
        .await;
    app.sign_in("ua@contoso.example", "Ua-passw0rd-long").await;
    assert_eq!(app.get(&page).await.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_raw(&app.client, &format!("{page}/add"), &[("permission", "User.Read.All")])
        .await;
    assert!(res.status().is_client_error());
    assert_eq!(app.count("SELECT COUNT(*) FROM app_api_permissions").await, 0);
}
