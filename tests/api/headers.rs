use crate::common::spawn_app;

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/signin", "/admin/users", "/no-such-page", "/healthz"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(!h.contains_key("strict-transport-security"), "no HSTS over http");
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = crate::common::flows::spawn_https_portal().await;
    let res = app.get_for_host("/signin", "portal.contoso.test").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
}

#[tokio::test]
async fn pages_are_not_cached_but_assets_are() {
    let app = spawn_app().await;
    assert_eq!(app.get("/signin").await.headers()["cache-control"], "no-store");
    assert_eq!(
        app.get("/static/img/favicon.svg").await.headers()["cache-control"],
        "public, max-age=86400"
    );
}
