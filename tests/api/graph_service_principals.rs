//! Service principals and their app role assignments through the
//! Graph-shaped API: the applications with their roles (Default Access as
//! Graph's zero id), look-ups by id, by `(appId='…')` plain or
//! percent-encoded and by `$filter`; Assign, list and Remove with Graph's
//! JSON, duplicates refused, role holders out of reach, and nothing written
//! by a refused request.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vestibule::domain::{Role, UserType};

use crate::common::directory::Invited;
use crate::common::graph::assert_graph_error;
use crate::common::{TestApp, spawn_app};
use crate::graph_groups::{new_group, rfc3339};

const DEFAULT_ACCESS: &str = "00000000-0000-0000-0000-000000000000";

/// DocuSign from the gallery with a client ID: (id, client ID, Sender role id).
async fn docusign(app: &TestApp) -> (String, String, String) {
    let (id, _, sender) = crate::common::flows::docusign(app).await;
    let client_id = uuid::Uuid::new_v4().to_string();
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::api_permissions::ensure_client_id(&mut conn, &id, &client_id)
        .await
        .unwrap();
    (id, client_id, sender)
}

async fn role_id(app: &TestApp, app_id: &str, name: &str) -> String {
    sqlx::query_scalar("SELECT id FROM app_roles WHERE app_id = $1 AND display_name = $2")
        .bind(app_id)
        .bind(name)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn service_principals_are_the_applications_with_their_roles() {
    let app = spawn_app().await;
    let token = app.api_token(&app.api_client(&["Application.Read.All"]).await).await;
    let (id, client_id, sender) = docusign(&app).await;
    let viewer = role_id(&app, &id, "DocuSign Viewer").await;
    let expected = json!({
        "@odata.context": format!("{}/v1.0/$metadata#servicePrincipals/$entity", app.address),
        "id": id,
        "deletedDateTime": null,
        "accountEnabled": true,
        "appId": client_id,
        "appRoleAssignmentRequired": true,
        "appRoles": [
            {"allowedMemberTypes": ["User"], "description": "Sends envelopes for signature.", "displayName": "DocuSign Sender",
             "id": sender, "isEnabled": true, "origin": "Application", "value": "DocuSignSender"},
            {"allowedMemberTypes": ["User"], "description": "Views and signs envelopes sent to them.",
             "displayName": "DocuSign Viewer", "id": viewer, "isEnabled": true, "origin": "Application", "value": "DocuSignViewer"},
        ],
        "displayName": "DocuSign",
        "homepage": "https://account.docusign.com/",
        "loginUrl": null,
        "servicePrincipalType": "Application",
        "tags": [],
    });
    let (status, body) = app
        .graph_json(&token, Method::GET, &format!("/v1.0/servicePrincipals/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, expected);

    // Graph's key syntax, as scripts write it and as clients encode it.
    for path in [
        format!("/v1.0/servicePrincipals(appId='{client_id}')"),
        format!("/v1.0/servicePrincipals%28appId%3D%27{client_id}%27%29"),
        format!("/v1.0/servicePrincipals(appId='{}')", client_id.to_uppercase()),
    ] {
        let (status, body) = app.graph_json(&token, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body, expected, "{path}");
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    for path in [
        format!("/v1.0/servicePrincipals(appId='{unknown}')"),
        format!("/v1.0/servicePrincipals/{unknown}"),
    ] {
        let (status, body) = app.graph_json(&token, Method::GET, &path, None).await;
        assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    }

    let (status, body) = app
        .graph_json(
            &token,
            Method::DELETE,
            &format!("/v1.0/servicePrincipals(appId='{client_id}')"),
            None,
        )
        .await;
    assert_graph_error(status, &body, StatusCode::METHOD_NOT_ALLOWED, "Request_BadRequest");

    // Not visible to users: Entra's HideApp tag.
    vestibule::services::applications::update_properties(
        &app.state,
        &crate::common::system_admin(),
        &id,
        &vestibule::services::applications::Properties {
            display_name: "DocuSign".into(),
            homepage_url: "https://account.docusign.com/".into(),
            enabled: false,
            visible_to_users: false,
            assignment_required: false,
            notes: String::new(),
        },
        None,
    )
    .await
    .unwrap();
    let (_, body) = app
        .graph_json(
            &token,
            Method::GET,
            &format!("/v1.0/servicePrincipals/{id}?$select=tags,accountEnabled,appRoleAssignmentRequired"),
            None,
        )
        .await;
    assert_eq!(
        body,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#servicePrincipals(tags,accountEnabled,appRoleAssignmentRequired)/$entity", app.address),
            "id": id, "tags": ["HideApp"], "accountEnabled": false, "appRoleAssignmentRequired": false
        })
    );
}

#[tokio::test]
async fn service_principals_are_filtered_by_display_name_and_app_id() {
    let app = spawn_app().await;
    let client = app.api_client(&["AppRoleAssignment.ReadWrite.All"]).await;
    let token = app.api_token(&client).await;
    let (id, client_id, sender) = docusign(&app).await;
    let ids = |body: &Value| -> Vec<String> {
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("", vec![id.clone(), client.app_id.clone()]),
        ("?$filter=displayName eq 'docusign'", vec![id.clone()]),
        ("?$filter=startswith(displayName,'Graph')", vec![client.app_id.clone()]),
        (&format!("?$filter=appId eq '{client_id}'") as &str, vec![id.clone()]),
        (
            &format!("?$filter=appId eq '{}'", client.client_id) as &str,
            vec![client.app_id.clone()],
        ),
        (
            &format!("?$filter=displayName eq 'Graph script' and appId eq '{client_id}'") as &str,
            vec![],
        ),
    ] {
        let (status, body) = app
            .graph_json(&token, Method::GET, &format!("/v1.0/servicePrincipals{query}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(ids(&body), expected, "{query}");
    }
    let (status, body) = app
        .graph_json(
            &token,
            Method::GET,
            "/v1.0/servicePrincipals?$filter=displayName eq 'DocuSign'&$select=id,appId,appRoles&$count=true",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["@odata.context"],
        format!("{}/v1.0/$metadata#servicePrincipals(id,appId,appRoles)", app.address)
    );
    assert_eq!(body["@odata.count"], 1);
    let only = body["value"][0].as_object().unwrap();
    assert_eq!(only.keys().collect::<Vec<_>>(), ["id", "appId", "appRoles"]);
    let sender_role = only["appRoles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["value"] == "DocuSignSender")
        .unwrap();
    assert_eq!(
        sender_role["id"],
        sender.as_str(),
        "a script picks the role id by its value"
    );

    for (query, code) in [
        ("$filter=homepage eq 'x'", "Request_UnsupportedQuery"),
        ("$filter=appId eq 'a' or appId eq 'b'", "Request_UnsupportedQuery"),
        ("$filter=appId eq 'a", "Request_BadRequest"),
        ("$select=secret", "Request_BadRequest"),
        ("$orderby=displayName", "Request_UnsupportedQuery"),
    ] {
        let (status, body) = app
            .graph_json(&token, Method::GET, &format!("/v1.0/servicePrincipals?{query}"), None)
            .await;
        assert_graph_error(status, &body, StatusCode::BAD_REQUEST, code);
    }
    let denied = app
        .api_token(&app.api_client_with("Other", &["Group.Read.All"], true).await)
        .await;
    let (status, body) = app
        .graph_json(&denied, Method::GET, "/v1.0/servicePrincipals", None)
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
}

#[tokio::test]
async fn app_roles_are_assigned_listed_and_removed_as_graph_shows_them() {
    let app = spawn_app().await;
    let token = app
        .api_token(&app.api_client(&["AppRoleAssignment.ReadWrite.All"]).await)
        .await;
    let (id, _, sender) = docusign(&app).await;
    let grace = app
        .invited_user("grace@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    let group = new_group(&app, "Signers", "").await;
    let path = format!("/v1.0/servicePrincipals/{id}/appRoleAssignedTo");

    let body = json!({"principalId": grace, "resourceId": id, "appRoleId": sender});
    let (status, created) = app.graph_json(&token, Method::POST, &path, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let assignment = created["id"].as_str().unwrap().to_owned();
    let created_at: i64 = sqlx::query_scalar("SELECT created_at FROM app_role_assignments WHERE id = $1")
        .bind(&assignment)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let to_grace = json!({
        "id": assignment,
        "deletedDateTime": null,
        "appRoleId": sender,
        "createdDateTime": rfc3339(created_at),
        "principalDisplayName": "Invited grace@fabrikam.test",
        "principalId": grace,
        "principalType": "User",
        "resourceDisplayName": "DocuSign",
        "resourceId": id,
    });
    let mut expected = json!({
        "@odata.context": format!("{}/v1.0/$metadata#servicePrincipals('{id}')/appRoleAssignedTo/$entity", app.address)
    });
    expected
        .as_object_mut()
        .unwrap()
        .extend(to_grace.as_object().unwrap().clone());
    assert_eq!(created, expected);

    let before = app.snapshot().await;
    let (status, body) = app.graph_json(&token, Method::POST, &path, Some(&body)).await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(
        body["error"]["message"],
        "Permission being assigned already exists on the object"
    );
    assert_eq!(app.snapshot().await, before);

    let to_group = json!({"principalId": group, "resourceId": id, "appRoleId": DEFAULT_ACCESS});
    let (status, created) = app.graph_json(&token, Method::POST, &path, Some(&to_group)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["principalType"], "Group");
    assert_eq!(created["principalDisplayName"], "Signers");
    assert_eq!(
        created["appRoleId"], DEFAULT_ACCESS,
        "Default Access is Graph's zero id"
    );
    let group_assignment = created["id"].as_str().unwrap().to_owned();

    let (status, list) = app.graph_json(&token, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list["@odata.context"],
        format!(
            "{}/v1.0/$metadata#servicePrincipals('{id}')/appRoleAssignedTo",
            app.address
        )
    );
    let mut created_group = created.clone();
    created_group.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(list["value"], json!([created_group, to_grace]));
    let (_, first) = app
        .graph_json(&token, Method::GET, &format!("{path}?$top=1"), None)
        .await;
    let next = first["@odata.nextLink"].as_str().unwrap();
    let (_, second) = app
        .graph_json(&token, Method::GET, next.strip_prefix(&app.address).unwrap(), None)
        .await;
    assert_eq!(second["value"], json!([to_grace]));

    let res = app
        .graph(&token, Method::DELETE, &format!("{path}/{assignment}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty());
    let (status, body) = app
        .graph_json(&token, Method::DELETE, &format!("{path}/{assignment}"), None)
        .await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let (other, _, _) = docusign_named(&app, "Other app").await;
    let (status, body) = app
        .graph_json(
            &token,
            Method::DELETE,
            &format!("/v1.0/servicePrincipals/{other}/appRoleAssignedTo/{group_assignment}"),
            None,
        )
        .await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_eq!(app.count("SELECT COUNT(*) FROM app_role_assignments").await, 1);

    // By activity alone: the entries may or may not share a second.
    let audit: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT activity, actor_name, target_id FROM audit_log WHERE category = 'ApplicationManagement' \
         AND actor_name = 'Graph script' ORDER BY activity",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let activities: Vec<&str> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        activities,
        [
            "Add app role assignment to group",
            "Add app role assignment to user",
            "Remove app role assignment from user"
        ]
    );
}

async fn docusign_named(app: &TestApp, name: &str) -> (String, String, String) {
    let (created, default) = crate::common::gallery_app(app, "docusign", name).await;
    (created.id, default, String::new())
}

#[tokio::test]
async fn bad_assignments_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let token = app
        .api_token(&app.api_client(&["AppRoleAssignment.ReadWrite.All"]).await)
        .await;
    let (id, _, sender) = docusign(&app).await;
    let (other, other_default, _) = docusign_named(&app, "Other app").await;
    let grace = app
        .invited_user("grace@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    let holder = app
        .invited_user("admin@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    app.grant_role(&holder, Role::HelpdeskAdministrator).await;
    let gone = app
        .invited_user("gone@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    app.soft_delete(&gone).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let path = format!("/v1.0/servicePrincipals/{id}/appRoleAssignedTo");
    let cases = [
        (
            json!({"resourceId": id, "appRoleId": sender}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            json!({"principalId": grace, "appRoleId": sender}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            json!({"principalId": grace, "resourceId": id}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            json!({"principalId": grace, "resourceId": other, "appRoleId": sender}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            json!({"principalId": grace, "resourceId": id, "appRoleId": other_default}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            json!({"principalId": grace, "resourceId": id, "appRoleId": unknown}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            json!({"principalId": unknown, "resourceId": id, "appRoleId": sender}),
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
        ),
        (
            json!({"principalId": gone, "resourceId": id, "appRoleId": sender}),
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
        ),
        (
            json!({"principalId": holder, "resourceId": id, "appRoleId": sender}),
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
        ),
        (
            json!({"principalId": 7, "resourceId": id, "appRoleId": sender}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
    ];
    let before = app.snapshot().await;
    for (body, status, code) in cases {
        let (got, answer) = app.graph_json(&token, Method::POST, &path, Some(&body)).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_graph_error(got, &answer, status, code);
    }
    let (got, answer) = app
        .graph_json(
            &token,
            Method::POST,
            &format!("/v1.0/servicePrincipals/{unknown}/appRoleAssignedTo"),
            Some(&json!({"principalId": grace, "resourceId": unknown, "appRoleId": sender})),
        )
        .await;
    assert_graph_error(got, &answer, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_eq!(app.snapshot().await, before, "no refused assignment wrote anything");

    // A role holder's assignment is out of reach for removal too.
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::assignments::insert(&mut conn, &id, &sender, "User", &holder, app.clock.now())
        .await
        .unwrap();
    drop(conn);
    let assignment: String = sqlx::query_scalar("SELECT id FROM app_role_assignments WHERE principal_id = $1")
        .bind(&holder)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let reader = app
        .api_token(&app.api_client_with("Reader", &["Application.Read.All"], true).await)
        .await;
    let before = app.snapshot().await;
    let (got, answer) = app
        .graph_json(&token, Method::DELETE, &format!("{path}/{assignment}"), None)
        .await;
    assert_graph_error(got, &answer, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let (got, answer) = app
        .graph_json(
            &reader,
            Method::POST,
            &path,
            Some(&json!({"principalId": grace, "resourceId": id, "appRoleId": sender})),
        )
        .await;
    assert_graph_error(got, &answer, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    assert_eq!(app.snapshot().await, before);
}
