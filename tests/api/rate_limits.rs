//! Rate limits counted in the store: on PostgreSQL every instance on the
//! database counts against one limit; on SQLite (one process) limits are
//! counted in memory. The GCRA statements run on both stores.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vestibule::limits::{Limit, delete_expired};
use vestibule::store::Db;

use crate::common::{TestApp, spawn_app_with, test_settings};

/// A migrated database of the store under test, and the folder a SQLite
/// file lives in.
async fn fresh_db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let db = Db::connect(&settings.database_url, 2).await.unwrap();
    db.migrate().await.unwrap();
    (db, dir)
}

async fn rows(db: &Db) -> Vec<String> {
    sqlx::query_scalar("SELECT key FROM rate_limits ORDER BY key")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

/// An instant well clear of the test's real time, in milliseconds.
const T0: i64 = 4_000_000_000_000;

#[tokio::test]
async fn a_limit_in_the_store_allows_its_burst_refills_and_says_when_to_retry() {
    let (db, _dir) = fresh_db().await;
    // Three a minute: three at once, then one every 20 seconds.
    let limit = Limit::shared(db.clone(), "test", 3);
    for _ in 0..3 {
        assert_eq!(limit.check_at("a", T0).await, Ok(()));
    }
    assert_eq!(limit.check_at("a", T0).await, Err(Duration::from_secs(20)));
    assert_eq!(
        limit.check_at("a", T0 + 15_000).await,
        Err(Duration::from_secs(5)),
        "a refused request does not count"
    );
    assert_eq!(limit.check_at("b", T0).await, Ok(()), "another key has its own");
    assert_eq!(limit.check_at("a", T0 + 20_000).await, Ok(()), "one refilled");
    assert_eq!(limit.check_at("a", T0 + 20_000).await, Err(Duration::from_secs(20)));
    // Idle for longer than a minute: the whole burst again, not more.
    for _ in 0..3 {
        assert_eq!(limit.check_at("a", T0 + 140_000).await, Ok(()));
    }
    assert!(limit.check_at("a", T0 + 140_000).await.is_err());
    assert_eq!(rows(&db).await, ["test:a", "test:b"], "one row per key");
    db.close().await;
}

#[tokio::test]
async fn a_recovered_counter_is_deleted_and_counts_afresh() {
    let (db, _dir) = fresh_db().await;
    let limit = Limit::shared(db.clone(), "test", 3);
    assert_eq!(limit.check_at("one", T0).await, Ok(()));
    for _ in 0..3 {
        assert_eq!(limit.check_at("three", T0).await, Ok(()));
    }
    assert_eq!(delete_expired(&db, T0 + 19_999).await.unwrap(), 0, "not yet recovered");
    assert_eq!(delete_expired(&db, T0 + 20_000).await.unwrap(), 1);
    assert_eq!(rows(&db).await, ["test:three"]);
    assert_eq!(delete_expired(&db, T0 + 60_000).await.unwrap(), 1);
    assert!(rows(&db).await.is_empty());
    for _ in 0..3 {
        assert_eq!(limit.check_at("three", T0 + 60_000).await, Ok(()));
    }
    assert!(limit.check_at("three", T0 + 60_000).await.is_err());
    db.close().await;
}

#[tokio::test]
async fn limits_are_shared_on_postgresql_and_in_memory_on_sqlite() {
    let app = spawn_app_with(|_| {}).await;
    let limits = &app.state.limits;
    for limit in [
        &limits.signin_per_ip,
        &limits.code_per_address,
        &limits.guest_flow_per_ip,
        &limits.resend_per_user,
        &limits.api_per_app,
        &limits.token_per_client,
    ] {
        assert_eq!(limit.is_shared(), app.settings.is_postgres());
    }
}

/// The instances a test spreads its requests over: on PostgreSQL two on
/// one database, taking turns; on SQLite the one.
async fn instances(first: &TestApp) -> Option<TestApp> {
    if first.settings.is_postgres() {
        Some(first.second_instance().await)
    } else {
        None
    }
}

fn retry_after(res: &reqwest::Response) -> Option<u64> {
    res.headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_one_database_count_sign_ins_against_one_limit() {
    let a = spawn_app_with(|s| s.signin_limit_per_ip = 4).await;
    let b = instances(&a).await;
    let turns: Vec<&TestApp> = [Some(&a), b.as_ref()].into_iter().flatten().collect();
    let mut statuses = Vec::new();
    for i in 0..6 {
        let app = turns[i % turns.len()];
        let res = app
            .sign_in_with(&app.client, &format!("user{i}@contoso.test"), "Wrong-passw0rd")
            .await;
        let status = res.status().as_u16();
        if status == 429 {
            // Four a minute: one every 15 seconds.
            let wait = retry_after(&res).expect("a 429 says when to retry");
            assert!((1..=15).contains(&wait), "{wait}");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429, 429], "A, B, A, B, A, B");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_one_database_count_an_apps_api_calls_against_one_limit() {
    let a = spawn_app_with(|s| s.api_limit_per_app = 3).await;
    let b = instances(&a).await;
    let turns: Vec<&TestApp> = [Some(&a), b.as_ref()].into_iter().flatten().collect();
    let client = a.api_client(&["User.Invite.All"]).await;
    let token = a.api_token(&client).await;
    for i in 0..3 {
        let (status, _) = turns[i % turns.len()]
            .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&json!({})))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "request {i} is within the limit");
    }
    let last = turns[3 % turns.len()];
    let res = last
        .graph(&token, Method::POST, "/v1.0/invitations", Some(&json!({})))
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res).is_some_and(|w| (1..=20).contains(&w)));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TooManyRequests");
}

#[tokio::test]
async fn the_token_endpoint_limits_requests_per_client_id() {
    let app = spawn_app_with(|s| s.token_limit_per_client = 2).await;
    let ask = |client_id: &'static str| {
        let app = &app;
        async move {
            app.token_answer(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", "guess"),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .await
        }
    };
    for _ in 0..2 {
        assert_eq!(ask("no-such-client").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = ask("no-such-client").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(ask("another-client").await.0, StatusCode::UNAUTHORIZED, "per client");
    // The header, read from a raw answer.
    let tenant = app.tenant_id().await;
    let res = app
        .client
        .post(app.url(&format!("/{tenant}/oauth2/v2.0/token")))
        .form(&[("grant_type", "client_credentials"), ("client_id", "no-such-client")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res).is_some_and(|w| (1..=30).contains(&w)));
}

/// A sign-in through the trusted proxy for `client_ip`, at `app`.
async fn sign_in_from(app: &TestApp, client_ip: &str, password: &str) -> reqwest::Response {
    let html = app.get_with(&app.client, "/signin").await.text().await.unwrap();
    let token = crate::common::csrf_token(&html);
    app.client
        .post(app.url("/signin"))
        .header("x-forwarded-for", client_ip)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", crate::common::ADMIN_EMAIL),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_one_database_count_an_accounts_failed_sign_ins_together() {
    let a = spawn_app_with(|s| {
        s.signin_limit_per_account = 3;
        s.trusted_proxies = vestibule::security::client_ip::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let b = instances(&a).await;
    let turns: Vec<&TestApp> = [Some(&a), b.as_ref()].into_iter().flatten().collect();
    let attacker = "203.0.113.9";
    for i in 0..3 {
        let res = sign_in_from(turns[i % turns.len()], attacker, "Wrong-passw0rd").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // Over the account's limit on every instance, for the address that failed.
    for app in &turns {
        let res = sign_in_from(app, attacker, crate::common::ADMIN_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(retry_after(&res).is_some_and(|w| (1..=20).contains(&w)));
    }
    // The owner, from an address that has not failed, gets in anywhere.
    let last = turns[turns.len() - 1];
    let res = sign_in_from(last, "198.51.100.20", crate::common::ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    if a.settings.is_postgres() {
        assert!(
            a.count("SELECT COUNT(*) FROM rate_limits WHERE key LIKE 'signin_fail%'")
                .await
                >= 2
        );
    }
}

/// The markers of the addresses that failed an account are counted by
/// their prefix, which may hold `_` or `%` (an address like `a_b@…`):
/// those match themselves only.
#[tokio::test]
async fn held_markers_are_counted_by_their_literal_prefix() {
    use vestibule::store::rate_limits::{count_held, mark};
    let (db, _dir) = fresh_db().await;
    let mut conn = db.pool().acquire().await.unwrap();
    for key in ["f:a_b|1", "f:a_b|2", "f:axb|1", "f:a%b|1"] {
        mark(&mut conn, key, T0 + 60_000).await.unwrap();
    }
    mark(&mut conn, "f:a_b|3", T0 - 1).await.unwrap();
    assert_eq!(
        count_held(&mut conn, "f:a_b|", T0).await.unwrap(),
        2,
        "not axb, not the one gone"
    );
    assert_eq!(count_held(&mut conn, "f:a%b|", T0).await.unwrap(), 1);
    assert_eq!(count_held(&mut conn, "f:a_b|", T0 + 60_000).await.unwrap(), 0);
}
