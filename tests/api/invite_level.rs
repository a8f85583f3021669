//! Guest invite settings on External collaboration settings: Entra's four
//! levels, saved and audited, and "No one in the organization can invite"
//! held on the server by every way in: the wizard for each inviting role,
//! the Graph API and bulk invite (which `vestibule invite-bulk` runs).

use reqwest::{Method, StatusCode};
use serde_json::json;
use vestibule::domain::Role;
use vestibule::domain::invite_level::InviteLevel;
use vestibule::services::ServiceError;
use vestibule::services::bulk_invite::BulkOptions;

use crate::common::flows::{bulk_invite_as, invite};
use crate::common::graph::assert_graph_error;
use crate::common::{ADMIN_EMAIL, TestApp, assert_redirect_to, new_client, spawn_app};

const COLLAB_PAGE: &str = "/admin/settings/collaboration";
const NOBODY: &str = "No one in this organization can invite guest users: the guest invite settings on External \
    collaboration settings forbid it.";

async fn stored_level(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT allow_invites_from FROM organization WHERE id = 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn set_level(app: &TestApp, level: &str) -> reqwest::Response {
    app.submit(
        COLLAB_PAGE,
        COLLAB_PAGE,
        &[
            ("otp_at_redemption", "on"),
            ("guests_may_leave", "on"),
            ("guest_session_hours", "24"),
            ("allow_invites_from", level),
            ("domain_policy", "any"),
        ],
    )
    .await
}

#[tokio::test]
async fn the_four_levels_are_offered_saved_and_audited() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app.get_html(COLLAB_PAGE).await;
    assert!(form.contains("<legend>Guest invite settings</legend>"), "{form}");
    for level in InviteLevel::ALL {
        assert!(form.contains(&format!(">{}</label>", level.label())), "{form}");
    }
    assert!(
        form.contains("value=\"adminsAndGuestInviters\" data-testid=\"invite-level-adminsAndGuestInviters\" checked"),
        "admin roles only is the default: {form}"
    );
    assert_eq!(stored_level(&app).await, "adminsAndGuestInviters");
    for level in [
        "everyone",
        "adminsGuestInvitersAndAllMembers",
        "none",
        "adminsAndGuestInviters",
    ] {
        app.clock.advance(1);
        assert_redirect_to(&set_level(&app, level).await, "/admin/settings");
        assert_eq!(stored_level(&app).await, level);
        let form = app.get_html(COLLAB_PAGE).await;
        assert!(
            form.contains(&format!(
                "value=\"{level}\" data-testid=\"invite-level-{level}\" checked"
            )),
            "{level}: {form}"
        );
    }
    let details: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE activity = 'Update external collaboration settings' \
         ORDER BY occurred_at, id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        details,
        [
            "allowInvitesFrom: adminsAndGuestInviters -> everyone",
            "allowInvitesFrom: everyone -> adminsGuestInvitersAndAllMembers",
            "allowInvitesFrom: adminsGuestInvitersAndAllMembers -> none",
            "allowInvitesFrom: none -> adminsAndGuestInviters",
        ]
    );
}

#[tokio::test]
async fn an_unknown_or_missing_level_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    for level in ["", "anyone", "NONE", "none; DROP TABLE users", &"x".repeat(5000)] {
        let res = set_level(&app, level).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{level:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Choose who can invite guest users."), "{html}");
        assert!(html.contains("id=\"allow_invites_from_error\""));
    }
    let res = app
        .submit(COLLAB_PAGE, COLLAB_PAGE, &[("guest_session_hours", "24")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "the field is required");
    assert_eq!(stored_level(&app).await, "adminsAndGuestInviters");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Update external collaboration settings'")
            .await,
        0
    );
}

#[tokio::test]
async fn when_no_one_may_invite_every_way_in_is_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    app.create_member("uadmin@contoso.test", "UserAdmin-passw0rd", "user_administrator")
        .await;
    app.create_member("inviter@contoso.test", "Inviter-passw0rd", "guest_inviter")
        .await;
    let api = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&api).await;
    let pending = invite(&app, &app.client, &[("email", "pending@fabrikam.example")]).await;
    assert_eq!(pending.status(), StatusCode::SEE_OTHER);
    assert_redirect_to(&set_level(&app, "none").await, "/admin/settings");
    let invitations_before = app.count("SELECT COUNT(*) FROM invitations").await;
    let users_before = app.count("SELECT COUNT(*) FROM users").await;
    let outbox_before = app.count("SELECT COUNT(*) FROM outbox").await;

    // The wizard, for each role that otherwise invites.
    let admin_wizard = invite(&app, &app.client, &[("email", "a@fabrikam.example")]).await;
    assert_eq!(admin_wizard.status(), StatusCode::FORBIDDEN);
    assert!(admin_wizard.text().await.unwrap().contains(NOBODY));
    for (email, password) in [
        ("uadmin@contoso.test", "UserAdmin-passw0rd"),
        ("inviter@contoso.test", "Inviter-passw0rd"),
    ] {
        let client = new_client();
        app.sign_in_with(&client, email, password).await;
        let res = invite(&app, &client, &[("email", "b@fabrikam.example")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email}");
        assert!(res.text().await.unwrap().contains(NOBODY), "{email}");
    }

    // The API, with a consented User.Invite.All: a new address, and a
    // pending guest's address (which Graph answers with a new link).
    for address in ["c@fabrikam.example", "pending@fabrikam.example"] {
        let res = app
            .graph(
                &token,
                Method::POST,
                "/v1.0/invitations",
                Some(&json!({"invitedUserEmailAddress": address, "inviteRedirectUrl": "https://myapps.example/"})),
            )
            .await;
        let status = res.status();
        let body = res.json().await.unwrap();
        assert_graph_error(status, &body, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
        assert_eq!(body["error"]["message"], NOBODY, "{address}");
    }

    // Bulk invite, as `vestibule invite-bulk` runs it.
    let rows = ["d@fabrikam.example,https://myapps.example/,true,Hi"];
    let as_admin = || {
        bulk_invite_as(
            &app,
            ADMIN_EMAIL,
            &[Role::GlobalAdministrator],
            &rows,
            BulkOptions::default(),
        )
    };
    match as_admin().await {
        Err(ServiceError::Denied(message)) => assert_eq!(message, NOBODY),
        other => panic!("bulk invite ran: {:?}", other.map(|report| report.rows.len())),
    }

    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users_before);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, outbox_before);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, invitations_before);

    // Back to admin roles only: the same ways in work again.
    app.clock.advance(1);
    assert_redirect_to(&set_level(&app, "adminsAndGuestInviters").await, "/admin/settings");
    let res = invite(&app, &app.client, &[("email", "a@fabrikam.example")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .graph(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&json!({"invitedUserEmailAddress": "c@fabrikam.example", "inviteRedirectUrl": "https://myapps.example/"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let report = as_admin().await.expect("bulk invite runs");
    assert_eq!(report.rows[0].status_label(), "Success");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invitations").await,
        invitations_before + 3
    );
}

#[tokio::test]
async fn the_inclusive_levels_keep_admin_roles_inviting() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    app.create_member("inviter@contoso.test", "Inviter-passw0rd", "guest_inviter")
        .await;
    let client = new_client();
    app.sign_in_with(&client, "inviter@contoso.test", "Inviter-passw0rd")
        .await;
    for (n, level) in ["everyone", "adminsGuestInvitersAndAllMembers"].into_iter().enumerate() {
        app.clock.advance(1);
        assert_redirect_to(&set_level(&app, level).await, "/admin/settings");
        let email = format!("guest{n}@fabrikam.example");
        let res = invite(&app, &client, &[("email", &email)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{level}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 2);
}
