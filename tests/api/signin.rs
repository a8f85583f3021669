use crate::common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, assert_redirect_to, location, new_client, spawn_app, spawn_app_with,
};

#[tokio::test]
async fn the_sign_in_page_has_email_and_password() {
    let app = spawn_app().await;
    let res = app.get("/signin").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Sign in</h1>"));
    assert!(html.contains(r#"<label for="email">Email</label>"#));
    assert!(html.contains(r#"<label for="password">Password</label>"#));
    assert!(html.contains(r#"name="csrf_token""#));
}

#[tokio::test]
async fn an_anonymous_visit_to_an_admin_page_goes_to_sign_in_and_back() {
    let app = spawn_app().await;
    let res = app.get("/admin/roles").await;
    assert_redirect_to(&res, "/signin?next=%2Fadmin%2Froles");
    let html = app.get_html("/signin?next=%2Fadmin%2Froles").await;
    assert!(html.contains(r#"name="next" value="/admin/roles""#));
    let res = app
        .submit(
            "/signin",
            "/signin",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "/admin/roles"),
            ],
        )
        .await;
    assert_redirect_to(&res, "/admin/roles");
}

#[tokio::test]
async fn the_admin_signs_in_and_sees_the_shell() {
    let app = spawn_app().await;
    let res = app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_redirect_to(&res, "/");
    assert_redirect_to(&app.get("/").await, "/admin/users");
    let html = app.get_html("/admin/users").await;
    for label in [
        "All users",
        "All groups",
        "Enterprise applications",
        "Audit logs",
        "Settings",
        "Roles and administrators",
        "My Apps",
        "Sign out",
    ] {
        assert!(html.contains(label), "the shell shows {label}");
    }
    assert!(html.contains("Administrator"), "the user menu names the admin");
}

#[tokio::test]
async fn the_email_is_compared_without_case() {
    let app = spawn_app().await;
    let res = app.sign_in(&ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD).await;
    assert_redirect_to(&res, "/");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
    let app = spawn_app().await;
    let wrong = app.sign_in(ADMIN_EMAIL, "Wrong-passw0rd").await;
    assert_eq!(wrong.status(), 401);
    let wrong_html = wrong.text().await.unwrap();
    let unknown = app
        .sign_in_with(&new_client(), "nobody@contoso.test", "Wrong-passw0rd")
        .await;
    assert_eq!(unknown.status(), 401);
    let unknown_html = unknown.text().await.unwrap();
    let message = "Your email or password is incorrect.";
    assert!(wrong_html.contains(message) && unknown_html.contains(message));
    // The entered address is kept, the password is not.
    assert!(wrong_html.contains(&format!(r#"value="{ADMIN_EMAIL}""#)));
    assert!(!wrong_html.contains("Wrong-passw0rd"));
    assert_redirect_to(&app.get("/admin/users").await, "/signin?next=%2Fadmin%2Fusers");
}

#[tokio::test]
async fn missing_fields_re_render_the_form_with_422() {
    let app = spawn_app().await;
    let res = app.submit("/signin", "/signin", &[("email", ADMIN_EMAIL)]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Enter your email and password."));
}

#[tokio::test]
async fn a_redirect_after_sign_in_never_leaves_the_site() {
    let app = spawn_app().await;
    let res = app
        .submit(
            "/signin",
            "/signin",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_redirect_to(&res, "/");
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account() {
    let app = spawn_app_with(|s| s.signin_limit_per_account = 3).await;
    for _ in 0..3 {
        let res = app.sign_in(ADMIN_EMAIL, "Wrong-passw0rd").await;
        assert_eq!(res.status(), 401);
    }
    // Even the right password is refused while the limit holds, from the
    // address that failed (every client here is 127.0.0.1).
    let res = app.sign_in_with(&new_client(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Too many attempts"), "a readable 429 page");
    // Another account is not affected.
    let other = app
        .sign_in_with(&new_client(), "someone@contoso.test", "Wrong-passw0rd")
        .await;
    assert_eq!(other.status(), 401);
}

/// A sign-in posted through the trusted proxy for `client_ip`, on a fresh client.
async fn sign_in_from(app: &TestApp, client_ip: &str, email: &str, password: &str) -> reqwest::Response {
    let client = new_client();
    let html = app.get_with(&client, "/signin").await.text().await.unwrap();
    let token = crate::common::csrf_token(&html);
    client
        .post(app.url("/signin"))
        .header("x-forwarded-for", client_ip)
        .form(&[("csrf_token", token.as_str()), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_lock_the_admin_out_from_another() {
    let app = spawn_app_with(|s| {
        s.signin_limit_per_account = 3;
        s.trusted_proxies = vestibule::security::client_ip::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let attacker = "203.0.113.9";
    for _ in 0..3 {
        assert_eq!(
            sign_in_from(&app, attacker, ADMIN_EMAIL, "Wrong-passw0rd")
                .await
                .status(),
            401
        );
    }
    // The address that failed is refused now, even with the right password.
    for password in ["Wrong-passw0rd", ADMIN_PASSWORD] {
        let res = sign_in_from(&app, attacker, ADMIN_EMAIL, password).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
    }
    // The admin, from an address that has not failed, gets in.
    let res = sign_in_from(&app, "198.51.100.20", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_redirect_to(&res, "/");
    // A guess from yet another address is checked once, then refused.
    let other = "2001:db8:7:7::1";
    assert_eq!(
        sign_in_from(&app, other, ADMIN_EMAIL, "Wrong-passw0rd").await.status(),
        401
    );
    assert_eq!(
        sign_in_from(&app, "2001:db8:7:7::2", ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        429,
        "the same /64"
    );
    assert_eq!(
        sign_in_from(&app, attacker, ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        429
    );
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_client_address() {
    let app = spawn_app_with(|s| s.signin_limit_per_ip = 4).await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        let res = app
            .sign_in_with(&new_client(), &format!("user{i}@contoso.test"), "Wrong-passw0rd")
            .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let app = spawn_app_with(|s| {
        s.signin_limit_per_ip = 2;
        s.trusted_proxies = vestibule::security::client_ip::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    // Behind the trusted proxy, each forwarded client has its own limit.
    for client_ip in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        let client = new_client();
        let html = app.get_with(&client, "/signin").await.text().await.unwrap();
        let token = crate::common::csrf_token(&html);
        let res = client
            .post(app.url("/signin"))
            .header("x-forwarded-for", client_ip)
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "x@contoso.test"),
                ("password", "Wrong-1a"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{client_ip} has attempts left");
    }
}

#[tokio::test]
async fn a_generated_password_must_be_changed_at_first_sign_in() {
    let app = spawn_app_with(|s| s.admin_password = None).await;
    let password = app.generated_admin_password.clone().expect("a generated password");
    let res = app.sign_in(ADMIN_EMAIL, &password).await;
    assert_redirect_to(&res, "/account/password");
    // Every other page sends the admin back to change it.
    assert_redirect_to(&app.get("/admin/users").await, "/account/password");
    assert_redirect_to(&app.get("/myapps").await, "/account/password");
    let html = app.get_html("/account/password").await;
    assert!(html.contains("temporary password"));
    let res = app
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", &password),
                ("new_password", "Brand-new-passw0rd"),
                ("confirm_password", "Brand-new-passw0rd"),
            ],
        )
        .await;
    assert_redirect_to(&res, "/");
    assert_eq!(app.get("/admin/users").await.status(), 200);
    // The generated password no longer works; the new one does.
    let old = app.sign_in_with(&new_client(), ADMIN_EMAIL, &password).await;
    assert_eq!(old.status(), 401);
    let new = app.sign_in_with(&new_client(), ADMIN_EMAIL, "Brand-new-passw0rd").await;
    assert_eq!(location(&new), "/");
}

#[tokio::test]
async fn configured_admin_passwords_need_no_change() {
    let app = spawn_app().await;
    assert!(app.generated_admin_password.is_none());
    app.sign_in_as_admin().await;
    assert_eq!(app.get("/admin/users").await.status(), 200);
}
