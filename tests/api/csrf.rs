use crate::common::{assert_redirect_to, csrf_token, spawn_app};

async fn holders(app: &crate::common::TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM directory_role_assignments").await
}

#[tokio::test]
async fn a_form_without_a_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_member("ann@contoso.test", "Ann-passw0rd1", "").await;
    app.sign_in_as_admin().await;
    let before = holders(&app).await;
    let fields = [("user", "ann@contoso.test"), ("role", "guest_inviter")];
    let res = app.post_raw(&app.client, "/admin/roles/add", &fields).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("This form has expired"));
    let wrong = [
        ("csrf_token", "forged"),
        ("user", "ann@contoso.test"),
        ("role", "guest_inviter"),
    ];
    let res = app.post_raw(&app.client, "/admin/roles/add", &wrong).await;
    assert_eq!(res.status(), 403);
    assert_eq!(holders(&app).await, before);
    // With the page's token it works.
    let res = app.submit("/admin/roles", "/admin/roles/add", &fields).await;
    assert_redirect_to(&res, "/admin/roles");
    assert_eq!(holders(&app).await, before + 1);
}

#[tokio::test]
async fn a_token_from_another_session_is_refused() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let other = crate::common::new_client();
    let foreign = csrf_token(&app.get_with(&other, "/signin").await.text().await.unwrap());
    let res = app
        .post_raw(&app.client, "/signout", &[("csrf_token", foreign.as_str())])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.get("/admin/users").await.status(), 200, "still signed in");
}

#[tokio::test]
async fn cross_site_requests_are_refused_even_with_a_token() {
    let app = spawn_app().await;
    app.create_member("ann@contoso.test", "Ann-passw0rd1", "").await;
    app.sign_in_as_admin().await;
    let token = csrf_token(&app.get_html("/admin/roles").await);
    let fields = [
        ("csrf_token", token.as_str()),
        ("user", "ann@contoso.test"),
        ("role", "guest_inviter"),
    ];
    let res = app
        .client
        .post(app.url("/admin/roles/add"))
        .header("origin", "https://evil.example")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .post(app.url("/admin/roles/add"))
        .header("sec-fetch-site", "cross-site")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(holders(&app).await, 1, "only the first admin's role");
    // The same form from this origin passes.
    let res = app
        .client
        .post(app.url("/admin/roles/add"))
        .header("origin", app.address.clone())
        .header("sec-fetch-site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_redirect_to(&res, "/admin/roles");
}

#[tokio::test]
async fn an_opaque_origin_passes_only_when_the_browser_says_same_origin() {
    // Under Referrer-Policy: no-referrer, browsers send `Origin: null` on
    // form posts from our own pages, with `Sec-Fetch-Site: same-origin`.
    let app = spawn_app().await;
    app.create_member("ann@contoso.test", "Ann-passw0rd1", "").await;
    app.sign_in_as_admin().await;
    let token = csrf_token(&app.get_html("/admin/roles").await);
    let fields = [
        ("csrf_token", token.as_str()),
        ("user", "ann@contoso.test"),
        ("role", "guest_inviter"),
    ];
    let post = |site: Option<&'static str>| {
        let mut req = app
            .client
            .post(app.url("/admin/roles/add"))
            .header("origin", "null")
            .form(&fields);
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        req.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 403);
    assert_eq!(post(Some("same-site")).await.unwrap().status(), 403);
    assert_eq!(holders(&app).await, 1);
    assert_redirect_to(&post(Some("same-origin")).await.unwrap(), "/admin/roles");
    assert_eq!(holders(&app).await, 2);
}
