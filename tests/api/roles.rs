use reqwest::StatusCode;

use crate::common::{ADMIN_EMAIL, assert_redirect_to, new_client, spawn_app};

const ADMIN_PAGES: [&str; 7] = [
    "/admin/users",
    "/admin/groups",
    "/admin/apps",
    "/admin/audit",
    "/admin/settings",
    "/admin/roles",
    "/myapps",
];

/// Which of ADMIN_PAGES each role may open (SPEC §6).
fn expected(role: &str) -> [u16; 7] {
    match role {
        "global_administrator" => [200, 200, 200, 200, 200, 200, 200],
        "user_administrator" => [200, 200, 200, 200, 403, 403, 200],
        "helpdesk_administrator" => [200, 403, 403, 403, 403, 403, 200],
        "guest_inviter" => [200, 403, 403, 403, 403, 403, 200],
        "" => [403, 403, 403, 403, 403, 403, 200],
        other => panic!("unknown role {other}"),
    }
}

#[tokio::test]
async fn each_role_opens_its_sections_and_sees_only_them_in_the_navigation() {
    let app = spawn_app().await;
    for (i, role) in [
        "global_administrator",
        "user_administrator",
        "helpdesk_administrator",
        "guest_inviter",
        "",
    ]
    .into_iter()
    .enumerate()
    {
        let email = format!("person{i}@contoso.test");
        app.create_member(&email, "Person-passw0rd", role).await;
        let client = new_client();
        let res = app.sign_in_with(&client, &email, "Person-passw0rd").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let mut got = [0u16; 7];
        for (j, page) in ADMIN_PAGES.iter().enumerate() {
            let res = app.get_with(&client, page).await;
            got[j] = res.status().as_u16();
            if got[j] == 403 {
                assert!(res.text().await.unwrap().contains("Access denied"), "a styled 403 page");
            }
        }
        assert_eq!(got, expected(role), "pages for role {role:?}");
        // The navigation shows only what the role may open.
        let html = app.get_with(&client, "/myapps").await.text().await.unwrap();
        assert_eq!(
            html.contains("Roles and administrators"),
            role == "global_administrator"
        );
        assert_eq!(html.contains(">All users<"), !role.is_empty());
        // Posting to a role-only action is refused the same way.
        let res = app
            .submit_with(
                &client,
                "/myapps",
                "/admin/roles/add",
                &[("user", ADMIN_EMAIL), ("role", "global_administrator")],
            )
            .await;
        let want = if role == "global_administrator" { 422 } else { 403 };
        assert_eq!(res.status().as_u16(), want, "adding a role as {role:?}");
    }
}

#[tokio::test]
async fn members_without_a_role_land_on_my_apps() {
    let app = spawn_app().await;
    app.create_member("mia@contoso.test", "Mia-passw0rd!", "").await;
    app.sign_in("mia@contoso.test", "Mia-passw0rd!").await;
    assert_redirect_to(&app.get("/").await, "/myapps");
    let html = app.get_html("/myapps").await;
    assert!(html.contains("There are no apps to show"));
}

#[tokio::test]
async fn a_global_administrator_gives_and_takes_a_role_with_audit_entries() {
    let app = spawn_app().await;
    let id = app.create_member("gina@contoso.test", "Gina-passw0rd", "").await;
    app.sign_in_as_admin().await;
    let res = app
        .submit(
            "/admin/roles",
            "/admin/roles/add",
            &[("user", "GINA@contoso.test"), ("role", "guest_inviter")],
        )
        .await;
    assert_redirect_to(&res, "/admin/roles");
    let html = app.get_html("/admin/roles").await;
    assert!(html.contains("Guest Inviter was given to GINA@contoso.test."));
    assert!(html.contains("gina@contoso.test"));
    let gina = new_client();
    app.sign_in_with(&gina, "gina@contoso.test", "Gina-passw0rd").await;
    assert_eq!(app.get_with(&gina, "/admin/users").await.status(), 200);

    let res = app
        .submit(
            "/admin/roles",
            "/admin/roles/remove",
            &[("user_id", &id), ("role", "guest_inviter")],
        )
        .await;
    assert_redirect_to(&res, "/admin/roles");
    let added = app
        .count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Add member to role'")
        .await;
    let removed = app
        .count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Remove member from role'")
        .await;
    assert_eq!(
        (added, removed),
        (3, 1),
        "the first admin's, Gina's grant, and Gina's removal"
    );
    let audit = app.get_html("/admin/audit").await;
    assert!(audit.contains("Remove member from role") && audit.contains("Guest Inviter"));
}

#[tokio::test]
async fn bad_role_changes_are_refused_with_a_message_and_change_nothing() {
    let app = spawn_app().await;
    app.create_member("gina@contoso.test", "Gina-passw0rd", "guest_inviter")
        .await;
    app.sign_in_as_admin().await;
    let before = app.count("SELECT COUNT(*) FROM directory_role_assignments").await;
    let cases = [
        (
            vec![("user", "nobody@contoso.test"), ("role", "guest_inviter")],
            "No user signs in as nobody@contoso.test.",
        ),
        (
            vec![("user", "gina@contoso.test"), ("role", "root")],
            "Choose a role from the list.",
        ),
        (
            vec![("user", "gina@contoso.test"), ("role", "guest_inviter")],
            "already holds Guest Inviter",
        ),
        (vec![("user", ""), ("role", "guest_inviter")], "Enter the email"),
    ];
    for (fields, message) in cases {
        let res = app.submit("/admin/roles", "/admin/roles/add", &fields).await;
        assert_eq!(res.status(), 422, "{message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM directory_role_assignments").await,
        before
    );
}

#[tokio::test]
async fn the_last_global_administrator_cannot_be_removed() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let admin_id: String = sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = $1")
        .bind(ADMIN_EMAIL)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let res = app
        .submit(
            "/admin/roles",
            "/admin/roles/remove",
            &[("user_id", &admin_id), ("role", "global_administrator")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("The last Global Administrator cannot be removed")
    );
    assert_eq!(app.get("/admin/roles").await.status(), 200, "still an admin");

    // With a second Global Administrator, the first may step down.
    app.create_member("second@contoso.test", "Second-passw0rd", "global_administrator")
        .await;
    let res = app
        .submit(
            "/admin/roles",
            "/admin/roles/remove",
            &[("user_id", &admin_id), ("role", "global_administrator")],
        )
        .await;
    assert_redirect_to(&res, "/admin/roles");
    assert_eq!(
        app.get("/admin/roles").await.status(),
        303,
        "the session ended with the role"
    );
}
