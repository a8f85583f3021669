//! Who may act on which user: only a Global Administrator acts on a user who
//! holds a directory role. These are the takeover paths found when the portal
//! was attacked: a Helpdesk or User Administrator resetting an invited Global
//! Administrator's redemption to their own address, a Guest Inviter copying a
//! pending one's redemption URL, and the buttons that offered both.

use reqwest::{Client, StatusCode};
use vestibule::domain::{Role, UserType};

use crate::common::directory::Invited;
use crate::common::{TestApp, new_client, spawn_app};

const PASSWORD: &str = "Role-holder-passw0rd";

/// A signed-in client holding `role`.
async fn signed_in_as(app: &TestApp, email: &str, role: Role) -> Client {
    app.create_member(email, PASSWORD, role.key()).await;
    let client = new_client();
    assert_eq!(app.sign_in_with(&client, email, PASSWORD).await.status(), 303);
    client
}

/// What an action on a user could have written.
async fn written(app: &TestApp) -> (i64, i64, i64, Vec<String>) {
    (
        app.count("SELECT COUNT(*) FROM invitations").await,
        app.count("SELECT COUNT(*) FROM outbox").await,
        app.count("SELECT COUNT(*) FROM audit_log").await,
        sqlx::query_scalar("SELECT mail FROM users ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn no_role_below_global_administrator_resets_resends_or_copies_for_a_role_holder() {
    let app = spawn_app().await;
    let boss = app
        .invited_user("boss@partner.test", UserType::Member, Invited::Accepted)
        .await;
    app.grant_role(&boss, Role::GlobalAdministrator).await;
    let cfo = app
        .invited_user("cfo@partner.test", UserType::Member, Invited::Pending)
        .await;
    app.grant_role(&cfo, Role::GlobalAdministrator).await;
    for (email, role) in [
        ("hd@contoso.test", Role::HelpdeskAdministrator),
        ("ua@contoso.test", Role::UserAdministrator),
        ("gi@contoso.test", Role::GuestInviter),
    ] {
        let client = signed_in_as(&app, email, role).await;
        let profile = app.get_with(&client, &format!("/admin/users/{boss}")).await;
        assert_eq!(profile.status(), 200, "{role:?} reads the profile");
        let html = profile.text().await.unwrap();
        for button in ["reset-redemption", "edit-properties", "delete-user"] {
            assert!(!html.contains(button), "{role:?} is not offered {button}");
        }
        let html = app
            .get_with(&client, &format!("/admin/users/{cfo}"))
            .await
            .text()
            .await
            .unwrap();
        for button in ["resend-invitation", "copy-redemption-url"] {
            assert!(!html.contains(button), "{role:?} is not offered {button}");
        }
        let before = written(&app).await;
        for page in [
            format!("/admin/users/{boss}/reset-redemption"),
            format!("/admin/users/{cfo}/redemption-url"),
            format!("/admin/users/{boss}/edit"),
        ] {
            let status = app.get_with(&client, &page).await.status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{role:?} opens {page}");
        }
        let csrf = crate::common::csrf_token(&app.get_with(&client, "/myapps").await.text().await.unwrap());
        let attempts = [
            (
                format!("/admin/users/{boss}/reset-redemption"),
                vec![("email", format!("attacker-{email}"))],
            ),
            (format!("/admin/users/{boss}/reset-redemption"), vec![]),
            (format!("/admin/users/{cfo}/redemption-url"), vec![]),
            (format!("/admin/users/{cfo}/resend"), vec![]),
        ];
        for (action, fields) in attempts {
            let mut all = vec![("csrf_token", csrf.clone())];
            all.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
            let res = client.post(app.url(&action)).form(&all).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?} posts {action}");
            let page = res.text().await.unwrap();
            assert!(
                page.contains("Only a Global Administrator can act on a user who holds a directory role.")
                    || page.contains("Access denied"),
                "a styled refusal"
            );
        }
        assert_eq!(written(&app).await, before, "nothing was written for {role:?}");
    }
    // The Global Administrator still may.
    app.sign_in_as_admin().await;
    let res = app
        .submit(
            &format!("/admin/users/{cfo}"),
            &format!("/admin/users/{cfo}/redemption-url"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("/redeem?ticket="));
}

#[tokio::test]
async fn a_guest_inviter_resends_for_guests_but_not_for_members() {
    let app = spawn_app().await;
    let guest = app
        .invited_user("guest@fabrikam.test", UserType::Guest, Invited::Pending)
        .await;
    let member = app
        .invited_user("member@fabrikam.test", UserType::Member, Invited::Pending)
        .await;
    let client = signed_in_as(&app, "gi@contoso.test", Role::GuestInviter).await;
    let html = app
        .get_with(&client, &format!("/admin/users/{guest}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("copy-redemption-url") && html.contains("resend-invitation"));
    let res = app
        .submit_with(
            &client,
            &format!("/admin/users/{guest}"),
            &format!("/admin/users/{guest}/redemption-url"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 200, "a pending guest's link is copied");
    let html = app
        .get_with(&client, &format!("/admin/users/{member}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("copy-redemption-url") && !html.contains("resend-invitation"));
    let before = written(&app).await;
    for action in ["redemption-url", "resend"] {
        let res = app
            .submit_with(&client, "/myapps", &format!("/admin/users/{member}/{action}"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{action} for an invited member");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("A Guest Inviter can act only on guests.")
        );
    }
    assert_eq!(written(&app).await, before);
}

#[tokio::test]
async fn a_user_administrator_is_not_offered_restore_or_delete_for_a_deleted_global_administrator() {
    let app = spawn_app().await;
    let plain = app
        .invited_user("plain@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    let ga = app
        .invited_user("ga@partner.test", UserType::Member, Invited::Accepted)
        .await;
    app.grant_role(&ga, Role::GlobalAdministrator).await;
    app.soft_delete(&plain).await;
    app.soft_delete(&ga).await;
    let client = signed_in_as(&app, "ua@contoso.test", Role::UserAdministrator).await;
    let html = app
        .get_with(&client, "/admin/users/deleted")
        .await
        .text()
        .await
        .unwrap();
    let buttons = |id: &str| {
        (
            html.contains(&format!("/admin/users/deleted/{id}/restore")),
            html.contains(&format!("/admin/users/deleted/{id}/delete")),
        )
    };
    assert_eq!(buttons(&plain), (true, true));
    assert_eq!(buttons(&ga), (false, false));
    for action in ["restore", "delete"] {
        let page = format!("/admin/users/deleted/{ga}/{action}");
        assert_eq!(app.get_with(&client, &page).await.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn group_and_app_changes_of_a_role_holder_need_a_global_administrator() {
    let app = spawn_app().await;
    let ga = app
        .invited_user("ga@partner.test", UserType::Member, Invited::Accepted)
        .await;
    app.grant_role(&ga, Role::GlobalAdministrator).await;
    app.sign_in_as_admin().await;
    let group = crate::common::flows::new_group(&app, "Partners", "", None).await;
    let client = signed_in_as(&app, "ua@contoso.test", Role::UserAdministrator).await;
    let before = app.snapshot().await;
    let res = app
        .submit_with(
            &client,
            &format!("/admin/groups/{group}/members/add"),
            &format!("/admin/groups/{group}/members/add"),
            &[("principal", format!("User:{ga}").as_str())],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a User Administrator adds a GA to a group"
    );
    assert_eq!(app.snapshot().await, before, "nothing was written");
    let res = app
        .submit(
            &format!("/admin/groups/{group}/members/add"),
            &format!("/admin/groups/{group}/members/add"),
            &[("principal", format!("User:{ga}").as_str())],
        )
        .await;
    assert_eq!(res.status(), 303, "the Global Administrator does");
    let html = app
        .get_with(&client, &format!("/admin/groups/{group}/members"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("ga@partner.test") && !html.contains("Remove Invited ga@partner.test"));
    let before = app.snapshot().await;
    let res = app
        .submit_with(
            &client,
            &format!("/admin/groups/{group}/members"),
            &format!("/admin/groups/{group}/members/remove"),
            &[("user_id", ga.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.snapshot().await, before);
}
