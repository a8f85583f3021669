//! Input that databases and parsers trip on — NUL characters (which
//! PostgreSQL's text columns cannot hold), other control characters, lone
//! surrogates escaped in JSON, very long strings — sent to each API route
//! in its ids, its query options and its JSON bodies: every answer is a
//! Graph error or a success, never a 5xx. schemathesis
//! (graph_schemathesis.rs) explores the same at random; these are the
//! cases it once found, kept so that they always run, on both stores.

use reqwest::Method;
use serde_json::{Value, json};
use vestibule::domain::UserType;

use crate::common::directory::Invited;
use crate::common::spawn_app;

const EVERY_PERMISSION: [&str; 9] = [
    "User.Invite.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Application.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "AuditLog.Read.All",
];

/// Strings that have broken servers: a NUL, C0 controls, a long one.
fn hostile() -> Vec<String> {
    vec![
        "a\u{0}b".into(),
        "\u{1}\u{1f}\u{7f}".into(),
        "x".repeat(5000),
        "é\u{feff}\u{202e}".into(),
    ]
}

#[tokio::test]
async fn hostile_strings_in_ids_queries_and_bodies_never_get_a_server_error() {
    let app = spawn_app().await;
    let client = app.api_client(&EVERY_PERMISSION).await;
    let token = app.api_token(&client).await;
    let guest = app
        .invited_user("yan@fabrikam.example", UserType::Guest, Invited::Pending)
        .await;
    let (docusign, _, _) = crate::common::flows::docusign(&app).await;
    let (status, group) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/groups",
            Some(&json!({"displayName": "Hostile", "mailEnabled": false, "mailNickname": "hostile", "securityEnabled": true})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group = group["id"].as_str().unwrap().to_owned();

    let mut requests: Vec<(Method, String, Option<Value>)> = Vec::new();
    for text in hostile() {
        let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
        let quoted = text.replace('\'', "''");
        let in_filter: String =
            url::form_urlencoded::byte_serialize(format!("displayName eq '{quoted}'").as_bytes()).collect();
        for path in [
            format!("/v1.0/groups/{encoded}"),
            format!("/v1.0/groups/{encoded}/members"),
            format!("/v1.0/servicePrincipals/{encoded}"),
            format!("/v1.0/servicePrincipals(appId='{encoded}')"),
            format!("/v1.0/servicePrincipals/{encoded}/appRoleAssignedTo"),
            format!("/v1.0/users/{encoded}"),
            format!("/v1.0/users/{encoded}/memberOf"),
            format!("/v1.0/groups?$filter={in_filter}"),
            format!("/v1.0/servicePrincipals?$filter={in_filter}"),
            format!("/v1.0/users?$filter={in_filter}"),
            format!("/v1.0/users/$count?$filter={in_filter}"),
            format!("/v1.0/groups?$skiptoken={encoded}"),
            format!("/v1.0/users?$skiptoken={encoded}"),
            format!("/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq '{encoded}'"),
            format!("/v1.0/groups?$select={encoded}"),
        ] {
            requests.push((Method::GET, path, None));
        }
        let bodies = [
            (
                "/v1.0/invitations".to_owned(),
                json!({"invitedUserEmailAddress": format!("{text}@fabrikam.example"), "inviteRedirectUrl": "https://myapps.example/"}),
            ),
            (
                "/v1.0/invitations".to_owned(),
                json!({"invitedUserEmailAddress": "zed@fabrikam.example", "inviteRedirectUrl": format!("https://myapps.example/{text}")}),
            ),
            (
                "/v1.0/invitations".to_owned(),
                json!({"invitedUserEmailAddress": "zoe@fabrikam.example", "inviteRedirectUrl": "https://myapps.example/",
                "invitedUserDisplayName": text, "sendInvitationMessage": true,
                "invitedUserMessageInfo": {"customizedMessageBody": text, "messageLanguage": text,
                    "ccRecipients": [{"emailAddress": {"address": format!("{text}@fabrikam.example"), "name": text}}]}}),
            ),
            (
                "/v1.0/invitations".to_owned(),
                json!({"invitedUserEmailAddress": "yan@fabrikam.example", "inviteRedirectUrl": "https://myapps.example/",
                "resetRedemption": true, "invitedUser": {"id": text}}),
            ),
            (
                "/v1.0/groups".to_owned(),
                json!({"displayName": text, "mailEnabled": false, "mailNickname": text, "securityEnabled": true, "description": text}),
            ),
            (
                "/v1.0/groups".to_owned(),
                json!({"displayName": "Dynamic", "mailEnabled": false, "mailNickname": "dyn", "securityEnabled": true,
                "groupTypes": ["DynamicMembership"], "membershipRule": format!("user.displayName -eq \"{text}\"")}),
            ),
            (
                format!("/v1.0/groups/{group}/members/$ref"),
                json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{text}")}),
            ),
            (
                format!("/v1.0/servicePrincipals/{docusign}/appRoleAssignedTo"),
                json!({"principalId": text, "resourceId": docusign, "appRoleId": text}),
            ),
            (
                format!("/v1.0/servicePrincipals/{docusign}/appRoleAssignedTo"),
                json!({"principalId": guest, "resourceId": text, "appRoleId": "00000000-0000-0000-0000-000000000000"}),
            ),
            (
                "/v1.0/$batch".to_owned(),
                json!({"requests": [{"id": text, "method": "GET", "url": format!("/groups/{text}"), "headers": {"x": text}}]}),
            ),
        ];
        for (path, body) in bodies {
            requests.push((Method::POST, path, Some(body)));
        }
        requests.push((
            Method::PATCH,
            format!("/v1.0/groups/{group}"),
            Some(json!({"description": text, "displayName": text, "mailNickname": text})),
        ));
        requests.push((
            Method::PATCH,
            format!("/v1.0/users/{guest}"),
            Some(json!({"displayName": text, "companyName": text, "otherMails": [text]})),
        ));
        requests.push((
            Method::DELETE,
            format!("/v1.0/groups/{group}/members/{encoded}/$ref"),
            None,
        ));
        requests.push((
            Method::DELETE,
            format!("/v1.0/servicePrincipals/{docusign}/appRoleAssignedTo/{encoded}"),
            None,
        ));
        requests.push((
            Method::POST,
            format!("/v1.0/directory/deletedItems/{encoded}/restore"),
            None,
        ));
    }
    let mut failures = Vec::new();
    for (method, path, body) in requests {
        let (status, answer) = app.graph_json(&token, method.clone(), &path, body.as_ref()).await;
        if status.is_server_error() || (!status.is_success() && answer["error"]["code"].as_str().is_none()) {
            let shown: String = path.chars().take(120).collect();
            failures.push(format!("{method} {shown}: {status} {answer}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_nul_character_anywhere_is_refused_with_400_and_writes_nothing() {
    let app = spawn_app().await;
    let client = app.api_client(&EVERY_PERMISSION).await;
    let token = app.api_token(&client).await;
    let before = app.snapshot().await;
    let group =
        |name: &str| json!({"displayName": name, "mailEnabled": false, "mailNickname": "n", "securityEnabled": true});
    let cases: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/v1.0/groups/a%00b", None),
        (Method::GET, "/v1.0/groups?$filter=displayName%20eq%20'%00'", None),
        (Method::POST, "/v1.0/groups", Some(group("a\u{0}b"))),
        (
            Method::POST,
            "/v1.0/groups",
            Some(json!({"displayName": "Fine", "mailEnabled": false, "mailNickname": "n",
            "securityEnabled": true, "extra\u{0}": true})),
        ),
        (
            Method::POST,
            "/v1.0/$batch",
            Some(json!({"requests": [{"id": "1", "method": "POST", "url": "/groups",
            "body": group("b\u{0}")}]})),
        ),
    ];
    for (method, path, body) in cases {
        let (status, answer) = app.graph_json(&token, method.clone(), path, body.as_ref()).await;
        crate::common::graph::assert_graph_error(
            status,
            &answer,
            reqwest::StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        );
        assert!(
            answer["error"]["message"].as_str().unwrap().contains("NUL"),
            "{method} {path}: {answer}"
        );
    }
    // Inside a batch, a request's URL is checked as the request itself.
    let (status, answer) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/$batch",
            Some(&json!({"requests": [{"id": "1", "method": "GET", "url": "/groups/a%00b"}]})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["responses"][0]["status"], 400, "{answer}");
    assert_eq!(app.snapshot().await, before);
}
