use crate::common::spawn_app;

async fn assert_styled(res: reqwest::Response, status: u16, words: &str) {
    assert_eq!(res.status().as_u16(), status);
    assert!(
        res.headers()["content-type"].to_str().unwrap().starts_with("text/html"),
        "a page, not a bare body"
    );
    let html = res.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"error-page\""),
        "the styled error page: {html}"
    );
    assert!(html.contains(words), "{words}");
}

#[tokio::test]
async fn unknown_routes_get_the_styled_404_page() {
    let app = spawn_app().await;
    assert_styled(app.get("/no/such/page").await, 404, "Page not found").await;
    assert_styled(app.get("/admin/no-such-page").await, 404, "Page not found").await;
}

#[tokio::test]
async fn a_wrong_method_gets_a_styled_page() {
    let app = spawn_app().await;
    let res = app.client.delete(app.url("/signin")).send().await.unwrap();
    assert_styled(res, 405, "Not allowed").await;
}

#[tokio::test]
async fn oversized_forms_are_refused_with_413() {
    let app = spawn_app().await;
    let big = "x".repeat(100 * 1024);
    let html = app.get_html("/signin").await;
    let token = crate::common::csrf_token(&html);
    let res = app
        .post_raw(
            &app.client,
            "/signin",
            &[
                ("csrf_token", token.as_str()),
                ("email", big.as_str()),
                ("password", "x"),
            ],
        )
        .await;
    assert_styled(res, 413, "larger than this page accepts").await;
}

#[tokio::test]
async fn a_database_failure_during_a_request_is_a_styled_503() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    app.db.close().await;
    assert_styled(app.get("/admin/users").await, 503, "cannot reach its database").await;
}
