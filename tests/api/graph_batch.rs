//! `POST /v1.0/$batch`: each request served by the API's own routes with
//! the batch's token and answered by its id; `dependsOn` ordering and 424
//! for a failed dependency; the per-request permission, rate limit and
//! unknown paths answered inside a 200; and a batch that cannot be read
//! (too many requests, duplicate ids, malformed) refused whole with 400,
//! writing nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::graph::assert_graph_error;
use crate::common::{TestApp, spawn_app, spawn_app_with};

fn invite(id: &str, email: &str) -> Value {
    json!({
        "id": id,
        "method": "POST",
        "url": "/invitations",
        "headers": {"Content-Type": "application/json"},
        "body": {"invitedUserEmailAddress": email, "inviteRedirectUrl": "https://myapps.example/"}
    })
}

async fn batch(app: &TestApp, token: &str, requests: Value) -> (StatusCode, Value) {
    app.graph_json(
        token,
        Method::POST,
        "/v1.0/$batch",
        Some(&json!({ "requests": requests })),
    )
    .await
}

/// The answer to request `id`.
fn answer<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["responses"]
        .as_array()
        .unwrap_or_else(|| panic!("no responses: {body}"))
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no answer to {id}: {body}"))
}

async fn user_with_mail(app: &TestApp, email: &str) -> Option<(String, String)> {
    sqlx::query_as("SELECT id, display_name FROM users WHERE mail_lower = $1")
        .bind(email)
        .fetch_optional(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_serves_each_request_through_the_api_and_answers_it_by_id() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let mut with_headers = invite("two", "bo@fabrikam.example");
    with_headers["headers"]["client-request-id"] = json!("batch-item-2");
    let (status, body) = batch(
        &app,
        &token,
        json!([
            invite("1", "al@fabrikam.example"),
            with_headers,
            // Written without a leading slash, with its $filter's spaces.
            {"id": "3", "method": "get", "url": "frobnicate?$filter=mail eq 'x'"},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["responses"].as_array().unwrap().len(), 3, "{body}");
    for (id, email) in [("1", "al@fabrikam.example"), ("two", "bo@fabrikam.example")] {
        let one = answer(&body, id);
        assert_eq!(one["status"], 201, "{one}");
        assert!(
            one["headers"]["Content-Type"]
                .as_str()
                .is_some_and(|t| t.starts_with("application/json")),
            "{one}"
        );
        assert_eq!(one["body"]["invitedUserEmailAddress"], email, "{one}");
        assert_eq!(one["body"]["status"], "PendingAcceptance");
        let (user_id, _) = user_with_mail(&app, email).await.expect("the guest was invited");
        assert_eq!(one["body"]["invitedUser"]["id"], user_id.as_str());
        // The application is the audit log's initiator, as for a single request.
        let actor: String = sqlx::query_scalar(
            "SELECT actor_name FROM audit_log WHERE target_id = $1 AND activity = 'Invite external user'",
        )
        .bind(&user_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(actor, "Graph script");
    }
    assert_eq!(answer(&body, "two")["headers"]["client-request-id"], "batch-item-2");
    let unknown = answer(&body, "3");
    assert_eq!(unknown["status"], 400, "{unknown}");
    assert_eq!(unknown["body"]["error"]["code"], "BadRequest");
    assert!(
        unknown["body"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'frobnicate'")
    );
}

#[tokio::test]
async fn depends_on_runs_requests_in_order_and_a_failed_dependency_answers_424() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let mut first = invite("first", "cy@fabrikam.example");
    first["body"]["invitedUserDisplayName"] = json!("Written first");
    let mut second = invite("second", "cy@fabrikam.example");
    second["body"]["invitedUserDisplayName"] = json!("Written second");
    second["dependsOn"] = json!(["FIRST"]);
    // `second` is listed first: `dependsOn` alone must make `first` run
    // first, so the guest is created under its display name and `second`
    // invites the same pending guest again.
    let broken = json!({
        "id": "broken", "method": "POST", "url": "/invitations",
        "headers": {"Content-Type": "application/json"}, "body": {"invitedUserEmailAddress": "dee@fabrikam.example"}
    });
    let mut after_broken = invite("after-broken", "eve@fabrikam.example");
    after_broken["dependsOn"] = json!(["broken"]);
    let mut after_that = invite("after-that", "fay@fabrikam.example");
    after_that["dependsOn"] = json!(["after-broken"]);
    let (status, body) = batch(&app, &token, json!([second, first, after_that, after_broken, broken])).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    assert_eq!(answer(&body, "first")["status"], 201, "{body}");
    assert_eq!(answer(&body, "second")["status"], 201, "{body}");
    let (user_id, name) = user_with_mail(&app, "cy@fabrikam.example").await.unwrap();
    assert_eq!(name, "Written first", "the request depended on ran first");
    assert_eq!(answer(&body, "second")["body"]["invitedUser"]["id"], user_id.as_str());

    assert_eq!(answer(&body, "broken")["status"], 400, "{body}");
    for id in ["after-broken", "after-that"] {
        let failed = answer(&body, id);
        assert_eq!(failed["status"], 424, "{failed}");
        assert_eq!(failed["body"]["error"]["code"], "FailedDependency");
        assert!(failed["body"]["error"]["innerError"]["request-id"].is_string());
    }
    for email in ["eve@fabrikam.example", "fay@fabrikam.example"] {
        assert!(user_with_mail(&app, email).await.is_none(), "{email} was not invited");
    }
}

#[tokio::test]
async fn a_request_without_its_permission_answers_403_inside_while_the_others_are_served() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let mut member = invite("member", "gil@fabrikam.example");
    member["body"]["invitedUserType"] = json!("Member");
    let (status, body) = batch(&app, &token, json!([member, invite("guest", "hal@fabrikam.example")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let denied = answer(&body, "member");
    assert_eq!(denied["status"], 403, "{denied}");
    assert_eq!(denied["body"]["error"]["code"], "Authorization_RequestDenied");
    assert!(user_with_mail(&app, "gil@fabrikam.example").await.is_none());
    assert_eq!(answer(&body, "guest")["status"], 201, "{body}");
    assert!(user_with_mail(&app, "hal@fabrikam.example").await.is_some());
}

#[tokio::test]
async fn each_request_counts_against_the_rate_limit_and_answers_429_inside() {
    let app = spawn_app_with(|s| s.api_limit_per_app = 3).await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    // The batch is one request, its first two entries two more.
    let (status, body) = batch(
        &app,
        &token,
        json!([
            invite("1", "ida@fabrikam.example"),
            invite("2", "jo@fabrikam.example"),
            invite("3", "kit@fabrikam.example")
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(answer(&body, "1")["status"], 201, "{body}");
    assert_eq!(answer(&body, "2")["status"], 201, "{body}");
    let limited = answer(&body, "3");
    assert_eq!(limited["status"], 429, "{limited}");
    assert_eq!(limited["body"]["error"]["code"], "TooManyRequests");
    assert!(limited["headers"]["Retry-After"].as_str().is_some(), "{limited}");
    assert!(user_with_mail(&app, "kit@fabrikam.example").await.is_none());
}

#[tokio::test]
async fn urls_that_are_not_relative_api_paths_answer_400_inside() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let (status, body) = batch(
        &app,
        &token,
        json!([
            {"id": "absolute", "method": "GET", "url": "https://graph.microsoft.com/v1.0/users"},
            {"id": "nested", "method": "POST", "url": "/$batch", "body": {"requests": []}},
            {"id": "method", "method": "TRACE", "url": "/invitations"},
            {"id": "wrong-method", "method": "GET", "url": "/invitations"},
            {"id": "not-json", "method": "POST", "url": "/invitations",
             "headers": {"Content-Type": "text/plain"}, "body": "hello"},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for id in ["absolute", "nested", "method"] {
        let refused = answer(&body, id);
        assert_eq!(refused["status"], 400, "{refused}");
        assert_eq!(refused["body"]["error"]["code"], "Request_BadRequest", "{refused}");
    }
    assert_eq!(answer(&body, "wrong-method")["status"], 405, "{body}");
    assert_eq!(answer(&body, "not-json")["status"], 415, "{body}");
}

#[tokio::test]
async fn a_batch_that_cannot_be_read_is_refused_whole_and_writes_nothing() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let before = app.snapshot().await;

    let many: Vec<Value> = (0..21)
        .map(|i| invite(&i.to_string(), &format!("n{i}@fabrikam.example")))
        .collect();
    let (status, body) = batch(&app, &token, Value::Array(many)).await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert!(body["error"]["message"].as_str().unwrap().contains("20"), "{body}");

    let twice = json!([invite("a", "o1@fabrikam.example"), invite("A", "o2@fabrikam.example")]);
    let (status, body) = batch(&app, &token, twice).await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");

    let mut circular = invite("x", "p1@fabrikam.example");
    circular["dependsOn"] = json!(["y"]);
    let mut back = invite("y", "p2@fabrikam.example");
    back["dependsOn"] = json!(["x"]);
    let mut unknown = invite("z", "p3@fabrikam.example");
    unknown["dependsOn"] = json!(["nobody"]);
    for requests in [json!([circular, back]), json!([unknown]), json!([])] {
        let (status, body) = batch(&app, &token, requests).await;
        assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    }

    for malformed in [
        json!({}),
        json!({"requests": {"id": "1"}}),
        json!({"requests": [{"id": 1, "method": "GET", "url": "/users"}]}),
        json!({"requests": [{"id": "1", "method": "GET"}]}),
    ] {
        let (status, body) = app
            .graph_json(&token, Method::POST, "/v1.0/$batch", Some(&malformed))
            .await;
        assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
    let res = app
        .client
        .post(app.url("/v1.0/$batch"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"requests\": [")
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(app.snapshot().await, before, "a refused batch wrote something");
}

#[tokio::test]
async fn a_batch_needs_a_token_and_an_application_with_consent() {
    let app = spawn_app().await;
    let requests = json!({"requests": [invite("1", "quin@fabrikam.example")]});
    let res = app
        .client
        .post(app.url("/v1.0/$batch"))
        .json(&requests)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_graph_error(status, &body, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");

    let unconsented = app.api_client_with("Not consented", &["User.Invite.All"], false).await;
    let token = app.api_token(&unconsented).await;
    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/$batch", Some(&requests))
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    assert!(user_with_mail(&app, "quin@fabrikam.example").await.is_none());
}
