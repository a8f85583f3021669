//! The OpenAPI document of `/v1.0` stays true: it is served without a
//! token with this portal's addresses; every route is in it with its
//! method and everything in it is a route; each operation lists the
//! statuses every route may answer; and real answers match its schemas.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vestibule::web::graph::GRAPH_ROUTES;

use vestibule::domain::UserType;

use crate::common::directory::Invited;
use crate::common::openapi::OpenApi;
use crate::common::{spawn_app, spawn_app_with};

/// Every permission an application can hold.
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

/// Operations the document describes whose routes have not landed yet.
/// Each must be absent from `GRAPH_ROUTES`: a route that lands fails
/// `every_route_is_documented_and_every_operation_is_a_route` until it
/// is taken off this list, and so is checked from then on.
const NOT_YET_SERVED: &[(&str, &str)] = &[];

#[test]
fn every_route_is_documented_and_every_operation_is_a_route() {
    let api = OpenApi::committed();
    let documented: BTreeSet<(String, String)> = api.operations().into_iter().collect();
    let served: BTreeSet<(String, String)> = GRAPH_ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let pending: BTreeSet<(String, String)> = NOT_YET_SERVED
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.json: {undocumented:?}"
    );
    let landed: Vec<_> = served.intersection(&pending).collect();
    assert!(
        landed.is_empty(),
        "these routes are served now: take them off NOT_YET_SERVED: {landed:?}"
    );
    let unserved: Vec<_> = documented
        .iter()
        .filter(|op| !served.contains(*op) && !pending.contains(*op))
        .collect();
    assert!(unserved.is_empty(), "documented but not served: {unserved:?}");
}

#[test]
fn every_operation_lists_what_every_route_may_answer() {
    let api = OpenApi::committed();
    for (method, path) in api.operations() {
        let op = api.operation(&method, &path);
        let statuses: BTreeSet<&str> = op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let public = op["security"] == json!([]);
        let mut needed = vec![];
        if !public {
            needed.extend(["400", "401", "403", "429"]);
        }
        if op.get("requestBody").is_some() {
            needed.extend(["413", "415"]);
        }
        if path.contains("{id}") {
            needed.push("404");
        }
        for status in needed {
            assert!(statuses.contains(status), "{method} {path} does not list {status}");
        }
        assert!(
            statuses.iter().any(|s| s.starts_with('2')),
            "{method} {path} lists no success"
        );
        // Every path parameter is declared, on the path or the operation.
        let declared: Vec<&str> = [&api.doc["paths"][&path]["parameters"], &op["parameters"]]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|p| api.resolve(p))
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(['{', '}']);
            assert!(declared.contains(&name), "{method} {path} does not declare {name}");
        }
        // Every schema it names resolves, and the check knows its keywords.
        for (status, response) in op["responses"].as_object().unwrap() {
            if let Some(schema) = api.resolve(response)["content"]["application/json"]["schema"].as_object() {
                let _ = api.check(&Value::Object(schema.clone()), &Value::Null, status);
            }
        }
    }
}

#[tokio::test]
async fn the_document_is_served_without_a_token_with_this_portals_addresses() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/v1.0/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("request-id"));
    let served: Value = res.json().await.unwrap();
    assert_eq!(served["servers"], json!([{ "url": app.address }]));
    let token_url =
        &served["components"]["securitySchemes"]["clientCredentials"]["flows"]["clientCredentials"]["tokenUrl"];
    let tenant = app.tenant_id().await;
    assert_eq!(*token_url, json!(format!("{}/{tenant}/oauth2/v2.0/token", app.address)));
    // The token endpoint it names issues tokens.
    let client = app.api_client(&["User.Invite.All"]).await;
    let res = app
        .client
        .post(token_url.as_str().unwrap())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", &client.secret),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Apart from those two addresses, it is the committed document.
    let mut committed = OpenApi::committed().doc;
    committed["servers"] = served["servers"].clone();
    committed["components"]["securitySchemes"]["clientCredentials"]["flows"]["clientCredentials"]["tokenUrl"] =
        token_url.clone();
    assert_eq!(served, committed);
}

#[tokio::test]
async fn real_answers_match_the_documents_schemas() {
    let app = spawn_app_with(|s| s.api_limit_per_app = 8).await;
    let api = OpenApi::committed();
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let invitation = json!({"invitedUserEmailAddress": "una@fabrikam.example", "inviteRedirectUrl": "https://myapps.example/",
        "invitedUserMessageInfo": {"ccRecipients": [{"emailAddress": {"address": "boss@fabrikam.example"}}]}});

    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&invitation))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    api.assert_answer("POST", "/v1.0/invitations", 201, &body);

    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&json!({})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    api.assert_answer("POST", "/v1.0/invitations", 400, &body);

    let (status, body) = app
        .graph_json("not-a-token", Method::POST, "/v1.0/invitations", Some(&invitation))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    api.assert_answer("POST", "/v1.0/invitations", 401, &body);

    let reader = app.api_client_with("Reader", &["User.Read.All"], true).await;
    let reader_token = app.api_token(&reader).await;
    let (status, body) = app
        .graph_json(&reader_token, Method::POST, "/v1.0/invitations", Some(&invitation))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    api.assert_answer("POST", "/v1.0/invitations", 403, &body);

    let res = app
        .client
        .post(app.url("/v1.0/invitations"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    api.assert_answer("POST", "/v1.0/invitations", 415, &res.json().await.unwrap());

    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/$batch",
            Some(&json!({"requests": [
                {"id": "1", "method": "POST", "url": "/invitations", "body": {"invitedUserEmailAddress": "vic@fabrikam.example", "inviteRedirectUrl": "https://myapps.example/"}},
                {"id": "2", "method": "POST", "url": "/invitations", "body": {}},
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    api.assert_answer("POST", "/v1.0/$batch", 200, &body);
    // Each answer inside is its route's answer, as the document says it.
    for (id, status) in [("1", 201), ("2", 400)] {
        let inner = body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap();
        assert_eq!(inner["status"], status, "{inner}");
        api.assert_answer("POST", "/v1.0/invitations", status, &inner["body"]);
    }

    // Over the limit (8 a minute, 6 of them used above, the batch's
    // requests included): 429.
    let mut limited = None;
    for _ in 0..6 {
        let (status, body) = app
            .graph_json(&token, Method::POST, "/v1.0/invitations", Some(&json!({})))
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(body);
            break;
        }
    }
    let body = limited.expect("the limit answered 429");
    api.assert_answer("POST", "/v1.0/invitations", 429, &body);
}

#[test]
fn the_check_finds_what_breaks_a_schema() {
    let api = OpenApi::committed();
    let schema = api.response_schema("POST", "/v1.0/invitations", 201);
    let broken = json!({"id": 1, "inviteRedeemUrl": "not a url", "status": "Sent", "invitedUser": {}});
    let errors = api.check(schema, &broken, "");
    for expected in [
        "/id",
        "/inviteRedeemUrl",
        "/status",
        "invitedUserEmailAddress is missing",
        "/invitedUser: id is missing",
    ] {
        assert!(errors.iter().any(|e| e.contains(expected)), "{expected} in {errors:?}");
    }
}

#[tokio::test]
async fn real_answers_of_groups_apps_and_logs_match_the_documents_schemas() {
    let app = spawn_app().await;
    let api = OpenApi::committed();
    let client = app.api_client(&EVERY_PERMISSION).await;
    let token = app.api_token(&client).await;
    let guest = app
        .invited_user("wes@fabrikam.example", UserType::Guest, Invited::Pending)
        .await;
    let (docusign, _, sender) = crate::common::flows::docusign(&app).await;
    // A sign-in for the sign-in log.
    app.create_member("ada@contoso.test", "Member-Passw0rd!", "").await;
    let browser = crate::common::new_client();
    assert_eq!(
        app.sign_in_with(&browser, "ada@contoso.test", "Member-Passw0rd!")
            .await
            .status(),
        303
    );

    let group = json!({"displayName": "Partners", "mailEnabled": false, "mailNickname": "partners",
        "securityEnabled": true, "members@odata.bind": [format!("https://graph.microsoft.com/v1.0/users/{guest}")]});
    let (status, created) = app.graph_json(&token, Method::POST, "/v1.0/groups", Some(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    api.assert_answer("POST", "/v1.0/groups", 201, &created);
    let group_id = created["id"].as_str().unwrap();
    let assignment = json!({"principalId": guest, "resourceId": docusign, "appRoleId": sender});
    let assign_path = format!("/v1.0/servicePrincipals/{docusign}/appRoleAssignedTo");
    let (status, assigned) = app
        .graph_json(&token, Method::POST, &assign_path, Some(&assignment))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{assigned}");
    api.assert_answer("POST", "/v1.0/servicePrincipals/{id}/appRoleAssignedTo", 201, &assigned);

    // Each read, as (the document's path, the path asked, the status).
    let reads = [
        ("/v1.0/groups", "/v1.0/groups?$count=true&$top=1".to_owned(), 200),
        ("/v1.0/groups/{id}", format!("/v1.0/groups/{group_id}"), 200),
        ("/v1.0/groups/{id}", "/v1.0/groups/no-such-group".to_owned(), 404),
        ("/v1.0/groups", "/v1.0/groups?$filter=mail eq 'x'".to_owned(), 400),
        (
            "/v1.0/groups/{id}/members",
            format!("/v1.0/groups/{group_id}/members"),
            200,
        ),
        ("/v1.0/servicePrincipals", "/v1.0/servicePrincipals".to_owned(), 200),
        (
            "/v1.0/servicePrincipals/{id}",
            format!("/v1.0/servicePrincipals/{docusign}"),
            200,
        ),
        (
            "/v1.0/servicePrincipals(appId='{app_id}')",
            format!("/v1.0/servicePrincipals(appId='{}')", client.client_id),
            200,
        ),
        (
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
            assign_path.clone(),
            200,
        ),
        (
            "/v1.0/auditLogs/directoryAudits",
            "/v1.0/auditLogs/directoryAudits".to_owned(),
            200,
        ),
        ("/v1.0/auditLogs/signIns", "/v1.0/auditLogs/signIns".to_owned(), 200),
    ];
    for (documented, asked, expected) in reads {
        let (status, body) = app.graph_json(&token, Method::GET, &asked, None).await;
        assert_eq!(status.as_u16(), expected, "{asked}: {body}");
        api.assert_answer("GET", documented, expected, &body);
        if expected == 200 && body.get("value").is_some() {
            assert!(
                !body["value"].as_array().unwrap().is_empty(),
                "{asked} found nothing to check: {body}"
            );
        }
    }
}
