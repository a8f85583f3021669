//! The host a request names, and the bind address: a request for another
//! host than the public URL's is refused (421) on every route but the
//! probes, whatever its `Origin` says; the development mailbox exists only
//! when the portal is reachable from this machine alone; a bind reachable
//! from the network needs a session key.

use reqwest::StatusCode;

use crate::common::flows::{session_key, spawn_https_portal};
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, attribute_after, csrf_token, spawn_app, spawn_app_with};

/// Hosts a DNS-rebinding page or a wrong address would send.
fn foreign_hosts(app: &TestApp) -> Vec<String> {
    vec![
        "evil.test".into(),
        format!("evil.test:{}", app.port),
        format!("localhost:{}", app.port),
        format!("127.0.0.1:{}", app.port + 1),
        "127.0.0.1".into(),
    ]
}

/// An invitation, so the mailbox holds a message with a ticket in it.
/// Returns the message's id.
async fn invite_a_guest(app: &TestApp) -> String {
    app.sign_in_as_admin().await;
    let res = crate::common::flows::invite(app, &app.client, &[("email", "grace@fabrikam.test")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the guest is invited");
    let list = app.get_html("/dev/mailbox").await;
    attribute_after(&list, "href=\"/dev/mailbox/").expect("the mailbox lists the invitation")
}

async fn assert_misdirected(res: reqwest::Response, app: &TestApp) {
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"error-page\""),
        "the styled error page: {html}"
    );
    assert!(html.contains("Wrong address"), "{html}");
    assert!(
        html.contains(&format!("Vestibule is served at {}", app.address)),
        "the page gives the right address: {html}"
    );
    assert!(
        !html.contains("grace@fabrikam.test") && !html.contains("redeem"),
        "nothing is served: {html}"
    );
}

#[tokio::test]
async fn a_request_for_another_host_is_refused_on_every_page_and_the_mailbox() {
    let app = spawn_app().await;
    let id = invite_a_guest(&app).await;
    for host in foreign_hosts(&app) {
        for path in [
            "/signin".to_owned(),
            "/admin/users".to_owned(),
            "/dev/mailbox".to_owned(),
            format!("/dev/mailbox/{id}"),
            format!("/dev/mailbox/{id}/html"),
            "/no-such-page".to_owned(),
        ] {
            let res = app.get_for_host(&path, &host).await;
            assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST, "{host} {path}");
            assert_misdirected(res, &app).await;
        }
    }
    // The public URL's own host is served, the mailbox with its ticket too.
    let host = app.address.trim_start_matches("http://").to_owned();
    let res = app.get_for_host("/dev/mailbox", &host).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("grace@fabrikam.test"));
    let res = app.get_for_host(&format!("/dev/mailbox/{id}"), &host).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("/redeem?ticket="));
    assert_eq!(app.get_for_host("/signin", &host).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn probes_and_static_files_answer_whatever_the_host() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz", "/static/img/favicon.svg"] {
        let res = app.get_for_host(path, "10.0.0.7:8080").await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    // The 421 page's stylesheet loads at the wrong host too.
    let res = app.get_for_host("/signin", "10.0.0.7:8080").await;
    assert!(res.text().await.unwrap().contains("/static/css/vestibule.css"));
    assert_eq!(
        app.get_for_host("/static/css/vestibule.css", "evil.test")
            .await
            .status(),
        StatusCode::OK
    );
}

/// The admin's sign-in form, with a valid token, posted with `origin`
/// (and `host`, when given, instead of the public URL's).
async fn post_admin_sign_in(app: &TestApp, host: Option<&str>, origin: &str) -> reqwest::Response {
    let token = csrf_token(&app.get_html("/signin").await);
    let fields = [
        ("csrf_token", token.as_str()),
        ("email", ADMIN_EMAIL),
        ("password", ADMIN_PASSWORD),
    ];
    let mut req = app.client.post(app.url("/signin")).header("origin", origin);
    if let Some(host) = host {
        req = req.header("host", host);
    }
    req.form(&fields).send().await.expect("POST")
}

#[tokio::test]
async fn a_post_for_another_host_is_refused_even_with_its_own_origin() {
    let app = spawn_app().await;
    // What a DNS-rebinding page sends: its own name as Host and Origin.
    let res = post_admin_sign_in(&app, Some("evil.test"), "http://evil.test").await;
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(
        app.get("/admin/users").await.status(),
        StatusCode::SEE_OTHER,
        "the sign-in did not happen"
    );
}

#[tokio::test]
async fn a_post_with_the_right_host_needs_the_public_origin() {
    let app = spawn_app().await;
    let port = app.port;
    for origin in [
        "http://evil.test".to_owned(),
        format!("http://evil.test:{port}"),
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{}", port + 1),
        format!("http://localhost:{port}"),
        "http://127.0.0.1".to_owned(),
    ] {
        let res = post_admin_sign_in(&app, None, &origin).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{origin}");
    }
    assert_eq!(
        app.get("/admin/users").await.status(),
        StatusCode::SEE_OTHER,
        "not signed in"
    );
    let res = post_admin_sign_in(&app, None, &app.address).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the public URL's origin passes");
    assert_eq!(app.get("/admin/users").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_loopback_public_url_on_a_bind_reachable_from_the_network_has_no_mailbox() {
    // The container setting: every address, addressed as localhost. The
    // public URL's port need not be the listener's (a port mapping).
    let app = spawn_app_with(|s| {
        s.bind = "0.0.0.0:0".parse().unwrap();
        s.public_url = Some("http://localhost:8080".into());
        s.session_key = Some(session_key());
    })
    .await;
    assert!(!app.state.mailbox_enabled());
    for path in ["/dev/mailbox", "/dev/mailbox/00000000-0000-4000-8000-000000000000"] {
        assert_eq!(
            app.get_for_host(path, "localhost:8080").await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        app.get_for_host("/signin", "localhost:8080").await.status(),
        StatusCode::OK,
        "the public URL's host is served"
    );
    // Through the machine's own address, as a neighbour would reach it.
    let res = app
        .get_for_host("/dev/mailbox", &format!("127.0.0.1:{}", app.port))
        .await;
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
}

#[tokio::test]
async fn an_https_public_url_is_addressed_without_a_port() {
    let app = spawn_https_portal().await;
    for host in ["portal.contoso.test", "portal.contoso.test:443", "Portal.Contoso.Test"] {
        assert_eq!(
            app.get_for_host("/signin", host).await.status(),
            StatusCode::OK,
            "{host}"
        );
    }
    for host in ["portal.contoso.test:80", "portal.contoso.test.evil.test", "127.0.0.1"] {
        assert_eq!(
            app.get_for_host("/signin", host).await.status(),
            StatusCode::MISDIRECTED_REQUEST,
            "{host}"
        );
    }
}

#[test]
fn a_bind_reachable_from_the_network_needs_a_session_key_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::binary::vestibule(dir.path())
        .env("VESTIBULE_BIND", "0.0.0.0:0")
        .env("VESTIBULE_PUBLIC_URL", "http://localhost:8080")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid setting VESTIBULE_SESSION_KEY")
            && err.contains("VESTIBULE_BIND is not a loopback address"),
        "{err}"
    );
    assert!(!dir.path().join("data/session.key").exists(), "no key was generated");

    let out = crate::common::binary::vestibule(dir.path())
        .env("VESTIBULE_BIND", "0.0.0.0:0")
        .env("VESTIBULE_SESSION_KEY", session_key())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid setting VESTIBULE_PUBLIC_URL"), "{err}");
}
