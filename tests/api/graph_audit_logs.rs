//! The audit and sign-in logs through the Graph-shaped API: Graph's
//! `directoryAudit` and `signIn` JSON, the application named as the
//! initiator of what it did, `$filter` on the activity and on dates, newest
//! first, paging, and AuditLog.Read.All.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vestibule::store::audit::{Actor, AuditEntry};
use vestibule::store::sign_in_log::SignInEntry;

use crate::common::audit_seed::{DAY, MAY_10, seed};
use crate::common::graph::assert_graph_error;
use crate::common::{TestApp, spawn_app};
use crate::graph_groups::rfc3339;

async fn pages(app: &TestApp, token: &str, first: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(link) = next {
        let path = link.strip_prefix(&app.address).unwrap_or(&link).to_owned();
        let (status, page) = app.graph_json(token, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        pages.push(page["value"].as_array().unwrap().clone());
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(link.starts_with(&app.address), "an absolute link: {link}");
        }
        assert!(pages.len() < 20, "paging ends");
    }
    pages
}

fn activities(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|i| i["activityDisplayName"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn directory_audits_name_the_application_that_acted() {
    let app = spawn_app().await;
    let writer = app.api_client(&["Group.ReadWrite.All"]).await;
    let writer_token = app.api_token(&writer).await;
    let token = app
        .api_token(&app.api_client_with("Auditor", &["AuditLog.Read.All"], true).await)
        .await;
    let body =
        json!({"displayName": "Audited", "mailEnabled": false, "mailNickname": "audited", "securityEnabled": true});
    let (status, group) = app
        .graph_json(&writer_token, Method::POST, "/v1.0/groups", Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let group_id = group["id"].as_str().unwrap();

    let (status, page) = app
        .graph_json(
            &token,
            Method::GET,
            "/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Add group'",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["@odata.context"],
        format!("{}/v1.0/$metadata#auditLogs/directoryAudits", app.address)
    );
    let entries = page["value"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{page}");
    let (id, at): (String, i64) = sqlx::query_as("SELECT id, occurred_at FROM audit_log WHERE activity = 'Add group'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        entries[0],
        json!({
            "id": id,
            "category": "GroupManagement",
            "correlationId": null,
            "result": "success",
            "resultReason": "",
            "activityDisplayName": "Add group",
            "activityDateTime": rfc3339(at),
            "loggedByService": "Core Directory",
            "operationType": "Add",
            "initiatedBy": {
                "app": {"appId": writer.client_id, "displayName": "Graph script", "servicePrincipalId": writer.app_id,
                        "servicePrincipalName": null},
                "user": null
            },
            "targetResources": [
                {"id": group_id, "displayName": "Audited", "type": "Group", "userPrincipalName": null, "modifiedProperties": []}
            ],
            "additionalDetails": [],
        })
    );

    // A user's own action names the user, with the address they came from.
    let mut tx = app.db.begin().await.unwrap();
    let grace = Actor {
        id: Some("0190a3f4-7c2b-7d4e-8f00-000000000009".into()),
        name: Some("grace@contoso.test".into()),
        client_ip: Some("203.0.113.7".into()),
    };
    let entry = AuditEntry {
        activity: "Redeem external user invite",
        category: "UserManagement",
        target_id: grace.id.as_deref(),
        target_name: Some("grace@contoso.test"),
        details: Some("termsVersion=1".into()),
    };
    vestibule::store::audit::record(&mut tx, &grace, &entry, MAY_10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (_, page) = app
        .graph_json(
            &token,
            Method::GET,
            "/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Redeem external user invite'",
            None,
        )
        .await;
    let entry = &page["value"][0];
    assert_eq!(
        entry["initiatedBy"],
        json!({"app": null, "user": {"id": grace.id, "displayName": null, "userPrincipalName": "grace@contoso.test",
                                     "ipAddress": "203.0.113.7"}})
    );
    assert_eq!(
        entry["targetResources"],
        json!([{"id": grace.id, "displayName": "grace@contoso.test", "type": "User",
                "userPrincipalName": "grace@contoso.test", "modifiedProperties": []}])
    );
    assert_eq!(
        entry["additionalDetails"],
        json!([{"key": "details", "value": "termsVersion=1"}])
    );
    assert_eq!(entry["activityDateTime"], "2024-05-10T00:00:00Z");
}

#[tokio::test]
async fn directory_audits_filter_by_activity_and_date_and_page_newest_first() {
    let app = spawn_app().await;
    let token = app.api_token(&app.api_client(&["AuditLog.Read.All"]).await).await;
    seed(
        &app,
        &[
            (
                "Invite external user",
                "admin@contoso.test",
                None,
                "a@fabrikam.test",
                MAY_10,
            ),
            (
                "Delete user",
                "admin@contoso.test",
                None,
                "b@fabrikam.test",
                MAY_10 + DAY,
            ),
            (
                "Invite external user",
                "admin@contoso.test",
                None,
                "c@fabrikam.test",
                MAY_10 + 2 * DAY,
            ),
            (
                "Invite external user",
                "admin@contoso.test",
                None,
                "d@fabrikam.test",
                MAY_10 + 3 * DAY,
            ),
            (
                "Invite external user",
                "admin@contoso.test",
                None,
                "e@fabrikam.test",
                MAY_10 + 3 * DAY,
            ),
            (
                "Invite external user",
                "admin@contoso.test",
                None,
                "f@fabrikam.test",
                MAY_10 + 4 * DAY,
            ),
        ],
    )
    .await;
    let names = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|i| i["targetResources"][0]["displayName"].as_str().unwrap().to_owned())
            .collect()
    };

    // May 11 00:00 to May 13 00:00, both included; `le` takes the whole second.
    let window = "activityDateTime ge 2024-05-11T00:00:00Z and activityDateTime le 2024-05-13T00:00:00.000Z";
    let all = pages(
        &app,
        &token,
        &format!("/v1.0/auditLogs/directoryAudits?$filter={window}&$top=2"),
    )
    .await;
    assert_eq!(all.len(), 2, "four entries in pages of two");
    let flat: Vec<Value> = all.concat();
    assert_eq!(flat.len(), 4);
    assert_eq!(flat[0]["activityDateTime"], "2024-05-13T00:00:00Z");
    assert_eq!(flat[3]["activityDateTime"], "2024-05-11T00:00:00Z");
    let mut sorted = names(&flat[..2]);
    sorted.sort();
    assert_eq!(
        sorted,
        ["d@fabrikam.test", "e@fabrikam.test"],
        "the two at one time, by id"
    );
    assert_eq!(names(&flat[2..]), ["c@fabrikam.test", "b@fabrikam.test"]);

    let filter = format!("({window}) and activityDisplayName eq 'Invite external user'");
    let invites = pages(
        &app,
        &token,
        &format!("/v1.0/auditLogs/directoryAudits?$filter={filter}&$top=1"),
    )
    .await;
    assert_eq!(invites.len(), 3);
    assert_eq!(activities(&invites.concat()), ["Invite external user"; 3]);
    let (_, page) = app
        .graph_json(&token, Method::GET, "/v1.0/auditLogs/directoryAudits?$filter=activityDateTime gt 2024-05-13T00:00:00Z and activityDateTime lt 2024-05-14T00:00:01Z", None)
        .await;
    assert_eq!(names(page["value"].as_array().unwrap()), ["f@fabrikam.test"]);
    let (_, page) = app
        .graph_json(
            &token,
            Method::GET,
            "/v1.0/auditLogs/directoryAudits?$filter=activityDateTime lt 2024-05-10T00:00:00Z",
            None,
        )
        .await;
    assert_eq!(page["value"], json!([]));
    let system = &invites[0][0]["initiatedBy"];
    assert_eq!(
        *system,
        json!({"app": {"appId": null, "displayName": "admin@contoso.test", "servicePrincipalId": null, "servicePrincipalName": null}, "user": null}),
        "an entry without an initiator id is the portal's own"
    );

    for (query, code) in [
        (
            "$filter=activityDisplayName eq 'a' or activityDisplayName eq 'b'",
            "Request_UnsupportedQuery",
        ),
        ("$filter=category eq 'UserManagement'", "Request_UnsupportedQuery"),
        (
            "$filter=activityDateTime eq 2024-05-10T00:00:00Z",
            "Request_UnsupportedQuery",
        ),
        ("$filter=activityDateTime ge 'yesterday'", "Request_UnsupportedQuery"),
        ("$filter=activityDateTime ge 2024-13-01", "Request_UnsupportedQuery"),
        (
            "$filter=activityDisplayName eq 'a' and activityDisplayName eq 'b'",
            "Request_UnsupportedQuery",
        ),
        ("$filter=activityDisplayName eq 'a", "Request_BadRequest"),
        ("$top=0", "Request_BadRequest"),
        ("$select=id", "Request_UnsupportedQuery"),
        ("$skiptoken=forged.token", "Request_BadRequest"),
    ] {
        let (status, body) = app
            .graph_json(
                &token,
                Method::GET,
                &format!("/v1.0/auditLogs/directoryAudits?{query}"),
                None,
            )
            .await;
        assert_graph_error(status, &body, StatusCode::BAD_REQUEST, code);
    }
}

#[tokio::test]
async fn sign_ins_are_listed_with_their_status_filtered_by_time_and_paged() {
    let app = spawn_app().await;
    let client = app.api_client(&["AuditLog.Read.All"]).await;
    let token = app.api_token(&client).await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    let user = "0190a3f4-7c2b-7d4e-8f00-000000000001";
    for (i, entry) in [
        SignInEntry {
            user_id: Some(user),
            user_name: Some("grace@fabrikam.test"),
            client_ip: Some("203.0.113.7"),
            ..Default::default()
        },
        SignInEntry {
            user_name: Some("nobody@fabrikam.test"),
            failure: Some(("50034", "The user account does not exist in the directory.")),
            ..Default::default()
        },
        SignInEntry {
            user_id: Some(user),
            user_name: Some("grace@fabrikam.test"),
            app_id: Some(&client.app_id),
            app_name: Some("Graph script"),
            ..Default::default()
        },
        SignInEntry {
            user_id: Some(user),
            user_name: Some("grace@fabrikam.test"),
            failure: Some(("", "Invalid one-time passcode.")),
            ..Default::default()
        },
    ]
    .iter()
    .enumerate()
    {
        vestibule::store::sign_in_log::record(&mut conn, entry, MAY_10 + i as i64 * DAY)
            .await
            .unwrap();
    }
    drop(conn);
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM sign_in_log ORDER BY occurred_at")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let (status, page) = app
        .graph_json(&token, Method::GET, "/v1.0/auditLogs/signIns", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["@odata.context"],
        format!("{}/v1.0/$metadata#auditLogs/signIns", app.address)
    );
    let items = page["value"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(
        items[1],
        json!({
            "id": ids[2], "createdDateTime": "2024-05-12T00:00:00Z",
            "userDisplayName": "grace@fabrikam.test", "userPrincipalName": "grace@fabrikam.test", "userId": user,
            "appId": client.client_id, "appDisplayName": "Graph script", "ipAddress": null,
            "clientAppUsed": "Browser", "isInteractive": true, "resourceDisplayName": null,
            "status": {"errorCode": 0, "failureReason": null, "additionalDetails": null}
        })
    );
    assert_eq!(items[3]["appDisplayName"], "Vestibule portal");
    assert_eq!(items[3]["appId"], Value::Null);
    assert_eq!(items[3]["ipAddress"], "203.0.113.7");
    assert_eq!(
        items[2]["status"],
        json!({"errorCode": 50034, "failureReason": "The user account does not exist in the directory.", "additionalDetails": null})
    );
    assert_eq!(items[2]["userId"], Value::Null);
    assert_eq!(
        items[0]["status"]["errorCode"],
        Value::Null,
        "a failure without Entra's code has none"
    );
    assert_eq!(items[0]["createdDateTime"], "2024-05-13T00:00:00Z", "newest first");

    let filter = "createdDateTime ge 2024-05-11T00:00:00Z and createdDateTime lt 2024-05-13T00:00:00Z";
    let all = pages(
        &app,
        &token,
        &format!("/v1.0/auditLogs/signIns?$filter={filter}&$top=1"),
    )
    .await;
    let got: Vec<&str> = all.iter().flatten().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    for query in [
        "$filter=userId eq 'x'",
        "$filter=createdDateTime ne 2024-05-11T00:00:00Z",
        "$count=true",
    ] {
        let (status, body) = app
            .graph_json(&token, Method::GET, &format!("/v1.0/auditLogs/signIns?{query}"), None)
            .await;
        assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    }

    let other = app
        .api_token(
            &app.api_client_with("Other", &["User.ReadWrite.All", "Group.ReadWrite.All"], true)
                .await,
        )
        .await;
    for path in ["/v1.0/auditLogs/signIns", "/v1.0/auditLogs/directoryAudits"] {
        let (status, body) = app.graph_json(&other, Method::GET, path, None).await;
        assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    }
}
