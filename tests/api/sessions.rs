use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, assert_redirect_to, new_client, spawn_app};

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("vestibule_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn the_session_cookie_is_secure_http_only_and_lax() {
    let app = spawn_app().await;
    let res = app.get("/signin").await;
    let header = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("vestibule_session="))
        .expect("a session cookie for the CSRF token");
    assert!(header.contains("Secure"));
    assert!(header.contains("HttpOnly"));
    assert!(header.contains("SameSite=Lax"));
}

#[tokio::test]
async fn signing_in_renews_the_session() {
    let app = spawn_app().await;
    let before = session_cookie(&app.get("/signin").await).unwrap();
    let res = app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let after = session_cookie(&res).expect("a new cookie at sign-in");
    assert_ne!(before, after);
    // The anonymous session's cookie does not become a signed-in one.
    assert_redirect_to(
        &app.get_with_cookie("/admin/users", &before).await,
        "/signin?next=%2Fadmin%2Fusers",
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_and_every_copy_of_its_cookie() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let stolen = app.cookie_header();
    assert_eq!(app.get_with_cookie("/admin/users", &stolen).await.status(), 200);
    let res = app.submit("/admin/users", "/signout", &[]).await;
    assert_redirect_to(&res, "/signin?signed_out=1");
    assert!(
        app.get_html("/signin?signed_out=1")
            .await
            .contains("You have signed out.")
    );
    assert_redirect_to(&app.get("/admin/users").await, "/signin?next=%2Fadmin%2Fusers");
    let replay = app.get_with_cookie("/admin/users", &stolen).await;
    assert_eq!(replay.status(), 303, "a stolen cookie is refused after sign-out");
}

#[tokio::test]
async fn a_stolen_cookie_is_refused_after_a_role_change() {
    let app = spawn_app().await;
    let id = app
        .create_member("helen@contoso.test", "Helen-passw0rd", "helpdesk_administrator")
        .await;
    let helen = new_client();
    app.sign_in_with(&helen, "helen@contoso.test", "Helen-passw0rd").await;
    assert_eq!(app.get_with(&helen, "/admin/users").await.status(), 200);
    app.sign_in_as_admin().await;
    let res = app
        .submit(
            "/admin/roles",
            "/admin/roles/remove",
            &[("user_id", &id), ("role", "helpdesk_administrator")],
        )
        .await;
    assert_redirect_to(&res, "/admin/roles");
    let res = app.get_with(&helen, "/admin/users").await;
    assert_redirect_to(&res, "/signin?next=%2Fadmin%2Fusers");
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    app.clock.advance(59 * 60);
    assert_eq!(
        app.get("/admin/users").await.status(),
        200,
        "active within the idle time"
    );
    app.clock.advance(59 * 60);
    assert_eq!(
        app.get("/admin/users").await.status(),
        200,
        "each request renews the idle time"
    );
    app.clock.advance(61 * 60);
    let res = app.get("/admin/users").await;
    assert_redirect_to(&res, "/signin?next=%2Fadmin%2Fusers");
    assert!(app.get_html("/signin").await.contains("Your session expired."));
}

#[tokio::test]
async fn a_session_ends_after_its_maximum_age_even_when_active() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    // A request every 55 minutes keeps the session from idling out (one
    // hour), until it is 12 hours old.
    for step in 1..=14 {
        app.clock.advance(55 * 60);
        let minutes = 55 * step;
        let want = if minutes < 12 * 60 { 200 } else { 303 };
        let status = app.get("/admin/users").await.status();
        assert_eq!(status, want, "after {minutes} minutes");
    }
}

#[tokio::test]
async fn a_malformed_cookie_is_an_anonymous_visit() {
    let app = spawn_app().await;
    let res = app
        .get_with_cookie("/admin/users", "vestibule_session=garbage%%%")
        .await;
    assert_redirect_to(&res, "/signin?next=%2Fadmin%2Fusers");
    let res = app.get_with_cookie("/signin", "vestibule_session=AAAA").await;
    assert_eq!(res.status(), 200);
}
