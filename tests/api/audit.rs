//! Audit logs: filters, paging by key, the query plans, who may read
//! them, and a guest's whole story read back in order. The CSV export is
//! in `audit_export`.

use reqwest::StatusCode;
use vestibule::store::audit::{self, AuditQuery, TargetFilter};

use crate::common::audit_seed::{DAY, GRACE, MAY_10, Seed, seed};
use crate::common::flows::accepted_guest;
use crate::common::flows::app_with_sink;
use crate::common::flows::docusign;
use crate::common::flows::{new_group, user_id};
use crate::common::{TestApp, assert_redirect_to, new_client, spawn_app};

/// The rows of an audit page, each as its cells' text.
fn rows(html: &str) -> Vec<Vec<String>> {
    html.split("data-testid=\"audit-row\"")
        .skip(1)
        .map(|row| {
            let row = &row[..row.find("</tr>").unwrap()];
            row.split("<td>")
                .skip(1)
                .map(|cell| cell[..cell.find("</td>").unwrap()].to_owned())
                .collect()
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&").replace("&#38;", "&")
}

async fn page_rows(app: &TestApp, query: &str) -> Vec<Vec<String>> {
    let res = app.get(&format!("/admin/audit?{query}")).await;
    assert_eq!(res.status(), 200, "{query}");
    rows(&res.text().await.unwrap())
}

const HENRY: &str = "0190a3f4-7c2b-7d4e-8f00-000000000002";
const GROUP: &str = "0190a3f4-7c2b-7d4e-8f00-000000000003";

#[tokio::test]
async fn the_filters_each_work_and_combine() {
    let app = spawn_app().await;
    seed(
        &app,
        &[
            (
                "Invite external user",
                "alice@contoso.test",
                Some(GRACE),
                "grace@fabrikam.example",
                MAY_10 + 3600,
            ),
            (
                "Invite external user",
                "bob@contoso.test",
                Some(HENRY),
                "henry@fabrikam.example",
                MAY_10 + DAY + 10,
            ),
            (
                "Add member to group",
                "Alice@Contoso.test",
                Some(GROUP),
                "Developer group",
                MAY_10 + 2 * DAY,
            ),
            (
                "Delete external user",
                "bob@contoso.test",
                Some(GRACE),
                "Grace@fabrikam.example",
                MAY_10 + 3 * DAY,
            ),
        ],
    )
    .await;
    app.sign_in_as_admin().await;
    let html = app.get_html("/admin/audit").await;
    for label in ["Activity", "Initiated by", "Target", "From", "To", "Export CSV"] {
        assert!(html.contains(label), "the page shows {label}");
    }
    assert!(html.contains("type=\"date\""));
    for a in ["Invite external user", "Add member to group", "Delete external user"] {
        assert!(
            html.contains(&format!("<option value=\"{a}\">{a}</option>")),
            "{a} is offered"
        );
    }
    assert_eq!(
        html.matches("<option value=\"Invite external user\"").count(),
        1,
        "once each"
    );

    let count = |q: &'static str| {
        let app = &app;
        async move { page_rows(app, q).await.len() }
    };
    assert_eq!(count("activity=Invite+external+user").await, 2);
    assert_eq!(count("actor=ALI").await, 2, "actor prefix, any case");
    assert_eq!(count("target=GRA").await, 2, "target name prefix, any case");
    assert_eq!(count("target=dev").await, 1);
    assert_eq!(
        count(concat!("target=", "0190a3f4-7c2b-7d4e-8f00-000000000001")).await,
        2,
        "exact id"
    );
    assert_eq!(
        count("target=0190a3f4-7c2b-7d4e-8f00-00000000000").await,
        0,
        "ids match exactly"
    );
    assert_eq!(count("from=2024-05-11&to=2024-05-12").await, 2, "both days included");
    assert_eq!(count("from=2024-05-10&to=2024-05-10").await, 1);
    assert_eq!(count("activity=Invite+external+user&actor=bob").await, 1);
    assert_eq!(count("actor=alice&from=2024-05-11").await, 1);
    assert_eq!(
        count("activity=Delete+external+user&target=0190a3f4-7c2b-7d4e-8f00-000000000001&to=2024-05-31").await,
        1
    );
    assert_eq!(count("activity=Add+member+to+group&actor=bob").await, 0);
    let html = app
        .get_html("/admin/audit?activity=Add+member+to+group&actor=bob")
        .await;
    assert!(html.contains("No activity matches."));

    let all = page_rows(&app, "to=2024-05-31").await;
    let dates: Vec<&str> = all.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        dates,
        [
            "2024-05-13 00:00 UTC",
            "2024-05-12 00:00 UTC",
            "2024-05-11 00:00 UTC",
            "2024-05-10 01:00 UTC"
        ],
        "newest first"
    );
    assert_eq!(
        all[3][1..],
        [
            "Invite external user",
            "UserManagement",
            "alice@contoso.test",
            "grace@fabrikam.example",
            "seeded, grace@fabrikam.example",
            "success"
        ]
    );
    // The Export CSV link carries the filters.
    let html = app
        .get_html("/admin/audit?activity=Invite+external+user&actor=bob")
        .await;
    let start = html.find("/admin/audit/export.csv?").unwrap();
    let export = unescape(&html[start..start + html[start..].find('"').unwrap()]);
    assert_eq!(
        export,
        "/admin/audit/export.csv?activity=Invite+external+user&actor=bob&target=&from=&to="
    );
}

#[tokio::test]
async fn bad_dates_are_refused_with_422_and_a_message_next_to_the_field() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let res = app.get("/admin/audit?from=2024-13-01&actor=bob").await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"from_error\">Enter a date as YYYY-MM-DD"), "{html}");
    assert!(
        html.contains("aria-invalid=\"true\"") && html.contains("value=\"bob\""),
        "the entered values stay"
    );
    assert!(!html.contains("Export CSV"));
    let res = app.get("/admin/audit?from=2024-05-02&to=2024-05-01").await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("id=\"to_error\">The To date is before the From date.")
    );
    assert_eq!(app.get("/admin/audit?to=2024-02-30").await.status(), 422);
    assert_eq!(app.get("/admin/audit/export.csv?from=yesterday").await.status(), 422);
    assert_eq!(
        app.get("/admin/audit?before_at=x&before_id=").await.status(),
        200,
        "a bad key is the first page"
    );
}

#[tokio::test]
async fn keyset_paging_returns_every_entry_exactly_once() {
    let app = spawn_app().await;
    // 250 entries, ten to a second: ties on the time are broken by the id.
    let names: Vec<String> = (0..250).map(|i| format!("paged-{i:03}")).collect();
    let seeds: Vec<Seed> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                "Update user",
                "admin@contoso.test",
                None,
                n.as_str(),
                MAY_10 + i as i64 / 10,
            )
        })
        .collect();
    seed(&app, &seeds).await;
    app.sign_in_as_admin().await;
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut next = Some("/admin/audit?target=PAGED-".to_owned());
    while let Some(href) = next.take() {
        assert!(!href.contains("offset"), "{href}");
        let html = app.get_html(&href).await;
        let page = rows(&html);
        sizes.push(page.len());
        seen.extend(page.into_iter().map(|r| r[4].clone()));
        next = html.find("rel=\"next\"").map(|at| {
            let start = html[..at].rfind("href=\"").unwrap() + 6;
            unescape(&html[start..start + html[start..].find('"').unwrap()])
        });
        if let Some(n) = &next {
            assert!(
                n.contains("target=PAGED-") && n.contains("before_at="),
                "the filters travel: {n}"
            );
        }
    }
    assert_eq!(sizes, [100, 100, 50]);
    let mut expected = names.clone();
    expected.reverse();
    assert_eq!(seen, expected, "every entry once, newest first");
}

#[tokio::test]
async fn the_filtered_lists_use_the_indexes() {
    let app = spawn_app().await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    let postgres = app.settings.is_postgres();
    async fn set(conn: &mut sqlx::AnyConnection, postgres: bool, setting: &str, on: bool) {
        if postgres {
            let value = if on { "on" } else { "off" };
            sqlx::query(sqlx::AssertSqlSafe(format!("SET {setting} = {value}")))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
    // An empty table makes any plan look cheap; ask whether an index can
    // serve each query at all.
    set(&mut conn, postgres, "enable_seqscan", false).await;
    set(&mut conn, postgres, "enable_bitmapscan", false).await;
    let key = Some((MAY_10, GRACE.to_owned()));
    let cases = [
        ("first page", AuditQuery::default(), "audit_log_time_idx"),
        (
            "next page",
            AuditQuery {
                before: key.clone(),
                ..Default::default()
            },
            "audit_log_time_idx",
        ),
        (
            "date range",
            AuditQuery {
                from: Some(MAY_10),
                until: Some(MAY_10 + DAY),
                before: key.clone(),
                ..Default::default()
            },
            "audit_log_time_idx",
        ),
        (
            "activity",
            AuditQuery {
                activity: Some("Invite external user".into()),
                before: key.clone(),
                ..Default::default()
            },
            "audit_log_activity_idx",
        ),
        (
            "target id",
            AuditQuery {
                target: Some(TargetFilter::Id(GRACE.into())),
                before: key.clone(),
                ..Default::default()
            },
            "audit_log_target_time_idx",
        ),
        (
            "actor prefix",
            AuditQuery {
                actor_prefix: Some("adm".into()),
                ..Default::default()
            },
            "audit_log_actor_idx",
        ),
        (
            "target prefix",
            AuditQuery {
                target: Some(TargetFilter::NamePrefix("gra".into())),
                ..Default::default()
            },
            "audit_log_target_name_idx",
        ),
    ];
    for (what, query, index) in cases {
        // A name prefix finds its entries in name order, so they are then
        // sorted by time (only the matches); every other filter walks its
        // index in time order and stops after one page.
        let in_time_order = !index.ends_with("actor_idx") && !index.ends_with("target_name_idx");
        set(&mut conn, postgres, "enable_sort", !in_time_order).await;
        let plan = audit::explain_list(&mut conn, &query, 101).await.unwrap();
        assert!(plan.contains(index), "{what} uses {index}: {plan}");
        if in_time_order {
            assert!(
                !plan.contains("TEMP B-TREE") && !plan.contains("Sort"),
                "{what} needs no sort: {plan}"
            );
        }
        assert!(
            !plan.contains("Seq Scan") && !plan.lines().any(|l| l.trim() == "SCAN audit_log"),
            "{what} never scans the table: {plan}"
        );
    }
}

#[tokio::test]
async fn only_global_and_user_administrators_read_the_audit_log() {
    let app = spawn_app().await;
    let someone = app.create_member("someone@contoso.test", "Some-passw0rd", "").await;
    for (i, (role, allowed)) in [
        ("global_administrator", true),
        ("user_administrator", true),
        ("helpdesk_administrator", false),
        ("guest_inviter", false),
        ("", false),
    ]
    .into_iter()
    .enumerate()
    {
        let email = format!("reader{i}@contoso.test");
        app.create_member(&email, "Reader-passw0rd", role).await;
        let client = new_client();
        assert_eq!(app.sign_in_with(&client, &email, "Reader-passw0rd").await.status(), 303);
        let want = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
        for path in ["/admin/audit", "/admin/audit?actor=a", "/admin/audit/export.csv"] {
            assert_eq!(app.get_with(&client, path).await.status(), want, "{path} as {role:?}");
        }
        if !role.is_empty() {
            let profile = app
                .get_with(&client, &format!("/admin/users/{someone}"))
                .await
                .text()
                .await
                .unwrap();
            assert_eq!(
                profile.contains(&format!("href=\"/admin/audit?target={someone}\"")),
                allowed,
                "the profile's Audit logs link as {role:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_guests_story_reads_back_from_the_audit_log_in_order() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    accepted_guest(&app, &sink, "grace@fabrikam.example").await;
    let g = user_id(&app, "grace@fabrikam.example").await;
    let group = new_group(&app, "Developer group", "Developers", None).await;
    let add = format!("/admin/groups/{group}/members/add");
    assert_redirect_to(
        &app.submit(&add, &add, &[("principal", &format!("User:{g}"))]).await,
        &format!("/admin/groups/{group}/members"),
    );
    let (docusign, _, sender) = docusign(&app).await;
    let picker = format!("/admin/apps/{docusign}/assignments/add?search=grace");
    let assign = format!("/admin/apps/{docusign}/assignments/add");
    assert_redirect_to(
        &app.submit(
            &picker,
            &assign,
            &[("principal", &format!("User:{g}")), ("app_role_id", &sender)],
        )
        .await,
        &format!("/admin/apps/{docusign}/assignments"),
    );
    let profile = app.get_html(&format!("/admin/users/{g}")).await;
    let link = format!("href=\"/admin/audit?target={g}\" data-testid=\"user-audit-logs\">Audit logs</a>");
    assert!(profile.contains(&link), "the profile links to the user's own audit log");
    let delete = format!("/admin/users/{g}/delete");
    assert_redirect_to(&app.submit(&delete, &delete, &[]).await, "/admin/users");

    let story = [
        "Add user",
        "Invite external user",
        "Redeem external user invite",
        "Add group",
        "Add member to group",
        "Add application",
        "Add app role assignment to user",
        "Delete external user",
    ];
    let mut all: Vec<Vec<String>> = page_rows(&app, "").await;
    all.reverse();
    let told: Vec<&str> = all
        .iter()
        .map(|r| r[1].as_str())
        .filter(|a| story.contains(a))
        .skip_while(|a| *a != "Invite external user")
        .collect();
    assert_eq!(told, story[1..], "the story, oldest first: {all:?}");
    let joined = all.iter().find(|r| r[1] == "Add member to group").unwrap();
    assert_eq!(joined[4], "Developer group");
    assert!(joined[5].contains("Grace Guest"), "{joined:?}");

    // The user's own tab: what was done to them, newest first.
    let own = format!("target={g}");
    let mine: Vec<String> = page_rows(&app, &own).await.into_iter().map(|r| r[1].clone()).collect();
    let expected = [
        "Delete external user",
        "Add app role assignment to user",
        "Redeem external user invite",
        "Invite external user",
        "Add user",
    ];
    assert_eq!(mine, expected);

    // A purge deletes the user's row; the audit lines stay as written.
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(&g)
        .execute(app.db.pool())
        .await
        .unwrap();
    let after = page_rows(&app, &own).await;
    assert_eq!(after.iter().map(|r| r[1].as_str()).collect::<Vec<_>>(), expected);
    assert!(after.iter().any(|r| r[4] == "grace@fabrikam.example"), "{after:?}");
}
