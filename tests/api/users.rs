use crate::common::{ADMIN_EMAIL, assert_redirect_to, attribute_after, new_client, spawn_app};

async fn user_id(app: &crate::common::TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = $1")
        .bind(email.to_lowercase())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn new_user_creates_a_member_with_a_temporary_password() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let html = app.get_html("/admin/users/new").await;
    assert!(html.contains("<h1>New user</h1>"));
    let res = app
        .submit(
            "/admin/users/new",
            "/admin/users/new",
            &[
                ("display_name", "Nora Member"),
                ("user_principal_name", "nora@contoso.test"),
            ],
        )
        .await;
    assert_eq!(res.status(), 201);
    let html = res.text().await.unwrap();
    let password = attribute_after(&html, "data-testid=\"temporary-password\">")
        .map(|s| s.split('<').next().unwrap().to_owned())
        .unwrap();
    assert!(password.len() >= 16);
    // The member signs in, must change the password, then reaches My Apps.
    let nora = new_client();
    let res = app.sign_in_with(&nora, "nora@contoso.test", &password).await;
    assert_redirect_to(&res, "/account/password");
    let list = app.get_html("/admin/users").await;
    assert!(list.contains("Nora Member") && list.contains("2 users found"));
    let audit = app
        .count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Add user'")
        .await;
    assert_eq!(audit, 2, "the first admin and Nora");
}

#[tokio::test]
async fn new_user_refuses_bad_input_with_422_and_writes_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let cases = [
        ("", "x@contoso.test", "Enter a display name."),
        ("X", "not-an-address", "user principal name needs an @"),
        ("X", "x@fabrikam.example", "domain, contoso.test"),
        ("X", ADMIN_EMAIL, "already in the directory"),
        ("X", "x!y@contoso.test", "cannot contain the character !"),
    ];
    let long = "n".repeat(300);
    let mut all: Vec<(&str, &str, &str)> = cases.to_vec();
    all.push((long.as_str(), "y@contoso.test", "at most 256 characters"));
    for (name, upn, message) in all {
        let res = app
            .submit(
                "/admin/users/new",
                "/admin/users/new",
                &[("display_name", name), ("user_principal_name", upn)],
            )
            .await;
        assert_eq!(res.status(), 422, "{message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        assert!(html.contains("aria-invalid=\"true\""), "the field is marked");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn all_users_is_sorted_searchable_filterable_and_paged_by_key() {
    let app = spawn_app().await;
    for i in 0..120 {
        let name = format!("{}user {i:03}", if i % 2 == 0 { "Alpha " } else { "beta " });
        let upn = format!("u{i:03}@contoso.test");
        let admin = vestibule::services::Admin {
            actor: Default::default(),
            id: "",
            roles: &[vestibule::domain::Role::GlobalAdministrator],
        };
        vestibule::services::users::create_member(&app.state, &admin, "contoso.test", &name, &upn)
            .await
            .unwrap();
    }
    app.sign_in_as_admin().await;
    let first = app.get_html("/admin/users").await;
    assert!(first.contains("121 users found"));
    assert_eq!(first.matches("data-testid=\"user-row\"").count(), 50);
    // Case-insensitive order: "Administrator", then "Alpha …", then "beta …".
    let admin_at = first.find(">Administrator<").unwrap();
    let alpha_at = first.find(">Alpha user 000<").unwrap();
    assert!(admin_at < alpha_at);
    // Walk every page by key: each user exactly once.
    let mut seen = Vec::new();
    let mut page = first;
    loop {
        for chunk in page.split("data-testid=\"user-row\"").skip(1) {
            let start = chunk.find("\">").unwrap() + 2;
            seen.push(chunk[start..].split('<').next().unwrap().to_owned());
        }
        match attribute_after(&page, "data-testid=\"next-page\"")
            .and(attribute_after(&page, "<a href=\"/admin/users?search"))
        {
            Some(_) => {
                let href = page
                    .split("<a href=\"")
                    .filter_map(|s| s.split('"').next())
                    .find(|h| h.contains("after_id="))
                    .unwrap()
                    .replace("&#38;", "&");
                page = app.get_html(&href).await;
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 121);
    let mut sorted = seen.clone();
    sorted.sort_by_key(|s| s.to_lowercase());
    assert_eq!(seen, sorted);
    // Prefix search on name or email, any case.
    let html = app.get_html("/admin/users?search=BETA%20user%2000").await;
    assert!(html.contains("5 users found"), "beta user 001..009");
    let html = app.get_html("/admin/users?search=u11").await;
    assert!(html.contains("10 users found"));
    // Filters.
    let html = app.get_html("/admin/users?user_type=Guest").await;
    assert!(html.contains("0 users found"));
    let html = app
        .get_html("/admin/users?state=PendingAcceptance&user_type=Member")
        .await;
    assert!(html.contains("0 users found"));
}

#[tokio::test]
async fn edit_properties_changes_the_user_and_block_sign_in_ends_sessions() {
    let app = spawn_app().await;
    app.create_member("eve@contoso.test", "Eve-passw0rd!", "").await;
    let id = user_id(&app, "eve@contoso.test").await;
    let eve = new_client();
    app.sign_in_with(&eve, "eve@contoso.test", "Eve-passw0rd!").await;
    assert_eq!(app.get_with(&eve, "/myapps").await.status(), 200);
    app.sign_in_as_admin().await;
    let edit = format!("/admin/users/{id}/edit");
    let res = app
        .submit(
            &edit,
            &edit,
            &[
                ("display_name", "Eve Renamed"),
                ("company_name", "Fabrikam"),
                ("user_type", "Member"),
                ("block_sign_in", "on"),
            ],
        )
        .await;
    assert_redirect_to(&res, &format!("/admin/users/{id}"));
    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    assert!(profile.contains("Eve Renamed") && profile.contains("Fabrikam") && profile.contains("sign-in blocked"));
    assert_eq!(
        app.get_with(&eve, "/myapps").await.status(),
        303,
        "the blocked user's session ended"
    );
    let res = app
        .sign_in_with(&new_client(), "eve@contoso.test", "Eve-passw0rd!")
        .await;
    assert_eq!(res.status(), 401, "a blocked user cannot sign in");
    // Bad input re-renders with 422 and changes nothing.
    let long = "c".repeat(65);
    let res = app
        .submit(
            &edit,
            &edit,
            &[("display_name", ""), ("company_name", &long), ("user_type", "Alien")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Enter a display name.")
            && html.contains("at most 64")
            && html.contains("Choose Member or Guest.")
    );
    assert!(
        app.get_html(&format!("/admin/users/{id}"))
            .await
            .contains("Eve Renamed")
    );
}

#[tokio::test]
async fn a_user_administrator_cannot_touch_a_global_administrator() {
    let app = spawn_app().await;
    app.create_member("ua@contoso.test", "UserAdmin-passw0rd", "user_administrator")
        .await;
    let admin_id = user_id(&app, ADMIN_EMAIL).await;
    app.sign_in("ua@contoso.test", "UserAdmin-passw0rd").await;
    let profile = app.get_html(&format!("/admin/users/{admin_id}")).await;
    assert!(!profile.contains("Edit properties") && !profile.contains("Delete user"));
    let edit = format!("/admin/users/{admin_id}/edit");
    let res = app
        .submit(
            &edit,
            &edit,
            &[
                ("display_name", "Hacked"),
                ("company_name", ""),
                ("user_type", "Member"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let del = format!("/admin/users/{admin_id}/delete");
    assert_eq!(app.submit(&del, &del, &[]).await.status(), 403);
    let reset = format!("/admin/users/{admin_id}/reset-password");
    assert_eq!(app.submit("/admin/users", &reset, &[]).await.status(), 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE display_name = 'Hacked' OR deleted_at IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn reset_password_gives_a_temporary_password_and_ends_sessions() {
    let app = spawn_app().await;
    app.create_member("rob@contoso.test", "Rob-passw0rd!", "").await;
    let id = user_id(&app, "rob@contoso.test").await;
    let rob = new_client();
    app.sign_in_with(&rob, "rob@contoso.test", "Rob-passw0rd!").await;
    app.sign_in_as_admin().await;
    let res = app
        .submit(
            &format!("/admin/users/{id}"),
            &format!("/admin/users/{id}/reset-password"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let password = attribute_after(&html, "data-testid=\"temporary-password\">").unwrap();
    let password = password.split('<').next().unwrap();
    assert_eq!(app.get_with(&rob, "/myapps").await.status(), 303);
    let res = app.sign_in_with(&new_client(), "rob@contoso.test", password).await;
    assert_redirect_to(&res, "/account/password");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Reset user password'")
            .await,
        1
    );
}

#[tokio::test]
async fn delete_user_hides_the_user_ends_sessions_and_keeps_the_row() {
    let app = spawn_app().await;
    app.create_member("dan@contoso.test", "Dan-passw0rd!", "").await;
    let id = user_id(&app, "dan@contoso.test").await;
    let dan = new_client();
    app.sign_in_with(&dan, "dan@contoso.test", "Dan-passw0rd!").await;
    app.sign_in_as_admin().await;
    let confirm = app.get_html(&format!("/admin/users/{id}/delete")).await;
    assert!(confirm.contains("Delete <strong>Test Member</strong>"));
    let res = app
        .submit(
            &format!("/admin/users/{id}/delete"),
            &format!("/admin/users/{id}/delete"),
            &[],
        )
        .await;
    assert_redirect_to(&res, "/admin/users");
    let list = app.get_html("/admin/users").await;
    assert!(list.contains("Test Member was deleted.") && list.contains("1 user found"));
    assert_eq!(app.get(&format!("/admin/users/{id}")).await.status(), 404);
    assert_eq!(app.get_with(&dan, "/myapps").await.status(), 303, "the session ended");
    assert_eq!(
        app.sign_in_with(&new_client(), "dan@contoso.test", "Dan-passw0rd!")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL")
            .await,
        1,
        "the row stays"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Delete user'")
            .await,
        1
    );
    // Nobody deletes themselves or the last Global Administrator.
    let me = user_id(&app, ADMIN_EMAIL).await;
    let res = app
        .submit(
            &format!("/admin/users/{me}/delete"),
            &format!("/admin/users/{me}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("You cannot delete your own account.")
    );
}
