//! A NUL character (U+0000) in any page's path, query or form: PostgreSQL's
//! text cannot hold one, so it must be refused before any query, with the
//! same clear answer on both stores and nothing written.

use reqwest::StatusCode;

use crate::common::flows::invite;
use crate::common::spawn_app;

#[tokio::test]
async fn a_nul_in_a_form_a_query_or_a_path_is_refused_with_a_clear_page_and_changes_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let users = app.count("SELECT COUNT(*) FROM users").await;

    let res = invite(
        &app,
        &app.client,
        &[("email", "grace@fabrikam.test"), ("display_name", "Grace\u{0}Guest")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.text().await.unwrap().contains("NUL character (U+0000)"),
        "the page says why"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users);

    for path in [
        "/admin/users?search=gr%00ace",
        "/admin/users/ab%00cd",
        "/redeem?ticket=a%00b",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
    }

    // Forms without a session: sign-in, and an application's token request.
    let res = app
        .sign_in_with(&crate::common::new_client(), "a\u{0}@contoso.test", "x")
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let tenant = app.tenant_id().await;
    let res = app
        .client
        .post(app.url(&format!("/{tenant}/oauth2/v2.0/token")))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "a\u{0}b"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users);
}
