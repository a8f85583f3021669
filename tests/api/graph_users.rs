//! `GET /v1.0/users` over HTTP: Graph's exact JSON with and without
//! `$select`, the filters scripts use in both `$filter` and `%24filter`
//! spellings, paging by the absolute `@odata.nextLink` across three pages,
//! and refused query options and skip tokens. The fixtures here serve the
//! other `graph_user_*` tests too.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vestibule::domain::{DisplayName, Email, ExternalUserState, UserType};
use vestibule::store::users::NewUser;

use crate::common::graph::assert_graph_error;
use crate::common::{TestApp, spawn_app};

/// A user written straight into the directory.
pub(crate) struct Person<'a> {
    pub name: &'a str,
    pub mail: &'a str,
    /// A guest's invitation state; `None` for a member.
    pub guest: Option<ExternalUserState>,
    pub company: Option<&'a str>,
}

pub(crate) fn member<'a>(name: &'a str, mail: &'a str) -> Person<'a> {
    Person {
        name,
        mail,
        guest: None,
        company: None,
    }
}

pub(crate) fn guest<'a>(name: &'a str, mail: &'a str, state: ExternalUserState) -> Person<'a> {
    Person {
        name,
        mail,
        guest: Some(state),
        company: Some("Fabrikam"),
    }
}

/// Writes `p` (a guest gets a `#EXT#` user principal name) and returns its id.
pub(crate) async fn add(app: &TestApp, p: Person<'_>) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let name = DisplayName::parse(p.name).unwrap();
    let mail = Email::parse(p.mail).unwrap();
    let upn = match p.guest {
        Some(_) => format!("{}#EXT#@contoso.test", p.mail.replace('@', "_")),
        None => p.mail.to_owned(),
    };
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::users::insert(
        &mut conn,
        &NewUser {
            id: &id,
            display_name: &name,
            mail: Some(&mail),
            user_principal_name: &upn,
            user_type: if p.guest.is_some() {
                UserType::Guest
            } else {
                UserType::Member
            },
            creation_type: p.guest.map(|_| "Invitation"),
            external_user_state: p.guest,
            company_name: p.company,
            password_hash: None,
            must_change_password: false,
            invited_by: None,
            now: app.clock.now(),
        },
    )
    .await
    .unwrap();
    id
}

/// Graph's time format for a unix time.
pub(crate) fn graph_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A stored unix time (`sql` selects one BIGINT for the id `$1`), in
/// Graph's format: the test clock follows real time, so a test reads the
/// time a row was written rather than guessing it.
pub(crate) async fn stored_time(app: &TestApp, sql: &'static str, id: &str) -> String {
    let unix: i64 = sqlx::query_scalar(sql).bind(id).fetch_one(app.db.pool()).await.unwrap();
    graph_time(unix)
}

/// `key=value` with the value percent-encoded and the key as given, so a
/// test chooses between `$filter` and `%24filter`.
pub(crate) fn option(key: &str, value: &str) -> String {
    format!(
        "{key}={}",
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
    )
}

/// The display names in a collection answer.
fn names(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|u| u["displayName"].as_str().unwrap().to_owned())
        .collect()
}

/// Four users besides the configured Administrator.
pub(crate) async fn directory(app: &TestApp) -> Vec<String> {
    let ann = add(
        app,
        guest(
            "Ann Guest",
            "ann@fabrikam.example",
            ExternalUserState::PendingAcceptance,
        ),
    )
    .await;
    let alan = add(
        app,
        guest("Alan Guest", "alan@fabrikam.example", ExternalUserState::Accepted),
    )
    .await;
    let bob = add(app, member("Bob Member", "bob@contoso.test")).await;
    let carol = add(app, member("Carol Member", "carol@contoso.test")).await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::users::set_account_enabled(&mut conn, &bob, false)
        .await
        .unwrap();
    vec![ann, alan, bob, carol]
}

pub(crate) async fn reader(app: &TestApp) -> String {
    let client = app.api_client(&["User.Read.All"]).await;
    app.api_token(&client).await
}

#[tokio::test]
async fn users_come_with_graphs_default_properties_or_exactly_the_selected_ones() {
    let app = spawn_app().await;
    let ids = directory(&app).await;
    let token = reader(&app).await;
    let filter = option("$filter", "mail eq 'ann@fabrikam.example'");
    let (status, body) = app
        .graph_json(&token, Method::GET, &format!("/v1.0/users?{filter}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#users", app.address),
            "value": [{
                "businessPhones": [],
                "displayName": "Ann Guest",
                "givenName": null,
                "id": ids[0],
                "jobTitle": null,
                "mail": "ann@fabrikam.example",
                "mobilePhone": null,
                "officeLocation": null,
                "preferredLanguage": null,
                "surname": null,
                "userPrincipalName": "ann_fabrikam.example#EXT#@contoso.test",
            }]
        })
    );

    let select = "displayName,mail,userType,externalUserState,externalUserStateChangeDateTime,createdDateTime,\
                  companyName,accountEnabled,creationType,otherMails,identities";
    let path = format!("/v1.0/users?{filter}&{}", option("$select", select));
    let (status, body) = app.graph_json(&token, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created = stored_time(&app, "SELECT created_at FROM users WHERE id = $1", &ids[0]).await;
    let changed = stored_time(
        &app,
        "SELECT external_user_state_changed_at FROM users WHERE id = $1",
        &ids[0],
    )
    .await;
    assert_eq!(
        body,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#users({select})", app.address),
            "value": [{
                "displayName": "Ann Guest",
                "mail": "ann@fabrikam.example",
                "userType": "Guest",
                "externalUserState": "PendingAcceptance",
                "externalUserStateChangeDateTime": changed,
                "createdDateTime": created,
                "companyName": "Fabrikam",
                "accountEnabled": true,
                "creationType": "Invitation",
                "otherMails": [],
                "identities": [],
            }]
        })
    );

    // A member has no invitation state; a blocked one is not enabled.
    let path = format!(
        "/v1.0/users?{}&$select=id,userType,externalUserState,creationType,accountEnabled",
        option("$filter", "mail eq 'bob@contoso.test'")
    );
    let (_, body) = app.graph_json(&token, Method::GET, &path, None).await;
    assert_eq!(
        body["value"],
        json!([{"id": ids[2], "userType": "Member", "externalUserState": null, "creationType": null, "accountEnabled": false}])
    );
}

#[tokio::test]
async fn the_filters_scripts_use_work_in_both_spellings() {
    let app = spawn_app().await;
    directory(&app).await;
    let token = reader(&app).await;
    let cases: &[(&str, &[&str])] = &[
        ("userType eq 'Guest'", &["Alan Guest", "Ann Guest"]),
        (
            "startswith(displayName,'a')",
            &["Administrator", "Alan Guest", "Ann Guest"],
        ),
        ("mail eq 'ANN@fabrikam.example'", &["Ann Guest"]),
        ("externalUserState eq 'PendingAcceptance'", &["Ann Guest"]),
        ("accountEnabled eq false", &["Bob Member"]),
        (
            "mail in ('bob@contoso.test', 'carol@contoso.test')",
            &["Bob Member", "Carol Member"],
        ),
        (
            "userType eq 'Guest' and externalUserState eq 'Accepted'",
            &["Alan Guest"],
        ),
        (
            "startswith(displayName,'b') or startswith(displayName,'c')",
            &["Bob Member", "Carol Member"],
        ),
        (
            "companyName eq 'fabrikam' and not (mail eq 'ann@fabrikam.example')",
            &["Alan Guest"],
        ),
    ];
    for (filter, expected) in cases {
        for key in ["$filter", "%24filter", "filter"] {
            let path = format!("/v1.0/users?{}", option(key, filter));
            let (status, body) = app.graph_json(&token, Method::GET, &path, None).await;
            assert_eq!(status, StatusCode::OK, "{key} {filter}: {body}");
            assert_eq!(names(&body), *expected, "{key} {filter}");
        }
    }
    let path = format!(
        "/v1.0/users?{}&$orderby=displayName%20desc",
        option("$filter", "userType eq 'Member'")
    );
    let (_, body) = app.graph_json(&token, Method::GET, &path, None).await;
    assert_eq!(names(&body), ["Carol Member", "Bob Member", "Administrator"]);
}

#[tokio::test]
async fn pages_follow_the_next_link_verbatim_across_three_pages() {
    let app = spawn_app().await;
    for n in [5, 2, 7, 1, 4, 6, 3] {
        let name = format!("Pager {n}");
        let mail = format!("pager{n}@fabrikam.example");
        add(&app, guest(&name, &mail, ExternalUserState::Accepted)).await;
    }
    add(&app, member("Someone Else", "else@contoso.test")).await;
    let token = reader(&app).await;
    let first = format!(
        "/v1.0/users?{}&$select=id,displayName&$top=3&$count=true",
        option("$filter", "startswith(displayName,'pager')")
    );
    let res = app
        .client
        .get(app.url(&first))
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut page: Value = res.json().await.unwrap();
    assert_eq!(page["@odata.count"], 7, "{page}");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        for user in page["value"].as_array().unwrap() {
            let keys: BTreeSet<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                BTreeSet::from(["displayName", "id"]),
                "the $select is carried: {user}"
            );
            seen.push(user["displayName"].as_str().unwrap().to_owned());
        }
        let Some(next) = page["@odata.nextLink"].as_str().map(str::to_owned) else {
            break;
        };
        assert!(
            next.starts_with(&format!("{}/v1.0/users?", app.address)),
            "absolute: {next}"
        );
        for carried in [
            "%24filter=",
            "%24select=id%2CdisplayName",
            "%24top=3",
            "%24count=true",
            "%24skiptoken=",
        ] {
            assert!(next.contains(carried), "{carried} in {next}");
        }
        // As the SDKs do: the whole link, without the first page's headers.
        let res = crate::common::new_client()
            .get(&next)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        page = res.json().await.unwrap();
        assert!(
            page.get("@odata.count").is_none(),
            "the count is on the first page only: {page}"
        );
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (1..=7).map(|n| format!("Pager {n}")).collect();
    assert_eq!(seen, expected, "in order, none twice, none missing");
}

#[tokio::test]
async fn a_tampered_or_foreign_skip_token_is_refused() {
    let app = spawn_app().await;
    for n in 1..=3 {
        add(&app, member(&format!("Member {n}"), &format!("m{n}@contoso.test"))).await;
    }
    let token = reader(&app).await;
    let path = format!(
        "/v1.0/users?$top=1&{}",
        option("$filter", "startswith(displayName,'member')")
    );
    let (_, body) = app.graph_json(&token, Method::GET, &path, None).await;
    let next = body["@odata.nextLink"].as_str().unwrap().to_owned();
    let relative = next.trim_start_matches(&app.address).to_owned();
    let (status, _) = app.graph_json(&token, Method::GET, &relative, None).await;
    assert_eq!(status, StatusCode::OK);

    let skiptoken = relative.split("%24skiptoken=").nth(1).unwrap().to_owned();
    let mut altered = skiptoken.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
    let altered = String::from_utf8(altered).unwrap();
    let other_filter = format!(
        "/v1.0/users?$top=1&{}",
        option("$filter", "startswith(displayName,'m')")
    );
    for path in [
        relative.replace(&skiptoken, &altered),
        format!("{other_filter}&$skiptoken={skiptoken}"),
        format!("/v1.0/directory/deletedItems/microsoft.graph.user?$top=1&$skiptoken={skiptoken}"),
        "/v1.0/users?$skiptoken=garbage".to_owned(),
    ] {
        let (status, body) = app.graph_json(&token, Method::GET, &path, None).await;
        assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
}

#[tokio::test]
async fn bad_query_options_are_refused_with_graphs_codes() {
    let app = spawn_app().await;
    let token = reader(&app).await;
    let cases: &[(&str, &str)] = &[
        ("$top=0", "Request_UnsupportedQuery"),
        ("$top=1000", "Request_UnsupportedQuery"),
        ("$top=ten", "Request_BadRequest"),
        ("$filter=displayName%20eq", "Request_BadRequest"),
        ("$filter=startswith(displayName,", "Request_BadRequest"),
        ("$filter=endswith(mail,'a')", "Request_UnsupportedQuery"),
        ("$search=%22displayName:ann%22", "Request_UnsupportedQuery"),
        ("$expand=manager", "Request_UnsupportedQuery"),
        ("$select=department", "Request_BadRequest"),
        ("$orderby=createdDateTime", "Request_UnsupportedQuery"),
        ("$count=maybe", "Request_BadRequest"),
        ("$top=1&top=2", "Request_BadRequest"),
    ];
    for (query, code) in cases {
        let (status, body) = app
            .graph_json(&token, Method::GET, &format!("/v1.0/users?{query}"), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], *code, "{query}: {body}");
    }
    let (status, body) = app
        .graph_json(&token, Method::GET, "/v1.0/users/$count?$search=ann", None)
        .await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
}
