use std::time::Duration;

use crate::common::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_is_up() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn readyz_says_unavailable_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.close().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.text().await.unwrap(), "database unavailable");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn readyz_says_unavailable_while_migrations_are_pending() {
    let app = spawn_app().await;
    let latest: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    // As if this build were newer than the database: its last migration not applied.
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(latest)
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.text().await.unwrap(), format!("migrations pending: {latest}"));
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn readyz_reports_an_outbox_backlog_older_than_the_setting_as_degraded() {
    let (app, sink) = crate::common::flows::app_with_mail_down_and_an_invitation(|s| {
        s.readyz_outbox_max_age = Duration::from_secs(300);
    })
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").await,
        1
    );

    app.clock.advance(300);
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ready", "at the threshold, not above it");

    app.clock.advance(112);
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200, "degraded keeps the instance in the load balancer");
    assert_eq!(res.text().await.unwrap(), "degraded: outbox oldest message 412 s old");

    // Sent at last: ready again.
    sink.come_up();
    app.clock.advance(24 * 3600);
    app.state.wake_mail();
    sink.wait_for(1, Duration::from_secs(10)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.count("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the message was never marked sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let res = app.get("/readyz").await;
    assert_eq!(res.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn the_stylesheet_is_served_with_a_long_cache_lifetime() {
    let app = spawn_app().await;
    let res = app.get("/static/css/vestibule.css").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=86400")
    );
    assert!(res.text().await.unwrap().contains(":focus-visible"));
    assert_eq!(app.get("/static/css/../../Cargo.toml").await.status(), 404);
}
