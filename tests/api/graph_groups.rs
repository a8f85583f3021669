//! Groups and members through the Graph-shaped API: Graph's JSON, 201 and
//! 204 answers, members by reference from any host, duplicates and unknown
//! ids refused, `DELETE …/members/{id}` without `$ref` refused with the user
//! intact, dynamic groups with a rule, bad input refused with nothing
//! written, role holders out of the application's reach, and paging.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vestibule::domain::{Role, UserType};

use crate::common::directory::Invited;
use crate::common::graph::assert_graph_error;
use crate::common::{TestApp, spawn_app};

/// Graph's form of a stored time.
pub(crate) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn security_group(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.group",
        "displayName": name,
        "mailEnabled": false,
        "mailNickname": "partners",
        "securityEnabled": true,
        "groupTypes": [],
        "aPropertyFromTheFuture": 1
    })
}

fn reference(id: &str) -> Value {
    json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")})
}

async fn created_at(app: &TestApp, table: &'static str, id: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT created_at FROM {table} WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// An Assigned group, made as the portal's New group page makes it.
pub(crate) async fn new_group(app: &TestApp, name: &str, description: &str) -> String {
    vestibule::services::groups::create_group(
        &app.state,
        &crate::common::system_admin(),
        &vestibule::services::groups::GroupForm {
            display_name: name.to_owned(),
            description: description.to_owned(),
            membership_type: "Assigned".into(),
            ..Default::default()
        },
    )
    .await
    .expect("a group")
}

async fn members_of(app: &TestApp, group: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id")
        .bind(group)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_security_group_is_created_read_listed_and_deleted_as_graph_shows_it() {
    let app = spawn_app().await;
    let token = app.api_token(&app.api_client(&["Group.ReadWrite.All"]).await).await;
    let mut body = security_group("Fabrikam Partners");
    body["description"] = json!("Everyone from Fabrikam");
    let (status, created) = app.graph_json(&token, Method::POST, "/v1.0/groups", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let group = json!({
        "id": id,
        "deletedDateTime": null,
        "createdDateTime": rfc3339(created_at(&app, "groups", &id).await),
        "description": "Everyone from Fabrikam",
        "displayName": "Fabrikam Partners",
        "groupTypes": [],
        "mail": null,
        "mailEnabled": false,
        "mailNickname": "partners",
        "membershipRule": null,
        "membershipRuleProcessingState": null,
        "securityEnabled": true,
        "visibility": null,
    });
    let mut expected = json!({"@odata.context": format!("{}/v1.0/$metadata#groups/$entity", app.address)});
    expected
        .as_object_mut()
        .unwrap()
        .extend(group.as_object().unwrap().clone());
    assert_eq!(created, expected);

    let (status, read) = app
        .graph_json(&token, Method::GET, &format!("/v1.0/groups/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, expected);

    let (_, other) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/groups",
            Some(&security_group("Contoso Staff")),
        )
        .await;
    for (query, names) in [
        ("", vec!["Contoso Staff", "Fabrikam Partners"]),
        ("?$filter=displayName eq 'fabrikam PARTNERS'", vec!["Fabrikam Partners"]),
        ("?$filter=startswith(displayName,'cont')", vec!["Contoso Staff"]),
        ("?%24filter=startswith(displayName%2C'x')", vec![]),
    ] {
        let (status, list) = app
            .graph_json(&token, Method::GET, &format!("/v1.0/groups{query}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        assert_eq!(list["@odata.context"], format!("{}/v1.0/$metadata#groups", app.address));
        let got: Vec<&str> = list["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["displayName"].as_str().unwrap())
            .collect();
        assert_eq!(got, names, "{query}");
    }
    let (_, list) = app
        .graph_json(
            &token,
            Method::GET,
            "/v1.0/groups?$filter=displayName eq 'Fabrikam Partners'",
            None,
        )
        .await;
    assert_eq!(list["value"][0], group, "a listed group is the same JSON");

    let (status, list) = app
        .graph_json(
            &token,
            Method::GET,
            "/v1.0/groups?$select=displayName,mailNickname&$count=true",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list["@odata.context"],
        format!("{}/v1.0/$metadata#groups(displayName,mailNickname)", app.address)
    );
    assert_eq!(list["@odata.count"], 2);
    assert_eq!(
        list["value"][0],
        json!({"id": other["id"], "displayName": "Contoso Staff", "mailNickname": "partners"})
    );

    let res = app
        .graph(&token, Method::DELETE, &format!("/v1.0/groups/{id}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty());
    let (status, body) = app
        .graph_json(&token, Method::GET, &format!("/v1.0/groups/{id}"), None)
        .await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let (status, body) = app
        .graph_json(&token, Method::DELETE, &format!("/v1.0/groups/{id}"), None)
        .await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    let audit: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT activity, actor_name FROM audit_log WHERE target_id = $1 ORDER BY activity")
            .bind(&id)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        audit,
        [
            ("Add group".to_owned(), Some("Graph script".to_owned())),
            ("Delete group".to_owned(), Some("Graph script".to_owned()))
        ]
    );
}

#[tokio::test]
async fn members_are_added_by_reference_from_any_host_listed_and_removed() {
    let app = spawn_app().await;
    let token = app
        .api_token(&app.api_client(&["GroupMember.ReadWrite.All", "Group.Read.All"]).await)
        .await;
    let group = new_group(&app, "Partners", "").await;
    let grace = app
        .invited_user("grace@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    let alan = app
        .invited_user("alan@fabrikam.test", UserType::Guest, Invited::Pending)
        .await;

    let path = format!("/v1.0/groups/{group}/members/$ref");
    let res = app.graph(&token, Method::POST, &path, Some(&reference(&grace))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty());
    // Another host and another collection, and `$` percent-encoded.
    let other = json!({"@odata.id": format!("http://localhost/v1.0/users/{alan}")});
    let res = app
        .graph(
            &token,
            Method::POST,
            &format!("/v1.0/groups/{group}/members/%24ref"),
            Some(&other),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(members_of(&app, &group).await.len(), 2);

    let (status, list) = app
        .graph_json(&token, Method::GET, &format!("/v1.0/groups/{group}/members"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let upn = |email: &str| format!("{}#EXT#@contoso.test", email.replace('@', "_"));
    assert_eq!(
        list,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#directoryObjects", app.address),
            "value": [
                {"@odata.type": "#microsoft.graph.user", "id": alan, "displayName": "Invited alan@fabrikam.test",
                 "mail": "alan@fabrikam.test", "userPrincipalName": upn("alan@fabrikam.test"), "userType": "Guest"},
                {"@odata.type": "#microsoft.graph.user", "id": grace, "displayName": "Invited grace@fabrikam.test",
                 "mail": "grace@fabrikam.test", "userPrincipalName": upn("grace@fabrikam.test"), "userType": "Guest"},
            ]
        })
    );

    let before = app.snapshot().await;
    let (status, body) = app
        .graph_json(&token, Method::POST, &path, Some(&reference(&grace)))
        .await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(
        body["error"]["message"],
        "One or more added object references already exist for the following modified properties: 'members'."
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    let (status, body) = app
        .graph_json(&token, Method::POST, &path, Some(&reference(&unknown)))
        .await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert!(body["error"]["message"].as_str().unwrap().contains(&unknown), "{body}");
    let (status, body) = app
        .graph_json(&token, Method::POST, &path, Some(&reference(&group)))
        .await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    for bad in [
        json!({}),
        json!({"@odata.id": "not a reference"}),
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/applications/{grace}")}),
    ] {
        let (status, body) = app.graph_json(&token, Method::POST, &path, Some(&bad)).await;
        assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            &format!("/v1.0/groups/{unknown}/members/$ref"),
            Some(&reference(&grace)),
        )
        .await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_eq!(app.snapshot().await, before, "refused references wrote nothing");

    let res = app
        .graph(
            &token,
            Method::DELETE,
            &format!("/v1.0/groups/{group}/members/{grace}/$ref"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(members_of(&app, &group).await, std::slice::from_ref(&alan));
    let (status, body) = app
        .graph_json(
            &token,
            Method::DELETE,
            &format!("/v1.0/groups/{group}/members/{grace}/$ref"),
            None,
        )
        .await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    let audit: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT activity, actor_name FROM audit_log WHERE target_id = $1 ORDER BY occurred_at, activity",
    )
    .bind(&group)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let by_app: Vec<&str> = audit
        .iter()
        .filter(|(_, actor)| actor.as_deref() == Some("Graph script"))
        .map(|(a, _)| a.as_str())
        .collect();
    assert_eq!(
        by_app,
        ["Add member to group", "Add member to group", "Remove member from group"]
    );
}

#[tokio::test]
async fn delete_on_a_member_without_ref_is_refused_and_the_user_stays() {
    let app = spawn_app().await;
    let token = app
        .api_token(&app.api_client(&["Group.ReadWrite.All", "User.ReadWrite.All"]).await)
        .await;
    let group = new_group(&app, "Partners", "").await;
    let grace = app
        .invited_user("grace@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::groups::add_member(&mut conn, &group, &grace, app.clock.now())
        .await
        .unwrap();
    drop(conn);
    let before = app.snapshot().await;
    for path in [
        format!("/v1.0/groups/{group}/members/{grace}"),
        format!("/v1.0/groups/{group}/members/{grace}/"),
    ] {
        let (status, body) = app.graph_json(&token, Method::DELETE, &path, None).await;
        assert_graph_error(status, &body, StatusCode::METHOD_NOT_ALLOWED, "Request_BadRequest");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("/v1.0/groups/{group}/members/{grace}/$ref")),
            "{message}"
        );
    }
    assert_eq!(app.snapshot().await, before, "the user and the membership are intact");
    let live: i64 = app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NULL").await;
    assert!(live >= 2);
    assert_eq!(members_of(&app, &group).await, [grace]);
}

#[tokio::test]
async fn a_dynamic_group_takes_a_rule_and_refuses_hand_added_members() {
    let app = spawn_app().await;
    let token = app.api_token(&app.api_client(&["Group.ReadWrite.All"]).await).await;
    let guest = app
        .invited_user("grace@fabrikam.test", UserType::Guest, Invited::Pending)
        .await;
    let member = app
        .invited_user("alan@contoso.test", UserType::Member, Invited::Pending)
        .await;
    let body = json!({
        "displayName": "All guests",
        "mailEnabled": false,
        "mailNickname": "allguests",
        "securityEnabled": true,
        "groupTypes": ["DynamicMembership"],
        "membershipRule": "(user.userType -eq \"Guest\")",
        "membershipRuleProcessingState": "On"
    });
    let (status, created) = app.graph_json(&token, Method::POST, "/v1.0/groups", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["groupTypes"], json!(["DynamicMembership"]));
    assert_eq!(created["membershipRuleProcessingState"], "On");
    assert_eq!(created["membershipRule"], "user.userType -eq \"Guest\"");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(members_of(&app, &id).await, std::slice::from_ref(&guest));

    let before = app.snapshot().await;
    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            &format!("/v1.0/groups/{id}/members/$ref"),
            Some(&reference(&member)),
        )
        .await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let (status, body) = app
        .graph_json(
            &token,
            Method::DELETE,
            &format!("/v1.0/groups/{id}/members/{guest}/$ref"),
            None,
        )
        .await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let (status, body) = app
        .graph_json(
            &token,
            Method::PATCH,
            &format!("/v1.0/groups/{id}"),
            Some(&json!({"groupTypes": []})),
        )
        .await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(app.snapshot().await, before);

    let patch = json!({"membershipRule": "user.userType -eq \"Member\""});
    let res = app
        .graph(&token, Method::PATCH, &format!("/v1.0/groups/{id}"), Some(&patch))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(
        members_of(&app, &id).await.contains(&member),
        "the new rule recomputes the members"
    );
    assert!(!members_of(&app, &id).await.contains(&guest));
}

#[tokio::test]
async fn bad_groups_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let token = app.api_token(&app.api_client(&["Group.ReadWrite.All"]).await).await;
    let grace = app
        .invited_user("grace@fabrikam.test", UserType::Guest, Invited::Pending)
        .await;
    let with = |changes: Value| {
        let mut body = security_group("Partners");
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let binds = |n: usize| -> Value {
        (0..n)
            .map(|_| {
                json!(format!(
                    "https://graph.microsoft.com/v1.0/users/{}",
                    uuid::Uuid::new_v4()
                ))
            })
            .collect()
    };
    let cases = [
        (with(json!({"displayName": null})), StatusCode::BAD_REQUEST),
        (with(json!({"displayName": "  "})), StatusCode::BAD_REQUEST),
        (with(json!({"displayName": 7})), StatusCode::BAD_REQUEST),
        (with(json!({"displayName": "x".repeat(257)})), StatusCode::BAD_REQUEST),
        (with(json!({"mailNickname": null})), StatusCode::BAD_REQUEST),
        (with(json!({"mailNickname": "has space"})), StatusCode::BAD_REQUEST),
        (with(json!({"mailEnabled": true})), StatusCode::BAD_REQUEST),
        (with(json!({"mailEnabled": null})), StatusCode::BAD_REQUEST),
        (with(json!({"securityEnabled": false})), StatusCode::BAD_REQUEST),
        (with(json!({"groupTypes": ["Unified"]})), StatusCode::BAD_REQUEST),
        (with(json!({"groupTypes": "Unified"})), StatusCode::BAD_REQUEST),
        (
            with(json!({"groupTypes": ["DynamicMembership"]})),
            StatusCode::BAD_REQUEST,
        ),
        (
            with(json!({"groupTypes": ["DynamicMembership"], "membershipRule": "user.nope -eq 1"})),
            StatusCode::BAD_REQUEST,
        ),
        (
            with(json!({"membershipRule": "user.userType -eq \"Guest\""})),
            StatusCode::BAD_REQUEST,
        ),
        (
            with(
                json!({"groupTypes": ["DynamicMembership"], "membershipRule": "user.userType -eq \"Guest\"", "membershipRuleProcessingState": "Paused"}),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (with(json!({"members@odata.bind": binds(21)})), StatusCode::BAD_REQUEST),
        (
            with(json!({"members@odata.bind": ["nonsense"]})),
            StatusCode::BAD_REQUEST,
        ),
        (
            with(json!({"owners@odata.bind": [format!("https://graph.microsoft.com/v1.0/users/{grace}")]})),
            StatusCode::BAD_REQUEST,
        ),
        (with(json!({"members@odata.bind": binds(1)})), StatusCode::NOT_FOUND),
        (
            with(json!({"members@odata.bind": [
                format!("https://graph.microsoft.com/v1.0/users/{grace}"),
                format!("https://graph.microsoft.com/v1.0/directoryObjects/{grace}")
            ]})),
            StatusCode::BAD_REQUEST,
        ),
        (
            with(
                json!({"groupTypes": ["DynamicMembership"], "membershipRule": "user.userType -eq \"Guest\"",
                "members@odata.bind": [format!("https://graph.microsoft.com/v1.0/users/{grace}")]}),
            ),
            StatusCode::BAD_REQUEST,
        ),
    ];
    let before = app.snapshot().await;
    for (body, expected) in cases {
        let (status, answer) = app.graph_json(&token, Method::POST, "/v1.0/groups", Some(&body)).await;
        let code = if expected == StatusCode::NOT_FOUND {
            "Request_ResourceNotFound"
        } else {
            "Request_BadRequest"
        };
        assert_eq!(status, expected, "{body}: {answer}");
        assert_graph_error(status, &answer, expected, code);
    }
    let res = app
        .client
        .post(app.url("/v1.0/groups"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.snapshot().await, before, "no refused group wrote anything");

    // 20 members are allowed.
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            app.invited_user(&format!("m{i}@fabrikam.test"), UserType::Guest, Invited::Pending)
                .await,
        );
    }
    let refs: Vec<String> = ids
        .iter()
        .map(|id| format!("https://graph.microsoft.com/v1.0/users/{id}"))
        .collect();
    let (status, created) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/groups",
            Some(&with(json!({"members@odata.bind": refs}))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(members_of(&app, created["id"].as_str().unwrap()).await.len(), 20);
}

#[tokio::test]
async fn patch_changes_properties_and_binds_members_all_or_nothing() {
    let app = spawn_app().await;
    let token = app.api_token(&app.api_client(&["Group.ReadWrite.All"]).await).await;
    let group = new_group(&app, "Partners", "Old text").await;
    let grace = app
        .invited_user("grace@fabrikam.test", UserType::Guest, Invited::Pending)
        .await;
    let admin = app
        .invited_user("root@contoso.test", UserType::Member, Invited::Pending)
        .await;
    app.grant_role(&admin, Role::UserAdministrator).await;
    let path = format!("/v1.0/groups/{group}");
    let bind = |ids: &[&str]| -> Value {
        ids.iter()
            .map(|id| json!(format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")))
            .collect()
    };

    let before = app.snapshot().await;
    for (body, status, code) in [
        (
            json!({"displayName": "Renamed", "members@odata.bind": bind(&[&grace, &admin])}),
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
        ),
        (
            json!({"displayName": ""}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            json!({"membershipRule": "user.userType -eq \"Guest\""}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            json!({"mailEnabled": true}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            json!({"groupTypes": ["Unified"]}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
    ] {
        let (got, answer) = app.graph_json(&token, Method::PATCH, &path, Some(&body)).await;
        assert_graph_error(got, &answer, status, code);
    }
    let (got, answer) = app
        .graph_json(
            &token,
            Method::PATCH,
            &format!("/v1.0/groups/{}", uuid::Uuid::new_v4()),
            Some(&json!({"displayName": "x"})),
        )
        .await;
    assert_graph_error(got, &answer, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused change wrote nothing, not even the name"
    );

    let body = json!({"displayName": "Renamed", "description": null, "mailNickname": "renamed", "members@odata.bind": bind(&[&grace])});
    let res = app.graph(&token, Method::PATCH, &path, Some(&body)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.text().await.unwrap().is_empty());
    let (_, read) = app.graph_json(&token, Method::GET, &path, None).await;
    assert_eq!(read["displayName"], "Renamed");
    assert_eq!(read["description"], Value::Null);
    assert_eq!(read["mailNickname"], "renamed");
    assert_eq!(members_of(&app, &group).await, std::slice::from_ref(&grace));
    let (got, answer) = app
        .graph_json(
            &token,
            Method::PATCH,
            &path,
            Some(&json!({"members@odata.bind": bind(&[&grace])})),
        )
        .await;
    assert_graph_error(got, &answer, StatusCode::BAD_REQUEST, "Request_BadRequest");
}

#[tokio::test]
async fn a_role_holder_is_out_of_the_applications_reach() {
    let app = spawn_app().await;
    let token = app
        .api_token(
            &app.api_client(&["GroupMember.ReadWrite.All", "Group.ReadWrite.All"])
                .await,
        )
        .await;
    let group = new_group(&app, "Partners", "").await;
    let holder = app
        .invited_user("inviter@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    app.grant_role(&holder, Role::GuestInviter).await;
    let other = app
        .invited_user("other@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::groups::add_member(&mut conn, &group, &other, app.clock.now())
        .await
        .unwrap();
    drop(conn);
    let held = new_group(&app, "Inviters", "").await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::groups::add_member(&mut conn, &held, &holder, app.clock.now())
        .await
        .unwrap();
    drop(conn);

    let before = app.snapshot().await;
    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            &format!("/v1.0/groups/{group}/members/$ref"),
            Some(&reference(&holder)),
        )
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let (status, body) = app
        .graph_json(
            &token,
            Method::DELETE,
            &format!("/v1.0/groups/{held}/members/{holder}/$ref"),
            None,
        )
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let create = json!({
        "displayName": "Mixed", "mailEnabled": false, "mailNickname": "mixed", "securityEnabled": true,
        "members@odata.bind": [
            format!("https://graph.microsoft.com/v1.0/users/{other}"),
            format!("https://graph.microsoft.com/v1.0/users/{holder}")
        ]
    });
    let (status, body) = app
        .graph_json(&token, Method::POST, "/v1.0/groups", Some(&create))
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing written, not even the group or its first member"
    );

    let reader = app
        .api_token(&app.api_client_with("Reader", &["Group.Read.All"], true).await)
        .await;
    let (status, body) = app
        .graph_json(
            &reader,
            Method::POST,
            &format!("/v1.0/groups/{group}/members/$ref"),
            Some(&reference(&other)),
        )
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let (status, body) = app
        .graph_json(&reader, Method::POST, "/v1.0/groups", Some(&security_group("x")))
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let (status, _) = app
        .graph_json(&reader, Method::GET, &format!("/v1.0/groups/{group}/members"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn groups_and_members_page_with_a_signed_skiptoken() {
    let app = spawn_app().await;
    let token = app.api_token(&app.api_client(&["Group.Read.All"]).await).await;
    let mut groups = Vec::new();
    for name in ["Echo", "alpha", "Delta", "Bravo", "charlie"] {
        groups.push(new_group(&app, name, "").await);
    }
    let mut names = Vec::new();
    let mut next = Some("/v1.0/groups?$top=2&$count=true".to_owned());
    let mut pages = 0;
    while let Some(link) = next {
        let path = link.strip_prefix(&app.address).unwrap_or(&link).to_owned();
        let (status, page) = app.graph_json(&token, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        if pages == 0 {
            assert_eq!(page["@odata.count"], 5);
        } else {
            assert!(
                page.get("@odata.count").is_none(),
                "the count is on the first page only"
            );
        }
        names.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["displayName"].as_str().unwrap().to_owned()),
        );
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(link.starts_with(&format!("{}/v1.0/groups?", app.address)), "{link}");
            assert!(link.contains("%24top=2") && link.contains("%24skiptoken="), "{link}");
        }
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["alpha", "Bravo", "charlie", "Delta", "Echo"]);

    let (_, first) = app.graph_json(&token, Method::GET, "/v1.0/groups?$top=2", None).await;
    let link = first["@odata.nextLink"].as_str().unwrap();
    let tampered = link.replace("skiptoken=", "skiptoken=x");
    let (status, body) = app
        .graph_json(&token, Method::GET, tampered.strip_prefix(&app.address).unwrap(), None)
        .await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let moved = format!(
        "{}&$filter=startswith(displayName,'a')",
        link.strip_prefix(&app.address).unwrap()
    );
    let (status, body) = app.graph_json(&token, Method::GET, &moved, None).await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");

    for query in [
        "$top=0",
        "$top=1000",
        "$filter=mail eq 'a'",
        "$filter=displayName eq 'a' or displayName eq 'b'",
        "$filter=displayName eq",
        "$select=nope",
        "$orderby=displayName",
        "$search=\"a\"",
    ] {
        let (status, body) = app
            .graph_json(&token, Method::GET, &format!("/v1.0/groups?{query}"), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
    }

    // Members page the same way.
    let group = &groups[0];
    let mut conn = app.db.pool().acquire().await.unwrap();
    for i in 0..5 {
        let user = app
            .invited_user(&format!("p{i}@fabrikam.test"), UserType::Guest, Invited::Pending)
            .await;
        vestibule::store::groups::add_member(&mut conn, group, &user, app.clock.now())
            .await
            .unwrap();
    }
    drop(conn);
    let (_, page) = app
        .graph_json(
            &token,
            Method::GET,
            &format!("/v1.0/groups/{group}/members?$top=3"),
            None,
        )
        .await;
    assert_eq!(page["value"].as_array().unwrap().len(), 3);
    let link = page["@odata.nextLink"].as_str().unwrap();
    let (_, rest) = app
        .graph_json(&token, Method::GET, link.strip_prefix(&app.address).unwrap(), None)
        .await;
    assert_eq!(rest["value"].as_array().unwrap().len(), 2);
    assert!(rest.get("@odata.nextLink").is_none());
    assert_eq!(rest["value"][1]["displayName"], "Invited p4@fabrikam.test");
}
