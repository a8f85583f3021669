//! All groups: New group, members, dynamic membership rules.

use crate::common::flows::{new_group, user_id};
use crate::common::{TestApp, assert_redirect_to, new_client, spawn_app};

async fn member_count(app: &TestApp, group_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE group_id = $1")
        .bind(group_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_creates_a_group_and_adds_and_removes_members() {
    let app = spawn_app().await;
    app.create_member("dev@contoso.test", "Dev-passw0rd!", "").await;
    let dev = user_id(&app, "dev@contoso.test").await;
    app.sign_in_as_admin().await;
    let id = new_group(&app, "Developer group", "People who build things", None).await;
    let page = app.get_html(&format!("/admin/groups/{id}")).await;
    assert!(page.contains("Developer group") && page.contains("People who build things") && page.contains("Assigned"));

    let picker = app
        .get_html(&format!("/admin/groups/{id}/members/add?search=test"))
        .await;
    assert!(
        picker.contains("Test Member (dev@contoso.test, Member)"),
        "the picker finds the user"
    );
    let add = format!("/admin/groups/{id}/members/add");
    let res = app.submit(&add, &add, &[("principal", &format!("User:{dev}"))]).await;
    assert_redirect_to(&res, &format!("/admin/groups/{id}/members"));
    let members = app.get_html(&format!("/admin/groups/{id}/members")).await;
    assert!(members.contains("1 member was added.") && members.contains("dev@contoso.test"));
    let list = app.get_html("/admin/groups").await;
    let row = list
        .split("data-testid=\"group-row\"")
        .find(|r| r.contains("Developer group"))
        .unwrap();
    assert!(row.contains("<td>1</td>"), "the member count: {row}");
    let profile = app.get_html(&format!("/admin/users/{dev}")).await;
    assert!(profile.contains("Developer group"), "the profile lists the group");

    let res = app
        .submit(
            &format!("/admin/groups/{id}/members"),
            &format!("/admin/groups/{id}/members/remove"),
            &[("user_id", &dev)],
        )
        .await;
    assert_redirect_to(&res, &format!("/admin/groups/{id}/members"));
    assert_eq!(member_count(&app, &id).await, 0);
    for activity in ["Add group", "Add member to group", "Remove member from group"] {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE activity = $1")
            .bind(activity)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(n, 1, "{activity}");
    }
}

#[tokio::test]
async fn bad_groups_are_refused_with_422_and_nothing_is_saved() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let long = "g".repeat(257);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("display_name", ""), ("membership_type", "Assigned")],
            "Enter a group name.",
        ),
        (
            vec![("display_name", &long), ("membership_type", "Assigned")],
            "at most 256",
        ),
        (
            vec![("display_name", "X"), ("membership_type", "Secret")],
            "Choose Assigned or Dynamic User.",
        ),
        (
            vec![
                ("display_name", "X"),
                ("membership_type", "DynamicUser"),
                ("membership_rule", "user.userType -equals \"Guest\""),
            ],
            "at character 15",
        ),
        (
            vec![
                ("display_name", "X"),
                ("membership_type", "DynamicUser"),
                ("membership_rule", "user.shoeSize -eq \"9\""),
            ],
            "The rule is not valid",
        ),
        (
            vec![
                ("display_name", "X"),
                ("membership_type", "DynamicUser"),
                ("membership_rule", ""),
            ],
            "The rule is not valid",
        ),
    ];
    for (fields, message) in cases {
        let res = app.submit("/admin/groups/new", "/admin/groups/new", &fields).await;
        assert_eq!(res.status(), 422, "{message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM groups").await, 0);
    // Names may repeat, as in Entra; the description tells them apart.
    new_group(&app, "Sales", "Europe", None).await;
    new_group(&app, "Sales", "Americas", None).await;
    let list = app.get_html("/admin/groups").await;
    assert!(list.contains("Europe") && list.contains("Americas"));
}

#[tokio::test]
async fn a_dynamic_group_follows_its_rule_as_users_change() {
    let app = spawn_app().await;
    app.create_member("m1@contoso.test", "Member-passw0rd", "").await;
    app.sign_in_as_admin().await;
    // Validate rule shows who would match, saving nothing.
    let res = app
        .submit(
            "/admin/groups/new",
            "/admin/groups/new/validate",
            &[
                ("display_name", "Members"),
                ("membership_type", "DynamicUser"),
                ("membership_rule", "user.userType -eq \"Member\""),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("2 existing users match this rule"), "{html}");
    assert!(html.contains("Administrator (admin@contoso.test)"));
    assert_eq!(app.count("SELECT COUNT(*) FROM groups").await, 0);

    let guests = new_group(
        &app,
        "All guests",
        "",
        Some("user.userType -eq \"Guest\" -and user.accountEnabled -eq true"),
    )
    .await;
    assert_eq!(member_count(&app, &guests).await, 0);
    // A new guest joins at once.
    let res = crate::common::flows::invite(&app, &app.client, &[("email", "g1@fabrikam.example")]).await;
    assert_redirect_to(&res, "/admin/users");
    assert_eq!(member_count(&app, &guests).await, 1);
    let g1 = user_id(&app, "g1@fabrikam.example").await;
    // Becoming a member takes them out; blocking keeps them out.
    let edit = format!("/admin/users/{g1}/edit");
    app.submit(
        &edit,
        &edit,
        &[("display_name", "G1"), ("company_name", ""), ("user_type", "Member")],
    )
    .await;
    assert_eq!(member_count(&app, &guests).await, 0);
    app.submit(
        &edit,
        &edit,
        &[("display_name", "G1"), ("company_name", ""), ("user_type", "Guest")],
    )
    .await;
    assert_eq!(member_count(&app, &guests).await, 1);
    app.submit(
        &edit,
        &edit,
        &[
            ("display_name", "G1"),
            ("company_name", ""),
            ("user_type", "Guest"),
            ("block_sign_in", "on"),
        ],
    )
    .await;
    assert_eq!(
        member_count(&app, &guests).await,
        0,
        "accountEnabled -eq true no longer holds"
    );

    // A rule change recomputes the members.
    let res = app
        .submit(
            &format!("/admin/groups/{guests}/edit"),
            &format!("/admin/groups/{guests}/edit"),
            &[
                ("display_name", "All guests"),
                ("description", ""),
                ("membership_rule", "user.userType -eq \"Guest\""),
            ],
        )
        .await;
    assert_redirect_to(&res, &format!("/admin/groups/{guests}"));
    assert_eq!(member_count(&app, &guests).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Update group'")
            .await,
        1
    );

    // Members of a dynamic group cannot be added or removed by hand.
    let add = format!("/admin/groups/{guests}/members/add");
    assert_eq!(app.get(&add).await.status(), 422);
    let m1 = user_id(&app, "m1@contoso.test").await;
    let res = app
        .submit(
            &format!("/admin/groups/{guests}/members"),
            &add,
            &[("principal", &format!("User:{m1}"))],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Dynamic User group"));
    let res = app
        .submit(
            &format!("/admin/groups/{guests}/members"),
            &format!("/admin/groups/{guests}/members/remove"),
            &[("user_id", &g1)],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(member_count(&app, &guests).await, 1);
}

#[tokio::test]
async fn adding_a_deleted_user_is_refused() {
    let app = spawn_app().await;
    app.create_member("gone@contoso.test", "Gone-passw0rd!", "").await;
    let gone = user_id(&app, "gone@contoso.test").await;
    app.sign_in_as_admin().await;
    let group = new_group(&app, "Team", "", None).await;
    let del = format!("/admin/users/{gone}/delete");
    app.submit(&del, &del, &[]).await;
    let add = format!("/admin/groups/{group}/members/add");
    let res = app.submit(&add, &add, &[("principal", &format!("User:{gone}"))]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("no longer exists"));
    assert_eq!(member_count(&app, &group).await, 0);
}

#[tokio::test]
async fn only_user_and_global_administrators_manage_groups() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let group = new_group(&app, "Team", "", None).await;
    for (email, role) in [
        ("hd@contoso.test", "helpdesk_administrator"),
        ("gi@contoso.test", "guest_inviter"),
    ] {
        app.create_member(email, "Role-passw0rd!", role).await;
        let client = new_client();
        app.sign_in_with(&client, email, "Role-passw0rd!").await;
        for path in [
            "/admin/groups".to_string(),
            "/admin/groups/new".into(),
            format!("/admin/groups/{group}/members"),
        ] {
            assert_eq!(app.get_with(&client, &path).await.status(), 403, "{role} {path}");
        }
        let res = app
            .submit_with(
                &client,
                "/myapps",
                "/admin/groups/new",
                &[("display_name", "Sneaky"), ("membership_type", "Assigned")],
            )
            .await;
        assert_eq!(res.status(), 403);
    }
    app.create_member("ua@contoso.test", "Role-passw0rd!", "user_administrator")
        .await;
    let ua = new_client();
    app.sign_in_with(&ua, "ua@contoso.test", "Role-passw0rd!").await;
    assert_eq!(app.get_with(&ua, "/admin/groups").await.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM groups").await, 1);
}

#[tokio::test]
async fn deleting_a_group_takes_its_memberships_and_assignments_with_it() {
    let app = spawn_app().await;
    app.create_member("dev@contoso.test", "Dev-passw0rd!", "").await;
    let dev = user_id(&app, "dev@contoso.test").await;
    app.sign_in_as_admin().await;
    let group = new_group(&app, "Doomed", "", None).await;
    let add = format!("/admin/groups/{group}/members/add");
    app.submit(&add, &add, &[("principal", &format!("User:{dev}"))]).await;
    let confirm = app.get_html(&format!("/admin/groups/{group}/delete")).await;
    assert!(confirm.contains("Delete the group Doomed?"));
    let del = format!("/admin/groups/{group}/delete");
    assert_redirect_to(&app.submit(&del, &del, &[]).await, "/admin/groups");
    assert_eq!(app.count("SELECT COUNT(*) FROM groups").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM group_members").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NULL").await,
        2,
        "members stay"
    );
}

/// An invited guest joins the Dynamic User groups whose rules match what
/// was written for them, attribute by attribute; evaluating the stored row
/// again afterwards changes nothing.
#[tokio::test]
async fn an_invited_guest_joins_the_dynamic_groups_its_stored_attributes_match() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let rules = [
        ("By company", "user.companyName -eq \"Fabrikam\""),
        ("By mail", "user.mail -startsWith \"g2@\""),
        ("By UPN", "user.userPrincipalName -contains \"#EXT#\""),
        ("By name", "user.displayName -eq \"Grace Two\""),
        ("By state", "user.externalUserState -eq \"PendingAcceptance\""),
        (
            "Enabled guests",
            "user.userType -eq \"Guest\" -and user.accountEnabled -eq true",
        ),
        ("Nobody", "user.companyName -eq \"Contoso\""),
    ];
    let mut groups = Vec::new();
    for (name, rule) in rules {
        groups.push((name, new_group(&app, name, "", Some(rule)).await));
    }
    let res = crate::common::flows::invite(
        &app,
        &app.client,
        &[
            ("email", "g2@fabrikam.example"),
            ("display_name", "Grace Two"),
            ("company_name", "Fabrikam"),
        ],
    )
    .await;
    assert_redirect_to(&res, "/admin/users");
    for (name, id) in &groups {
        let expected = if *name == "Nobody" { 0 } else { 1 };
        assert_eq!(member_count(&app, id).await, expected, "{name}");
    }
    let g2 = user_id(&app, "g2@fabrikam.example").await;
    let mut tx = app.db.begin().await.unwrap();
    vestibule::services::groups::refresh_user(&mut tx, &g2, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for (name, id) in &groups {
        let expected = if *name == "Nobody" { 0 } else { 1 };
        assert_eq!(
            member_count(&app, id).await,
            expected,
            "{name}, after evaluating the stored row"
        );
    }
}
