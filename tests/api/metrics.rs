//! `/metrics` on the metrics listener: Prometheus text with every series
//! the README lists, counting what the portal just did.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::flows::{app_with_sink, invite_guest};
use crate::common::{ADMIN_EMAIL, TestApp, new_client, spawn_app_with};

/// The scrape as `series{labels} -> value`, without comments.
async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let address = app.metrics_address.as_deref().expect("metrics are on in tests");
    let res = new_client().get(format!("{address}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = res.text().await.unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("a sample line: {l}"));
            (
                series.to_owned(),
                value.parse::<f64>().unwrap_or_else(|_| panic!("a number: {l}")),
            )
        })
        .collect()
}

fn value(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("{series} is missing from:\n{}", names(samples)))
}

fn names(samples: &BTreeMap<String, f64>) -> String {
    samples.keys().cloned().collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn the_metrics_listener_counts_requests_sign_ins_invitations_mail_and_the_pool() {
    let (app, sink) = app_with_sink().await;
    let wrong = app.sign_in(ADMIN_EMAIL, "not-the-password").await;
    assert_eq!(wrong.status(), 401);
    app.sign_in_as_admin().await;
    invite_guest(&app, &sink, "grace@fabrikam.test", &[]).await;
    assert_eq!(app.get("/no-such-page").await.status(), 404);
    assert_eq!(app.get("/no/such/page/either").await.status(), 404);

    // The worker records the send just after the SMTP server has the message.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let samples = loop {
        let samples = scrape(&app).await;
        if value(&samples, r#"vestibule_outbox_messages{state="sent"}"#) >= 1.0 || std::time::Instant::now() > deadline
        {
            break samples;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Requests by method, route pattern and status, and their latency.
    assert!(
        value(
            &samples,
            r#"vestibule_http_requests_total{method="POST",route="/signin",status="303"}"#
        ) >= 1.0
    );
    assert!(
        value(
            &samples,
            r#"vestibule_http_requests_total{method="POST",route="/signin",status="401"}"#
        ) >= 1.0
    );
    assert!(
        value(
            &samples,
            r#"vestibule_http_requests_total{method="POST",route="/admin/users/invite",status="303"}"#
        ) >= 1.0
    );
    assert_eq!(
        value(
            &samples,
            r#"vestibule_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        2.0,
        "every unknown path counts under one label"
    );
    assert!(
        !samples.keys().any(|k| k.contains("no-such-page")),
        "paths never become labels"
    );
    let signin_posts = value(
        &samples,
        r#"vestibule_http_request_duration_seconds_count{method="POST",route="/signin"}"#,
    );
    assert!(signin_posts >= 2.0, "{signin_posts}");
    assert_eq!(
        value(
            &samples,
            r#"vestibule_http_request_duration_seconds_bucket{method="POST",route="/signin",le="+Inf"}"#
        ),
        signin_posts
    );
    assert!(
        value(
            &samples,
            r#"vestibule_http_request_duration_seconds_sum{method="POST",route="/signin"}"#
        ) > 0.0
    );

    // Sign-ins by result.
    assert!(value(&samples, r#"vestibule_sign_ins_total{result="success"}"#) >= 1.0);
    assert_eq!(
        value(&samples, r#"vestibule_sign_ins_total{result="invalid_password"}"#),
        1.0
    );
    assert_eq!(
        value(&samples, r#"vestibule_sign_ins_total{result="invalid_code"}"#),
        0.0
    );

    // The invitation, and its email sent.
    assert_eq!(value(&samples, r#"vestibule_invitations{state="pending"}"#), 1.0);
    assert_eq!(value(&samples, r#"vestibule_invitations{state="redeemed"}"#), 0.0);
    assert_eq!(value(&samples, r#"vestibule_invitations{state="replaced"}"#), 0.0);
    assert!(value(&samples, r#"vestibule_outbox_messages{state="sent"}"#) >= 1.0);
    assert_eq!(value(&samples, r#"vestibule_outbox_messages{state="queued"}"#), 0.0);
    assert_eq!(value(&samples, r#"vestibule_outbox_messages{state="retrying"}"#), 0.0);
    assert_eq!(value(&samples, r#"vestibule_outbox_messages{state="failed"}"#), 0.0);
    assert_eq!(value(&samples, "vestibule_outbox_oldest_queued_age_seconds"), 0.0);

    // The database pool.
    let open = value(&samples, r#"vestibule_db_pool_connections{pool="main"}"#);
    let idle = value(&samples, r#"vestibule_db_pool_idle_connections{pool="main"}"#);
    let max = value(&samples, r#"vestibule_db_pool_max_connections{pool="main"}"#);
    assert!(
        open >= 1.0 && idle <= open && open <= max,
        "open {open}, idle {idle}, max {max}"
    );
    assert_eq!(max, f64::from(app.settings.database_max_connections));

    // Not on the public listener.
    assert_eq!(app.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn a_waiting_message_shows_as_queued_then_retrying_with_its_age() {
    let (app, _sink) = crate::common::flows::app_with_mail_down_and_an_invitation(|s| {
        s.mail_poll = Duration::from_millis(50);
    })
    .await;
    // The first try fails (nothing listens), and the message waits for its retry.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app
        .count("SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND attempts > 0")
        .await
        == 0
    {
        assert!(std::time::Instant::now() < deadline, "the first try never happened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.clock.advance(12);
    let samples = scrape(&app).await;
    assert_eq!(value(&samples, r#"vestibule_outbox_messages{state="retrying"}"#), 1.0);
    assert_eq!(value(&samples, r#"vestibule_outbox_messages{state="sent"}"#), 0.0);
    assert_eq!(value(&samples, "vestibule_outbox_oldest_queued_age_seconds"), 12.0);
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let app = spawn_app_with(|s| s.metrics_bind = None).await;
    assert_eq!(app.metrics_address, None);
    assert_eq!(app.get("/metrics").await.status(), 404);
    assert_eq!(app.get("/readyz").await.status(), 200);
}
