//! Deleted users: the list with days left, Restore user, Delete
//! permanently, and the purge job.

use vestibule::domain::{DisplayName, Email, Role, UserType};
use vestibule::services::Admin;
use vestibule::services::purge::purge_expired;
use vestibule::store::audit::Actor;

use crate::common::flows::{new_group, user_id};
use crate::common::{TestApp, assert_redirect_to, attribute_after, new_client, spawn_app};

const DAY: i64 = 86_400;

async fn count_for(app: &TestApp, sql: &'static str, id: &str) -> i64 {
    sqlx::query_scalar(sql).bind(id).fetch_one(app.db.pool()).await.unwrap()
}

async fn is_deleted(app: &TestApp, id: &str) -> bool {
    count_for(
        app,
        "SELECT COUNT(*) FROM users WHERE id = $1 AND deleted_at IS NOT NULL",
        id,
    )
    .await
        == 1
}

/// Soft-deletes a user through Delete user, as the admin signed in on `app.client`.
async fn delete_user(app: &TestApp, id: &str) {
    let path = format!("/admin/users/{id}/delete");
    assert_redirect_to(&app.submit(&path, &path, &[]).await, "/admin/users");
}

/// Soft-deletes a user through the service, as a Global Administrator.
async fn delete_quietly(app: &TestApp, id: &str) {
    let admin = Admin {
        actor: Actor::system("test"),
        id: "",
        roles: &[Role::GlobalAdministrator],
    };
    vestibule::services::users::delete_user(&app.state, &admin, id)
        .await
        .unwrap();
}

fn days_left(html: &str) -> Vec<String> {
    html.split("data-testid=\"days-left\">")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect()
}

fn row_names(html: &str) -> Vec<String> {
    html.split("data-testid=\"deleted-user-row\">")
        .skip(1)
        .map(|s| {
            let start = s.find("<td>").unwrap() + 4;
            s[start..].split('<').next().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn deleted_users_shows_the_deleted_user_with_the_days_left() {
    let app = spawn_app().await;
    app.create_member("dora@contoso.test", "Dora-passw0rd!", "").await;
    let dora = user_id(&app, "dora@contoso.test").await;
    app.sign_in_as_admin().await;
    let all_users = app.get_html("/admin/users").await;
    assert!(all_users.contains("href=\"/admin/users/deleted\" data-testid=\"deleted-users\">Deleted users<"));
    let html = app.get_html("/admin/users/deleted").await;
    assert!(html.contains("<h1>Deleted users</h1>") && html.contains("No deleted users."));
    delete_user(&app, &dora).await;
    let html = app.get_html("/admin/users/deleted").await;
    assert_eq!(row_names(&html), ["Test Member"]);
    assert!(html.contains("dora@contoso.test") && html.contains("<td>Member</td>"));
    assert_eq!(days_left(&html), ["30"]);
    assert!(html.contains(&format!(
        "/admin/users/deleted/{dora}/restore\" data-testid=\"restore-user\">Restore user<"
    )));
    assert!(html.contains(&format!(
        "/admin/users/deleted/{dora}/delete\" data-testid=\"delete-permanently\">Delete permanently<"
    )));
    // The deleted user is gone from All users.
    assert!(!app.get_html("/admin/users").await.contains("dora@contoso.test"));

    // Ten days later (a new sign-in: the session has long been idle).
    app.clock.advance(10 * DAY);
    app.sign_in_as_admin().await;
    let html = app.get_html("/admin/users/deleted").await;
    assert_eq!(days_left(&html), ["20"]);
    // Search by name or email prefix, any case.
    assert_eq!(
        row_names(&app.get_html("/admin/users/deleted?search=DORA@").await).len(),
        1
    );
    assert_eq!(
        row_names(&app.get_html("/admin/users/deleted?search=test%20mem").await).len(),
        1
    );
    let none = app.get_html("/admin/users/deleted?search=zed").await;
    assert!(row_names(&none).is_empty() && none.contains("No deleted users match."));
}

#[tokio::test]
async fn deleted_users_is_newest_first_and_paged_by_key() {
    let app = spawn_app().await;
    // 205 deleted users, most of them deleted in the same second, so the id
    // breaks ties across page boundaries.
    let base = app.clock.now() - 3600;
    let mut tx = app.db.begin().await.unwrap();
    for i in 0..205 {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        let name = DisplayName::parse(&format!("Gone {i:03}")).unwrap();
        let mail = Email::parse(&format!("gone{i:03}@contoso.test")).unwrap();
        vestibule::store::users::insert(
            &mut tx,
            &vestibule::store::users::NewUser {
                id: &id,
                display_name: &name,
                mail: Some(&mail),
                user_principal_name: mail.as_str(),
                user_type: UserType::Member,
                creation_type: None,
                external_user_state: None,
                company_name: None,
                password_hash: None,
                must_change_password: false,
                invited_by: None,
                now: base,
            },
        )
        .await
        .unwrap();
        let deleted_at = if i < 5 { base + i } else { base + 10 };
        vestibule::store::users::soft_delete(&mut tx, &id, deleted_at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    app.sign_in_as_admin().await;
    let mut seen = Vec::new();
    let mut page = app.get_html("/admin/users/deleted").await;
    let mut pages = 1;
    loop {
        let names = row_names(&page);
        assert!(names.len() <= 100);
        seen.extend(names);
        let Some(next) = attribute_after(&page, "<a href=\"/admin/users/deleted?search=&#38;after_time=") else {
            break;
        };
        let href = format!("/admin/users/deleted?search=&after_time={}", next.replace("&#38;", "&"));
        page = app.get_html(&href).await;
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 205, "every deleted user once");
    // Newest deletion first; within one second, by id descending.
    let mut expected: Vec<String> = (5..205).rev().map(|i| format!("Gone {i:03}")).collect();
    expected.extend((0..5).rev().map(|i| format!("Gone {i:03}")));
    assert_eq!(seen, expected);
    assert_eq!(
        row_names(&app.get_html("/admin/users/deleted?search=gone00").await).len(),
        10
    );
}

#[tokio::test]
async fn restore_brings_back_groups_dynamic_groups_and_app_assignments() {
    let app = spawn_app().await;
    app.create_member("rita@contoso.test", "Rita-passw0rd!", "").await;
    let rita = user_id(&app, "rita@contoso.test").await;
    let rita_client = new_client();
    app.sign_in_with(&rita_client, "rita@contoso.test", "Rita-passw0rd!")
        .await;
    app.sign_in_as_admin().await;
    let team = new_group(&app, "Team", "", None).await;
    let add = format!("/admin/groups/{team}/members/add");
    app.submit(&add, &add, &[("principal", &format!("User:{rita}"))]).await;
    let members = new_group(&app, "Members", "", Some("user.userType -eq \"Member\"")).await;
    let docusign = vestibule::services::applications::create_from_gallery(
        &app.state,
        &crate::common::system_admin(),
        "docusign",
        "DocuSign",
    )
    .await
    .unwrap();
    let sender: String =
        sqlx::query_scalar("SELECT id FROM app_roles WHERE app_id = $1 AND display_name = 'DocuSign Sender'")
            .bind(&docusign.id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    let assign = format!("/admin/apps/{}/assignments/add", docusign.id);
    let res = app
        .submit(
            &assign,
            &assign,
            &[("principal", &format!("User:{rita}")), ("app_role_id", &sender)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let memberships = "SELECT COUNT(*) FROM group_members WHERE user_id = $1";
    let assignments = "SELECT COUNT(*) FROM app_role_assignments WHERE principal_type = 'User' AND principal_id = $1";
    assert_eq!(count_for(&app, memberships, &rita).await, 2);

    delete_user(&app, &rita).await;
    // A dynamic group made while Rita is deleted does not count her.
    let all_members = new_group(&app, "All members", "", Some("user.userType -eq \"Member\"")).await;
    let in_group = |group: String| {
        let app = &app;
        let rita = rita.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND user_id = $2")
                .bind(group)
                .bind(rita)
                .fetch_one(app.db.pool())
                .await
                .unwrap()
        }
    };
    assert_eq!(in_group(all_members.clone()).await, 0);

    let confirm = format!("/admin/users/deleted/{rita}/restore");
    let page = app.get_html(&confirm).await;
    assert!(page.contains("<h1>Restore user</h1>") && page.contains("rita@contoso.test"));
    let res = app.submit(&confirm, &confirm, &[]).await;
    assert_redirect_to(&res, "/admin/users/deleted");
    let list = app.get_html("/admin/users/deleted").await;
    assert!(list.contains("Test Member was restored.") && row_names(&list).is_empty());
    assert!(!is_deleted(&app, &rita).await);
    assert_eq!(app.get(&format!("/admin/users/{rita}")).await.status(), 200);
    for group in [team, members, all_members] {
        assert_eq!(in_group(group).await, 1, "assigned and dynamic memberships");
    }
    assert_eq!(count_for(&app, assignments, &rita).await, 1);
    let profile = app.get_html(&format!("/admin/users/{rita}")).await;
    assert!(profile.contains("DocuSign Sender"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Restore user'")
            .await,
        1
    );
    // Sessions from before the delete stay ended; a new sign-in works.
    assert_eq!(app.get_with(&rita_client, "/myapps").await.status(), 303);
    let res = app
        .sign_in_with(&new_client(), "rita@contoso.test", "Rita-passw0rd!")
        .await;
    assert_eq!(res.status(), 303);
    // A live user is not in Deleted users: nothing to restore.
    assert_eq!(app.get(&confirm).await.status(), 404);
}

#[tokio::test]
async fn restore_is_refused_when_another_live_user_has_the_address() {
    let app = spawn_app().await;
    app.create_member("sam@contoso.test", "Sam-passw0rd!", "").await;
    let sam = user_id(&app, "sam@contoso.test").await;
    app.sign_in_as_admin().await;
    delete_user(&app, &sam).await;
    // The unique indexes keep one address per row, deleted rows included;
    // a live user whose *principal name* is Sam's mail can still appear
    // (here written straight to the store).
    sqlx::query("UPDATE users SET user_principal_name = 'sam.old@contoso.test', upn_lower = 'sam.old@contoso.test' WHERE id = $1")
        .bind(&sam)
        .execute(app.db.pool())
        .await
        .unwrap();
    let name = DisplayName::parse("Samantha").unwrap();
    let mut tx = app.db.begin().await.unwrap();
    vestibule::store::users::insert(
        &mut tx,
        &vestibule::store::users::NewUser {
            id: "11111111-1111-4111-8111-111111111111",
            display_name: &name,
            mail: None,
            user_principal_name: "SAM@contoso.test",
            user_type: UserType::Member,
            creation_type: None,
            external_user_state: None,
            company_name: None,
            password_hash: None,
            must_change_password: false,
            invited_by: None,
            now: app.clock.now(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let confirm = format!("/admin/users/deleted/{sam}/restore");
    let res = app.submit(&confirm, &confirm, &[]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Test Member cannot be restored: another user now has the address sam@contoso.test."),
        "{html}"
    );
    assert!(is_deleted(&app, &sam).await, "nothing changed");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Restore user'")
            .await,
        0
    );
}

#[tokio::test]
async fn restoring_or_deleting_a_purged_user_finds_nothing() {
    let app = spawn_app().await;
    app.create_member("pia@contoso.test", "Pia-passw0rd!", "").await;
    let pia = user_id(&app, "pia@contoso.test").await;
    app.sign_in_as_admin().await;
    delete_user(&app, &pia).await;
    let confirm = format!("/admin/users/deleted/{pia}/restore");
    assert_eq!(app.get(&confirm).await.status(), 200);
    // Purged while the page was open.
    app.clock.advance(31 * DAY);
    assert_eq!(purge_expired(&app.state).await.unwrap(), 1);
    app.sign_in_as_admin().await;
    let res = app.submit("/admin/users/deleted", &confirm, &[]).await;
    assert_eq!(res.status(), 404, "a purged user cannot be restored");
    assert_eq!(app.get(&confirm).await.status(), 404);
    let delete = format!("/admin/users/deleted/{pia}/delete");
    assert_eq!(app.get(&delete).await.status(), 404);
    let res = app.submit("/admin/users/deleted", &delete, &[]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        count_for(&app, "SELECT COUNT(*) FROM users WHERE id = $1", &pia).await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity IN ('Restore user', 'Hard delete user')")
            .await,
        1,
        "the purge's line only"
    );
}

#[tokio::test]
async fn delete_permanently_removes_the_rows_and_keeps_the_audit_lines() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let res = crate::common::flows::invite(
        &app,
        &app.client,
        &[("email", "gail@fabrikam.example"), ("display_name", "Gail Guest")],
    )
    .await;
    assert_redirect_to(&res, "/admin/users");
    let gail = user_id(&app, "gail@fabrikam.example").await;
    let team = new_group(&app, "Team", "", None).await;
    let add = format!("/admin/groups/{team}/members/add");
    app.submit(&add, &add, &[("principal", &format!("User:{gail}"))]).await;
    let (slack, role) = crate::common::gallery_app(&app, "slack", "Slack").await;
    let assign = format!("/admin/apps/{}/assignments/add", slack.id);
    let res = app
        .submit(
            &assign,
            &assign,
            &[("principal", &format!("User:{gail}")), ("app_role_id", &role)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let outbox = "SELECT COUNT(*) FROM outbox WHERE user_id = $1";
    assert!(count_for(&app, outbox, &gail).await >= 1);
    let mail_before = app.count("SELECT COUNT(*) FROM outbox").await;

    // A live user cannot be deleted permanently.
    let delete = format!("/admin/users/deleted/{gail}/delete");
    assert_eq!(app.get(&delete).await.status(), 404);
    assert_eq!(app.submit("/admin/users/deleted", &delete, &[]).await.status(), 404);

    delete_user(&app, &gail).await;
    let page = app.get_html(&delete).await;
    assert!(page.contains("<h1>Delete permanently</h1>") && page.contains("cannot be undone"));
    let res = app.submit(&delete, &delete, &[]).await;
    assert_redirect_to(&res, "/admin/users/deleted");
    assert!(
        app.get_html("/admin/users/deleted")
            .await
            .contains("Gail Guest was deleted permanently.")
    );
    for sql in [
        "SELECT COUNT(*) FROM users WHERE id = $1",
        "SELECT COUNT(*) FROM group_members WHERE user_id = $1",
        "SELECT COUNT(*) FROM app_role_assignments WHERE principal_id = $1",
        "SELECT COUNT(*) FROM invitations WHERE user_id = $1",
        "SELECT COUNT(*) FROM one_time_codes WHERE user_id = $1",
        "SELECT COUNT(*) FROM consents WHERE user_id = $1",
        "SELECT COUNT(*) FROM directory_role_assignments WHERE user_id = $1",
        "SELECT COUNT(*) FROM outbox WHERE user_id = $1",
    ] {
        assert_eq!(count_for(&app, sql, &gail).await, 0, "{sql}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox").await,
        mail_before,
        "mail history stays"
    );
    // The audit log keeps every line about Gail, the hard delete naming her.
    let (actor, details): (String, String) = sqlx::query_as(
        "SELECT actor_name, details FROM audit_log WHERE activity = 'Hard delete user' AND target_id = $1",
    )
    .bind(&gail)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(actor, crate::common::ADMIN_EMAIL);
    assert!(details.contains("displayName=Gail Guest") && details.contains("mail=gail@fabrikam.example"));
    let lines = count_for(&app, "SELECT COUNT(*) FROM audit_log WHERE target_id = $1", &gail).await;
    assert!(lines >= 4, "invite, group, app, delete, hard delete: {lines}");
    // The address is free again.
    let res = crate::common::flows::invite(&app, &app.client, &[("email", "gail@fabrikam.example")]).await;
    assert_redirect_to(&res, "/admin/users");
}

#[tokio::test]
async fn the_purge_deletes_users_after_the_retention_and_not_before() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for name in ["old1", "old2"] {
        let email = format!("{name}@contoso.test");
        ids.push(app.create_member(&email, "Old-passw0rd!", "").await);
    }
    let later = app.create_member("later@contoso.test", "Later-passw0rd!", "").await;
    for id in &ids {
        delete_quietly(&app, id).await;
    }
    app.clock.advance(10 * DAY);
    delete_quietly(&app, &later).await;
    app.clock.advance(20 * DAY - 120);
    assert_eq!(purge_expired(&app.state).await.unwrap(), 0, "not before 30 days");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL")
            .await,
        3
    );
    app.clock.advance(240);
    assert_eq!(purge_expired(&app.state).await.unwrap(), 2);
    for id in &ids {
        assert_eq!(count_for(&app, "SELECT COUNT(*) FROM users WHERE id = $1", id).await, 0);
    }
    assert!(
        is_deleted(&app, &later).await,
        "deleted ten days later: twenty days left"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE activity = 'Hard delete user' AND actor_name = 'Vestibule purge'"
        )
        .await,
        2
    );
    assert_eq!(purge_expired(&app.state).await.unwrap(), 0, "nothing twice");
    app.clock.advance(10 * DAY);
    assert_eq!(purge_expired(&app.state).await.unwrap(), 1);
    // Live users are never purged.
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn the_retention_is_a_setting() {
    let app = crate::common::spawn_app_with(|s| s.purge_after_days = 7).await;
    let id = app.create_member("week@contoso.test", "Week-passw0rd!", "").await;
    delete_quietly(&app, &id).await;
    app.sign_in_as_admin().await;
    assert_eq!(days_left(&app.get_html("/admin/users/deleted").await), ["7"]);
    app.clock.advance(7 * DAY + 60);
    assert_eq!(purge_expired(&app.state).await.unwrap(), 1);
}

#[tokio::test]
async fn two_purges_at_once_delete_each_user_once() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let id = app
            .create_member(&format!("p{i}@contoso.test"), "Purge-passw0rd!", "")
            .await;
        delete_quietly(&app, &id).await;
        ids.push(id);
    }
    app.clock.advance(31 * DAY);
    let (a, b) = tokio::join!(purge_expired(&app.state), purge_expired(&app.state));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 8, "each user purged by exactly one of them ({a} + {b})");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL")
            .await,
        0
    );
    for id in &ids {
        let lines = count_for(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE activity = 'Hard delete user' AND target_id = $1",
            id,
        )
        .await;
        assert_eq!(lines, 1, "one audit line per user");
    }
}

#[tokio::test]
async fn a_user_administrator_cannot_restore_or_delete_a_global_administrator() {
    let app = spawn_app().await;
    let ga = app
        .create_member("ga2@contoso.test", "Global-passw0rd", "global_administrator")
        .await;
    let plain = app.create_member("plain@contoso.test", "Plain-passw0rd", "").await;
    app.create_member("ua@contoso.test", "UserAdmin-passw0rd", "user_administrator")
        .await;
    delete_quietly(&app, &ga).await;
    delete_quietly(&app, &plain).await;
    app.sign_in("ua@contoso.test", "UserAdmin-passw0rd").await;
    let list = app.get_html("/admin/users/deleted").await;
    assert_eq!(row_names(&list).len(), 2);
    for action in ["restore", "delete"] {
        let path = format!("/admin/users/deleted/{ga}/{action}");
        assert_eq!(app.get(&path).await.status(), 403, "{action} page");
        assert_eq!(
            app.submit("/admin/users/deleted", &path, &[]).await.status(),
            403,
            "{action}"
        );
    }
    assert!(is_deleted(&app, &ga).await, "nothing changed");
    // Other users are theirs to restore.
    let restore = format!("/admin/users/deleted/{plain}/restore");
    assert_redirect_to(&app.submit(&restore, &restore, &[]).await, "/admin/users/deleted");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity IN ('Restore user', 'Hard delete user')")
            .await,
        1
    );
}

#[tokio::test]
async fn other_roles_get_403_and_a_missing_csrf_token_changes_nothing() {
    let app = spawn_app().await;
    let gone = app.create_member("gone@contoso.test", "Gone-passw0rd!", "").await;
    delete_quietly(&app, &gone).await;
    app.create_member("hd@contoso.test", "Helpdesk-passw0rd", "helpdesk_administrator")
        .await;
    app.create_member("gi@contoso.test", "Inviter-passw0rd", "guest_inviter")
        .await;
    for (email, password) in [
        ("hd@contoso.test", "Helpdesk-passw0rd"),
        ("gi@contoso.test", "Inviter-passw0rd"),
    ] {
        let client = new_client();
        app.sign_in_with(&client, email, password).await;
        let all_users = app.get_with(&client, "/admin/users").await;
        assert_eq!(all_users.status(), 200);
        assert!(!all_users.text().await.unwrap().contains("Deleted users"), "{email}");
        assert_eq!(
            app.get_with(&client, "/admin/users/deleted").await.status(),
            403,
            "{email}"
        );
        for action in ["restore", "delete"] {
            let path = format!("/admin/users/deleted/{gone}/{action}");
            assert_eq!(app.get_with(&client, &path).await.status(), 403, "{email} {action}");
            let res = app.submit_with(&client, "/admin/users", &path, &[]).await;
            assert_eq!(res.status(), 403, "{email} {action}");
        }
    }
    // The admin without a CSRF token.
    app.sign_in_as_admin().await;
    for action in ["restore", "delete"] {
        let path = format!("/admin/users/deleted/{gone}/{action}");
        assert_eq!(app.post_raw(&app.client, &path, &[]).await.status(), 403);
        let res = app.post_raw(&app.client, &path, &[("csrf_token", "forged")]).await;
        assert_eq!(res.status(), 403);
    }
    assert!(is_deleted(&app, &gone).await);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity IN ('Restore user', 'Hard delete user')")
            .await,
        0
    );
}

#[tokio::test]
async fn a_restored_guests_pending_invitation_link_works_again() {
    let (app, sink) = crate::common::flows::app_with_sink().await;
    app.sign_in_as_admin().await;
    let res = crate::common::flows::invite(&app, &app.client, &[("email", "pat@fabrikam.example")]).await;
    assert_redirect_to(&res, "/admin/users");
    let mail = sink.wait_for(1, std::time::Duration::from_secs(10)).await;
    let text = mail.last().unwrap().text().unwrap();
    let start = text.find("ticket=").unwrap() + "ticket=".len();
    let ticket: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let link = format!("/redeem?ticket={ticket}");
    assert_eq!(app.get_with(&new_client(), &link).await.status(), 200);
    let pat = user_id(&app, "pat@fabrikam.example").await;
    delete_user(&app, &pat).await;
    assert_eq!(
        app.get_with(&new_client(), &link).await.status(),
        410,
        "void while deleted"
    );
    let restore = format!("/admin/users/deleted/{pat}/restore");
    assert_redirect_to(&app.submit(&restore, &restore, &[]).await, "/admin/users/deleted");
    assert_eq!(
        app.get_with(&new_client(), &link).await.status(),
        200,
        "pending: works again"
    );
    assert!(app.get_html("/admin/users").await.contains("Pending acceptance"));
}
