//! `PATCH` and `DELETE /v1.0/users/{id}`, deleted items and Restore over
//! HTTP: each goes through the portal's service, writes its audit entry
//! with the application as initiator, refuses what the portal refuses
//! with nothing changed, and never reaches a user who holds a role.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vestibule::domain::{ExternalUserState, Role};

use crate::common::graph::assert_graph_error;
use crate::common::{TestApp, spawn_app};
use crate::graph_users::{add, guest, member, stored_time};

const DELETED_AT: &str = "SELECT deleted_at FROM users WHERE id = $1";

/// The audit entries about `target`: activity, initiator id and name, details.
async fn audit_of(app: &TestApp, target: &str) -> Vec<(String, Option<String>, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT activity, actor_id, actor_name, details FROM audit_log WHERE target_id = $1 ORDER BY occurred_at, id",
    )
    .bind(target)
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

async fn writer(app: &TestApp) -> (String, String) {
    let client = app.api_client(&["User.ReadWrite.All"]).await;
    let token = app.api_token(&client).await;
    (client.app_id, token)
}

#[tokio::test]
async fn patch_changes_what_edit_properties_changes_with_the_app_as_initiator() {
    let app = spawn_app().await;
    let id = add(
        &app,
        guest("Ann Guest", "ann@fabrikam.example", ExternalUserState::Accepted),
    )
    .await;
    let (app_id, token) = writer(&app).await;
    let path = format!("/v1.0/users/{id}");
    let body = json!({
        "@odata.type": "#microsoft.graph.user",
        "displayName": "Ann Renamed",
        "companyName": "Northwind",
        "userType": "Member",
        "accountEnabled": false,
        "someFutureProperty": 1,
    });
    let res = app.graph(&token, Method::PATCH, &path, Some(&body)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty(), "204 without a body");
    let select = "?$select=displayName,companyName,userType,accountEnabled";
    let (_, user) = app
        .graph_json(&token, Method::GET, &format!("{path}{select}"), None)
        .await;
    assert_eq!(
        (
            &user["displayName"],
            &user["companyName"],
            &user["userType"],
            &user["accountEnabled"]
        ),
        (
            &json!("Ann Renamed"),
            &json!("Northwind"),
            &json!("Member"),
            &json!(false)
        ),
        "{user}"
    );
    let audit = audit_of(&app, &id).await;
    assert_eq!(
        audit,
        [(
            "Update user".to_owned(),
            Some(app_id.clone()),
            Some("Graph script".to_owned()),
            Some("displayName=Ann Renamed; companyName=Northwind; userType=Member; accountEnabled=false".to_owned()),
        )]
    );

    // Only what is named changes; null clears the company.
    let res = app
        .graph(
            &token,
            Method::PATCH,
            &path,
            Some(&json!({"companyName": null, "accountEnabled": true})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, user) = app
        .graph_json(&token, Method::GET, &format!("{path}{select}"), None)
        .await;
    assert_eq!(
        user["displayName"], "Ann Renamed",
        "an unnamed property keeps its value: {user}"
    );
    assert_eq!(
        (&user["companyName"], &user["accountEnabled"]),
        (&Value::Null, &json!(true))
    );

    // Nothing asked, nothing written; refusals change nothing.
    let before = app.snapshot().await;
    let res = app.graph(&token, Method::PATCH, &path, Some(&json!({}))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "an empty body");
    for refused in [
        json!({"mail": "ann@elsewhere.example"}),
        json!({"displayName": "Fine", "givenName": "Ann"}),
        json!({"displayName": ""}),
        json!({"displayName": "x".repeat(300)}),
        json!({"userType": "Admin"}),
        json!({"accountEnabled": "no"}),
        json!({"companyName": 5}),
        json!(["displayName"]),
    ] {
        let (status, body) = app.graph_json(&token, Method::PATCH, &path, Some(&refused)).await;
        assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
    let res = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("displayName=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let unknown = format!("/v1.0/users/{}", uuid::Uuid::new_v4());
    let (status, body) = app
        .graph_json(&token, Method::PATCH, &unknown, Some(&json!({"displayName": "X"})))
        .await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn delete_and_restore_go_through_the_portals_services() {
    let app = spawn_app().await;
    let id = add(
        &app,
        guest(
            "Ann Guest",
            "ann@fabrikam.example",
            ExternalUserState::PendingAcceptance,
        ),
    )
    .await;
    let (app_id, token) = writer(&app).await;
    // By user principal name, as Graph allows.
    let res = app
        .graph(
            &token,
            Method::DELETE,
            "/v1.0/users/ann_fabrikam.example%23EXT%23@contoso.test",
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty());
    let path = format!("/v1.0/users/{id}");
    for method in [Method::GET, Method::DELETE] {
        let (status, body) = app.graph_json(&token, method, &path, None).await;
        assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    }
    let (status, deleted) = app
        .graph_json(
            &token,
            Method::GET,
            "/v1.0/directory/deletedItems/microsoft.graph.user",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(
        deleted,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#directoryObjects/microsoft.graph.user", app.address),
            "value": [{
                "businessPhones": [], "displayName": "Ann Guest", "givenName": null, "id": id,
                "jobTitle": null, "mail": "ann@fabrikam.example", "mobilePhone": null, "officeLocation": null,
                "preferredLanguage": null, "surname": null,
                "userPrincipalName": "ann_fabrikam.example#EXT#@contoso.test",
                "deletedDateTime": stored_time(&app, DELETED_AT, &id).await,
            }]
        })
    );

    app.clock.advance(60);
    let restore = format!("/v1.0/directory/deletedItems/{id}/restore");
    let (status, restored) = app.graph_json(&token, Method::POST, &restore, None).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(
        restored,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#directoryObjects/$entity", app.address),
            "@odata.type": "#microsoft.graph.user",
            "businessPhones": [], "displayName": "Ann Guest", "givenName": null, "id": id,
            "jobTitle": null, "mail": "ann@fabrikam.example", "mobilePhone": null, "officeLocation": null,
            "preferredLanguage": null, "surname": null,
            "userPrincipalName": "ann_fabrikam.example#EXT#@contoso.test",
        })
    );
    let (status, _) = app.graph_json(&token, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "live again");
    let (status, body) = app.graph_json(&token, Method::POST, &restore, None).await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    let audit: Vec<_> = audit_of(&app, &id)
        .await
        .into_iter()
        .map(|(activity, actor_id, actor_name, _)| (activity, actor_id, actor_name))
        .collect();
    let by_app = |activity: &str| {
        (
            activity.to_owned(),
            Some(app_id.clone()),
            Some("Graph script".to_owned()),
        )
    };
    assert_eq!(audit, [by_app("Delete external user"), by_app("Restore user")]);
}

#[tokio::test]
async fn deleted_items_are_paged_newest_first() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(add(&app, member(&format!("Gone {n}"), &format!("gone{n}@contoso.test"))).await);
    }
    for id in &ids {
        app.clock.advance(10);
        app.soft_delete(id).await;
    }
    let token = {
        let client = app.api_client(&["User.Read.All"]).await;
        app.api_token(&client).await
    };
    let first = "/v1.0/directory/deletedItems/microsoft.graph.user?$top=2&$count=true&$select=id,deletedDateTime";
    let (status, page) = app.graph_json(&token, Method::GET, first, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut deleted_at = Vec::new();
    for id in &ids {
        deleted_at.push(stored_time(&app, DELETED_AT, id).await);
    }
    let next = page["@odata.nextLink"].as_str().unwrap().to_owned();
    assert_eq!(
        page,
        json!({
            "@odata.context": format!(
                "{}/v1.0/$metadata#directoryObjects/microsoft.graph.user(id,deletedDateTime)",
                app.address
            ),
            "@odata.count": 3,
            "@odata.nextLink": next,
            "value": [
                {"id": ids[2], "deletedDateTime": deleted_at[2]},
                {"id": ids[1], "deletedDateTime": deleted_at[1]},
            ]
        })
    );
    assert!(next.starts_with(&format!(
        "{}/v1.0/directory/deletedItems/microsoft.graph.user?",
        app.address
    )));
    let res = crate::common::new_client()
        .get(&next)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let page: Value = res.json().await.unwrap();
    assert_eq!(
        page["value"],
        json!([{"id": ids[0], "deletedDateTime": deleted_at[0]}]),
        "{page}"
    );
    assert!(
        page.get("@odata.nextLink").is_none() && page.get("@odata.count").is_none(),
        "{page}"
    );
    for bad in ["?$top=0", "?$filter=displayName%20eq%20'x'", "?$select=nope"] {
        let path = format!("/v1.0/directory/deletedItems/microsoft.graph.user{bad}");
        let (status, _) = app.graph_json(&token, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn a_role_holder_is_out_of_the_applications_reach() {
    let app = spawn_app().await;
    let holder = add(&app, member("Uma Admin", "uma@contoso.test")).await;
    app.grant_role(&holder, Role::UserAdministrator).await;
    let deleted_holder = add(&app, member("Gary Admin", "gary@contoso.test")).await;
    app.grant_role(&deleted_holder, Role::GlobalAdministrator).await;
    app.soft_delete(&deleted_holder).await;
    let (_, token) = writer(&app).await;
    let before = app.snapshot().await;
    let path = format!("/v1.0/users/{holder}");
    for (method, path, body) in [
        (Method::PATCH, path.clone(), Some(json!({"displayName": "Changed"}))),
        (Method::PATCH, path.clone(), Some(json!({}))),
        (Method::DELETE, path.clone(), None),
        (
            Method::POST,
            format!("/v1.0/directory/deletedItems/{deleted_holder}/restore"),
            None,
        ),
    ] {
        let (status, body) = app.graph_json(&token, method.clone(), &path, body.as_ref()).await;
        assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
    let (status, user) = app.graph_json(&token, Method::GET, &path, None).await;
    assert_eq!(
        (status, &user["displayName"]),
        (StatusCode::OK, &json!("Uma Admin")),
        "reading is not acting"
    );
}

#[tokio::test]
async fn writing_users_needs_user_read_write_all() {
    let app = spawn_app().await;
    let id = add(
        &app,
        guest("Ann Guest", "ann@fabrikam.example", ExternalUserState::Accepted),
    )
    .await;
    let gone = add(
        &app,
        guest("Gone Guest", "gone@fabrikam.example", ExternalUserState::Accepted),
    )
    .await;
    app.soft_delete(&gone).await;
    let client = app
        .api_client(&["User.Read.All", "User.Invite.All", "Group.Read.All"])
        .await;
    let token = app.api_token(&client).await;
    let before = app.snapshot().await;
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/v1.0/users/{id}"),
            Some(json!({"displayName": "X"})),
        ),
        (Method::DELETE, format!("/v1.0/users/{id}"), None),
        (
            Method::POST,
            format!("/v1.0/directory/deletedItems/{gone}/restore"),
            None,
        ),
    ] {
        let (status, body) = app.graph_json(&token, method, &path, body.as_ref()).await;
        assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    }
    assert_eq!(app.snapshot().await, before);
}
