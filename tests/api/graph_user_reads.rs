//! `GET /v1.0/users/$count`, `/users/{id}` (by object id or user
//! principal name) and `/users/{id}/memberOf` over HTTP: Graph's exact
//! JSON, a bare number as text, 404 for a user who is not there or is
//! deleted, and the permissions that open them.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::graph::assert_graph_error;
use crate::common::spawn_app;
use crate::graph_users::{directory, option, reader, stored_time};

#[tokio::test]
async fn the_count_segment_answers_a_bare_number() {
    let app = spawn_app().await;
    directory(&app).await;
    let token = reader(&app).await;
    for path in ["/v1.0/users/$count", "/v1.0/users/%24count"] {
        let res = app.graph(&token, Method::GET, path, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        assert_eq!(res.text().await.unwrap(), "5", "{path}");
    }
    let path = format!("/v1.0/users/$count?{}", option("$filter", "userType eq 'Guest'"));
    let res = app.graph(&token, Method::GET, &path, None).await;
    assert_eq!(res.text().await.unwrap(), "2");
}

#[tokio::test]
async fn a_user_is_read_by_object_id_or_user_principal_name() {
    let app = spawn_app().await;
    let ids = directory(&app).await;
    let token = reader(&app).await;
    let (status, by_id) = app
        .graph_json(&token, Method::GET, &format!("/v1.0/users/{}", ids[1]), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{by_id}");
    assert_eq!(
        by_id,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#users/$entity", app.address),
            "businessPhones": [],
            "displayName": "Alan Guest",
            "givenName": null,
            "id": ids[1],
            "jobTitle": null,
            "mail": "alan@fabrikam.example",
            "mobilePhone": null,
            "officeLocation": null,
            "preferredLanguage": null,
            "surname": null,
            "userPrincipalName": "alan_fabrikam.example#EXT#@contoso.test",
        })
    );
    for upn in [
        "alan_fabrikam.example%23EXT%23@contoso.test",
        "ALAN_fabrikam.example%23ext%23%40contoso.test",
    ] {
        let (status, by_upn) = app
            .graph_json(&token, Method::GET, &format!("/v1.0/users/{upn}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{upn}: {by_upn}");
        assert_eq!(by_upn, by_id, "{upn}");
    }
    let (_, selected) = app
        .graph_json(
            &token,
            Method::GET,
            &format!("/v1.0/users/{}?$select=id,userType", ids[1]),
            None,
        )
        .await;
    assert_eq!(
        selected,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#users(id,userType)/$entity", app.address),
            "id": ids[1],
            "userType": "Guest",
        })
    );
    app.soft_delete(&ids[0]).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for key in [
        ids[0].as_str(),
        unknown.as_str(),
        "nobody@contoso.test",
        "ann@fabrikam.example",
    ] {
        let (status, body) = app
            .graph_json(&token, Method::GET, &format!("/v1.0/users/{key}"), None)
            .await;
        assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    }
}

#[tokio::test]
async fn member_of_lists_the_users_groups_as_directory_objects() {
    let app = spawn_app().await;
    let ids = directory(&app).await;
    let admin = crate::common::system_admin();
    let form = |name: &str, kind: &str, rule: &str| vestibule::services::groups::GroupForm {
        display_name: name.into(),
        description: format!("About {name}"),
        membership_type: kind.into(),
        membership_rule: rule.into(),
    };
    let assigned = vestibule::services::groups::create_group(&app.state, &admin, &form("Partners", "Assigned", ""))
        .await
        .unwrap();
    let rule = "user.userType -eq \"Guest\"";
    let dynamic =
        vestibule::services::groups::create_group(&app.state, &admin, &form("All guests", "DynamicUser", rule))
            .await
            .unwrap();
    vestibule::services::groups::add_members(&app.state, &admin, &assigned, &[ids[0].clone()])
        .await
        .unwrap();
    let created_at = "SELECT created_at FROM groups WHERE id = $1";
    let (assigned_at, dynamic_at) = (
        stored_time(&app, created_at, &assigned).await,
        stored_time(&app, created_at, &dynamic).await,
    );
    for permission in ["User.Read.All", "User.ReadWrite.All", "Group.Read.All"] {
        let client = app.api_client(&[permission]).await;
        let token = app.api_token(&client).await;
        let path = format!("/v1.0/users/{}/memberOf?$count=true", ids[0]);
        let (status, body) = app.graph_json(&token, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{permission}: {body}");
        assert_eq!(
            body,
            json!({
                "@odata.context": format!("{}/v1.0/$metadata#directoryObjects", app.address),
                "@odata.count": 2,
                "value": [
                    {
                        "@odata.type": "#microsoft.graph.group", "id": dynamic, "deletedDateTime": null,
                        "createdDateTime": dynamic_at, "description": "About All guests", "displayName": "All guests",
                        "groupTypes": ["DynamicMembership"], "mail": null, "mailEnabled": false, "mailNickname": null,
                        "membershipRule": rule, "membershipRuleProcessingState": "On", "securityEnabled": true,
                        "visibility": null,
                    },
                    {
                        "@odata.type": "#microsoft.graph.group", "id": assigned, "deletedDateTime": null,
                        "createdDateTime": assigned_at, "description": "About Partners", "displayName": "Partners",
                        "groupTypes": [], "mail": null, "mailEnabled": false, "mailNickname": null,
                        "membershipRule": null, "membershipRuleProcessingState": null, "securityEnabled": true,
                        "visibility": null,
                    },
                ]
            }),
            "{permission}"
        );
    }
    let token = reader(&app).await;
    let (_, body) = app
        .graph_json(&token, Method::GET, &format!("/v1.0/users/{}/memberOf", ids[3]), None)
        .await;
    assert_eq!(body["value"], json!([]), "{body}");
    let (status, body) = app
        .graph_json(
            &token,
            Method::GET,
            &format!("/v1.0/users/{}/memberOf", uuid::Uuid::new_v4()),
            None,
        )
        .await;
    assert_graph_error(status, &body, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn reading_users_needs_user_read_all() {
    let app = spawn_app().await;
    let ids = directory(&app).await;
    let client = app.api_client(&["User.Invite.All", "Group.Read.All"]).await;
    let token = app.api_token(&client).await;
    for path in [
        "/v1.0/users".to_owned(),
        "/v1.0/users/$count".to_owned(),
        format!("/v1.0/users/{}", ids[0]),
        "/v1.0/directory/deletedItems/microsoft.graph.user".to_owned(),
    ] {
        let (status, body) = app.graph_json(&token, Method::GET, &path, None).await;
        assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    }
}
