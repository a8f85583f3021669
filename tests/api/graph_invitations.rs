//! `POST /v1.0/invitations`: Graph's JSON, `sendInvitationMessage` false by
//! default (no email, a live link audited as Copy redemption URL), the
//! portal's refusals with no change, a pending guest's address invited
//! again, members and `resetRedemption` only with User.ReadWrite.All and
//! never on a user who holds a directory role; and the conventions every
//! route shares (request IDs, body limits, unknown segments, methods).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vestibule::domain::{Role, UserType};

use crate::common::directory::Invited;
use crate::common::graph::assert_graph_error;
use crate::common::spawn_app;

fn invitation(email: &str) -> Value {
    json!({"invitedUserEmailAddress": email, "inviteRedirectUrl": "https://myapps.example/"})
}

#[tokio::test]
async fn an_invitation_without_a_message_answers_a_live_link_and_sends_nothing() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let res = app
        .client
        .post(app.url("/v1.0/invitations"))
        .bearer_auth(&token)
        .header("client-request-id", "my-request-1")
        .json(&json!({
            "@odata.type": "#microsoft.graph.invitation",
            "invitedUserEmailAddress": "Grace@Fabrikam.example",
            "invitedUserDisplayName": "Grace",
            "inviteRedirectUrl": "https://myapps.example/",
            "someFutureProperty": 1
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().contains_key("request-id"));
    assert_eq!(res.headers()["client-request-id"], "my-request-1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["@odata.context"],
        format!("{}/v1.0/$metadata#invitations/$entity", app.address)
    );
    assert_eq!(body["status"], "PendingAcceptance");
    assert_eq!(body["invitedUserType"], "Guest");
    assert_eq!(body["sendInvitationMessage"], false);
    assert_eq!(body["resetRedemption"], false);
    assert_eq!(body["invitedUserEmailAddress"], "Grace@Fabrikam.example");
    assert_eq!(body["invitedUserDisplayName"], "Grace");
    assert_eq!(body["inviteRedirectUrl"], "https://myapps.example/");
    assert!(body["id"].as_str().is_some());
    let user_id = body["invitedUser"]["id"].as_str().unwrap().to_owned();
    let stored: (String, String, String) =
        sqlx::query_as("SELECT display_name, user_type, external_user_state FROM users WHERE id = $1")
            .bind(&user_id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, ("Grace".into(), "Guest".into(), "PendingAcceptance".into()));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox").await,
        0,
        "no email without sendInvitationMessage"
    );

    let link = body["inviteRedeemUrl"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/redeem?ticket=", app.address)), "{link}");
    let page = crate::common::new_client().get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the link is live");

    let audit: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT activity, actor_name FROM audit_log WHERE target_id = $1 ORDER BY activity")
            .bind(&user_id)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let names: Vec<&str> = audit.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["Add user", "Copy redemption URL", "Invite external user"]);
    assert!(
        audit.iter().all(|(_, actor)| actor.as_deref() == Some("Graph script")),
        "the app is the initiator: {audit:?}"
    );
    app.sign_in_as_admin().await;
    let profile = app.get_html(&format!("/admin/users/{user_id}")).await;
    assert!(
        profile.contains("<dt>Invited by</dt><dd>Graph script</dd>"),
        "the profile names the inviting application: {profile}"
    );
}

#[tokio::test]
async fn an_invitation_with_a_message_is_emailed_with_its_cc() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&json!({
                "invitedUserEmailAddress": "david@fabrikam.example",
                "inviteRedirectUrl": "https://myapps.example/",
                "sendInvitationMessage": true,
                "invitedUserMessageInfo": {
                    "customizedMessageBody": "Welcome to the project!",
                    "messageLanguage": "en-US",
                    "ccRecipients": [{"emailAddress": {"name": "Boss", "address": "boss@contoso.example"}}]
                }
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["sendInvitationMessage"], true);
    assert_eq!(
        body["invitedUserMessageInfo"]["customizedMessageBody"],
        "Welcome to the project!"
    );
    assert_eq!(body["invitedUserMessageInfo"]["messageLanguage"], "en-US");
    assert_eq!(
        body["invitedUserMessageInfo"]["ccRecipients"][0]["emailAddress"]["address"],
        "boss@contoso.example"
    );
    let recipients: Vec<String> = sqlx::query_scalar("SELECT recipient FROM outbox ORDER BY recipient")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(recipients, ["boss@contoso.example", "david@fabrikam.example"]);
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM outbox")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert!(bodies.iter().all(|b| b.contains("Welcome to the project!")));
}

#[tokio::test]
async fn the_portals_refusals_change_nothing() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    sqlx::query("INSERT INTO blocked_addresses (address_lower, blocked_at) VALUES ('blocked@fabrikam.example', 0)")
        .execute(app.db.pool())
        .await
        .unwrap();
    let member = app
        .create_member("member@contoso.example", "Member-passw0rd-long", "none")
        .await;
    let accepted = app
        .invited_user("accepted@fabrikam.example", UserType::Guest, Invited::Accepted)
        .await;
    let before = app.snapshot().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            invitation("blocked@fabrikam.example"),
            "asked not to receive invitations",
        ),
        (invitation("member@contoso.example"), &member),
        (invitation("accepted@fabrikam.example"), &accepted),
        (
            json!({"invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "javascript:alert(1)"}),
            "",
        ),
        (
            json!({"invitedUserEmailAddress": "x@fabrikam.example"}),
            "inviteRedirectUrl",
        ),
        (
            json!({"inviteRedirectUrl": "https://myapps.example/"}),
            "invitedUserEmailAddress",
        ),
        (invitation("not an address"), ""),
        (
            json!({"invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "https://a.example/", "invitedUserType": "Admin"}),
            "Guest or Member",
        ),
        (
            json!({"invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "https://a.example/", "sendInvitationMessage": true,
            "invitedUserMessageInfo": {"ccRecipients": [{"emailAddress": {"address": "a@b.example"}}, {"emailAddress": {"address": "c@d.example"}}]}}),
            "one additional",
        ),
        (
            json!({"invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "https://a.example/", "sendInvitationMessage": true,
            "invitedUserMessageInfo": {"customizedMessageBody": "m".repeat(5000)}}),
            "",
        ),
        (
            json!({"invitedUserEmailAddress": 5, "inviteRedirectUrl": "https://a.example/"}),
            "",
        ),
        (json!([1, 2]), ""),
    ];
    for (body, says) in cases {
        let (status, answer) = app
            .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&body))
            .await;
        assert_graph_error(status, &answer, StatusCode::BAD_REQUEST, "Request_BadRequest");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(says),
            "{body}: {answer}"
        );
    }
    assert_eq!(app.snapshot().await, before, "a refusal writes nothing");
}

#[tokio::test]
async fn a_pending_guests_address_gets_a_new_link() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let (_, first) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&invitation("ann@fabrikam.example")),
        )
        .await;
    let (status, second) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&invitation("ann@fabrikam.example")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(first["invitedUser"]["id"], second["invitedUser"]["id"]);
    assert_ne!(first["inviteRedeemUrl"], second["inviteRedeemUrl"]);
    let browser = crate::common::new_client();
    let old = browser
        .get(first["inviteRedeemUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(old.contains("newer"), "the first link says it was replaced: {old}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE mail_lower = 'ann@fabrikam.example'")
            .await,
        1
    );
}

#[tokio::test]
async fn members_and_resets_need_user_readwrite_and_never_reach_a_role_holder() {
    let app = spawn_app().await;
    let inviter = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&inviter).await;
    let member = json!({"invitedUserEmailAddress": "m@fabrikam.example", "inviteRedirectUrl": "https://a.example/", "invitedUserType": "Member"});
    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&member))
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");

    let accepted = app
        .invited_user("acc@fabrikam.example", UserType::Guest, Invited::Accepted)
        .await;
    let reset = json!({"invitedUserEmailAddress": "acc@fabrikam.example", "inviteRedirectUrl": "https://a.example/",
        "resetRedemption": true, "invitedUser": {"id": accepted}});
    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&reset))
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");

    let writer = app.api_client(&["User.ReadWrite.All"]).await;
    let token = app.api_token(&writer).await;
    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&member))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["invitedUserType"], "Member");
    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&reset))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["invitedUser"]["id"], accepted.as_str());
    assert_eq!(body["resetRedemption"], true);
    let state: String = sqlx::query_scalar("SELECT external_user_state FROM users WHERE id = $1")
        .bind(&accepted)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(state, "PendingAcceptance");

    // A guest holding a directory role is out of an application's reach.
    let holder = app
        .invited_user("holder@fabrikam.example", UserType::Guest, Invited::Accepted)
        .await;
    app.grant_role(&holder, Role::HelpdeskAdministrator).await;
    let before = app.snapshot().await;
    let reset_holder = json!({"invitedUserEmailAddress": "holder@fabrikam.example", "inviteRedirectUrl": "https://a.example/",
        "resetRedemption": true, "invitedUser": {"id": holder}});
    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&reset_holder))
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    assert_eq!(app.snapshot().await, before);

    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&json!({"invitedUserEmailAddress": "z@fabrikam.example",
            "inviteRedirectUrl": "https://a.example/", "resetRedemption": true})),
        )
        .await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
}

#[tokio::test]
async fn every_answer_is_graph_shaped_even_for_bad_requests() {
    let app = spawn_app().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    // Too large a body.
    let big = json!({"invitedUserEmailAddress": "a@b.example", "inviteRedirectUrl": "https://a.example/", "pad": "x".repeat(2 * 1024 * 1024)});
    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&big))
        .await;
    assert_graph_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "Request_BadRequest");
    // Not JSON.
    let res = app
        .client
        .post(app.url("/v1.0/invitations"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_graph_error(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Request_BadRequest");
    let res = app
        .client
        .post(app.url("/v1.0/invitations"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"invitedUserEmailAddress\": ")
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    // A segment Graph does not have, and a method the route does not take.
    let (status, body) = app.graph_json(&token, Method::GET, "/v1.0/frobnicate", None).await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(body["error"]["message"].as_str().unwrap().contains("'frobnicate'"));
    let (status, body) = app.graph_json(&token, Method::PUT, "/v1.0/invitations", None).await;
    assert_graph_error(status, &body, StatusCode::METHOD_NOT_ALLOWED, "Request_BadRequest");
}

#[tokio::test]
async fn the_api_limit_answers_429_with_retry_after() {
    let app = crate::common::spawn_app_with(|s| s.api_limit_per_app = 2).await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    for _ in 0..2 {
        let (status, _) = app
            .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&json!({})))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let res = app
        .graph(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&invitation("late@fabrikam.example")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait >= 1);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TooManyRequests");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE mail_lower = 'late@fabrikam.example'")
            .await,
        0
    );
}
