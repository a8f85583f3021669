//! Users and groups of an application, and My Apps through them (seed 003).

use reqwest::Client;

use crate::common::flows::docusign;
use crate::common::flows::{app_with_sink, invite};
use crate::common::flows::{new_group, user_id};
use crate::common::{TestApp, assert_redirect_to, new_client};

/// A guest who accepted their invitation, signed in on their own client.
async fn guest(app: &TestApp, sink: &crate::common::smtp::SmtpSink, email: &str) -> (Client, String) {
    let before = sink.messages().len();
    assert_redirect_to(&invite(app, &app.client, &[("email", email)]).await, "/admin/users");
    let mail = sink.wait_for(before + 1, std::time::Duration::from_secs(10)).await;
    let text = mail.last().unwrap().text().unwrap();
    let start = text.find("ticket=").unwrap() + 7;
    let ticket: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    sqlx::query("UPDATE organization SET otp_at_redemption = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    // The instance reads the organization through a short cache.
    app.state.organization.forget();
    let client = new_client();
    let link = format!("/redeem?ticket={ticket}");
    assert_redirect_to(
        &app.submit_with(&client, &link, "/redeem/continue", &[]).await,
        "/redeem/consent",
    );
    assert_redirect_to(
        &app.submit_with(&client, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
    (client, user_id(app, email).await)
}

fn tiles(html: &str) -> Vec<String> {
    html.split("data-testid=\"app-tile\"")
        .skip(1)
        .map(|t| {
            let start = t.find("<span>").unwrap() + 6;
            t[start..].split('<').next().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn seed_003_docusign_sender_shows_on_the_guests_my_apps() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let (g_client, g) = guest(&app, &sink, "grace@fabrikam.example").await;
    assert!(
        app.get_with(&g_client, "/myapps")
            .await
            .text()
            .await
            .unwrap()
            .contains("There are no apps to show")
    );
    let group = new_group(&app, "Developer group", "Developers", None).await;
    let add = format!("/admin/groups/{group}/members/add");
    app.submit(&add, &add, &[("principal", &format!("User:{g}"))]).await;
    let (docusign, default, sender) = docusign(&app).await;

    // Add user/group → pick the guest → Select a role → Assign.
    let picker = format!("/admin/apps/{docusign}/assignments/add?search=grace");
    let html = app.get_html(&picker).await;
    assert!(html.contains("Select a role") && html.contains("DocuSign Sender"));
    let add = format!("/admin/apps/{docusign}/assignments/add");
    let res = app
        .submit(
            &picker,
            &add,
            &[("principal", &format!("User:{g}")), ("app_role_id", &default)],
        )
        .await;
    assert_redirect_to(&res, &format!("/admin/apps/{docusign}/assignments"));
    let list = app.get_html(&format!("/admin/apps/{docusign}/assignments")).await;
    assert!(list.contains("Default Access") && list.contains("<td>User</td>"));
    // Edit → Select a role → DocuSign Sender → Assign.
    let assignment: String = sqlx::query_scalar("SELECT id FROM app_role_assignments WHERE principal_id = $1")
        .bind(&g)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let edit = format!("/admin/apps/{docusign}/assignments/{assignment}/edit");
    assert_redirect_to(
        &app.submit(&edit, &edit, &[("app_role_id", &sender)]).await,
        &format!("/admin/apps/{docusign}/assignments"),
    );
    let list = app.get_html(&format!("/admin/apps/{docusign}/assignments")).await;
    assert!(list.contains("DocuSign Sender") && !list.contains("<td>Default Access</td>"));

    let my_apps = app.get_with(&g_client, "/myapps").await.text().await.unwrap();
    assert_eq!(tiles(&my_apps), ["DocuSign"]);
    assert!(my_apps.contains("href=\"https://"), "the tile links to the homepage");
    assert!(my_apps.contains(&format!("/apps/{docusign}/logo")));
    let profile = app.get_html(&format!("/admin/users/{g}")).await;
    assert!(profile.contains("DocuSign Sender") && profile.contains("Developer group"));
    for activity in ["Add app role assignment to user", "Update app role assignment"] {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE activity = $1")
            .bind(activity)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(n, 1, "{activity}");
    }

    // Remove takes the tile away.
    let remove = format!("/admin/apps/{docusign}/assignments/{assignment}/remove");
    app.submit(&format!("/admin/apps/{docusign}/assignments"), &remove, &[])
        .await;
    let my_apps = app.get_with(&g_client, "/myapps").await.text().await.unwrap();
    assert!(my_apps.contains("There are no apps to show"));
}

#[tokio::test]
async fn my_apps_collects_direct_group_and_dynamic_assignments_once_each() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let (g_client, g) = guest(&app, &sink, "many@fabrikam.example").await;
    let team = new_group(&app, "Team", "", None).await;
    let add = format!("/admin/groups/{team}/members/add");
    app.submit(&add, &add, &[("principal", &format!("User:{g}"))]).await;
    let guests = new_group(&app, "Guests", "", Some("user.userType -eq \"Guest\"")).await;
    let (docusign, default, sender) = docusign(&app).await;
    let (slack, slack_role) = crate::common::gallery_app(&app, "slack", "Slack").await;
    let assign = |app_id: String, role: String, principal: String| {
        let path = format!("/admin/apps/{app_id}/assignments/add");
        let app = &app;
        async move {
            let res = app
                .submit(
                    &path,
                    &path,
                    &[("principal", principal.as_str()), ("app_role_id", role.as_str())],
                )
                .await;
            assert_eq!(res.status(), 303);
        }
    };
    assign(docusign.clone(), default.clone(), format!("User:{g}")).await;
    assign(docusign.clone(), sender.clone(), format!("Group:{team}")).await;
    assign(docusign.clone(), default.clone(), format!("Group:{guests}")).await;
    assign(slack.id.clone(), slack_role, format!("Group:{guests}")).await;
    let my_apps = app.get_with(&g_client, "/myapps").await.text().await.unwrap();
    assert_eq!(tiles(&my_apps), ["DocuSign", "Slack"], "sorted by name, each once");

    // Invisible or disabled apps are hidden.
    sqlx::query("UPDATE applications SET visible_to_users = 0 WHERE id = $1")
        .bind(&slack.id)
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE applications SET enabled = 0 WHERE id = $1")
        .bind(&docusign)
        .execute(app.db.pool())
        .await
        .unwrap();
    let my_apps = app.get_with(&g_client, "/myapps").await.text().await.unwrap();
    assert!(my_apps.contains("There are no apps to show"));
    // Members and admins have My Apps too.
    assert!(app.get_html("/myapps").await.contains("There are no apps to show"));
}

#[tokio::test]
async fn bad_assignments_are_refused_and_change_nothing() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let (_, g) = guest(&app, &sink, "g@fabrikam.example").await;
    let (docusign, _, _) = docusign(&app).await;
    let (_, slack_role) = crate::common::gallery_app(&app, "slack", "Slack").await;
    let add = format!("/admin/apps/{docusign}/assignments/add");
    let res = app
        .submit(
            &add,
            &add,
            &[("principal", &format!("User:{g}")), ("app_role_id", &slack_role)],
        )
        .await;
    assert_eq!(res.status(), 422, "a role of another application");
    assert!(res.text().await.unwrap().contains("Choose one of DocuSign"));
    let del = format!("/admin/users/{g}/delete");
    app.submit(&del, &del, &[]).await;
    let default: String = sqlx::query_scalar("SELECT id FROM app_roles WHERE app_id = $1 AND is_default = 1")
        .bind(&docusign)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let res = app
        .submit(
            &add,
            &add,
            &[("principal", &format!("User:{g}")), ("app_role_id", &default)],
        )
        .await;
    assert_eq!(res.status(), 422, "a deleted user");
    let res = app.submit(&add, &add, &[("app_role_id", &default)]).await;
    assert_eq!(res.status(), 422, "nobody selected");
    assert_eq!(app.count("SELECT COUNT(*) FROM app_role_assignments").await, 0);
}

#[tokio::test]
async fn inviting_into_a_group_or_an_app_grants_it_in_the_same_transaction() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let team = new_group(&app, "Team", "", None).await;
    let (docusign, default, _) = docusign(&app).await;
    // From the group's Invite: the group is already ticked.
    let form = app.get_html(&format!("/admin/users/invite?group={team}")).await;
    assert!(form.contains(&format!("value=\"{team}\" checked")));
    let form = app.get_html(&format!("/admin/users/invite?app={docusign}")).await;
    assert!(
        form.contains(&format!("value=\"{default}\" checked")),
        "the app's Default Access is ticked"
    );
    let res = invite(
        &app,
        &app.client,
        &[
            ("email", "both@fabrikam.example"),
            ("group_ids", &team),
            ("app_role_ids", &default),
        ],
    )
    .await;
    assert_redirect_to(&res, "/admin/users");
    let g = user_id(&app, "both@fabrikam.example").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM group_members").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM app_role_assignments").await, 1);
    let profile = app.get_html(&format!("/admin/users/{g}")).await;
    assert!(profile.contains("Team") && profile.contains("DocuSign"));
    sink.wait_for(1, std::time::Duration::from_secs(10)).await;

    // One bad assignment and nothing is written: no user, no invitation, no mail.
    let dynamic = new_group(&app, "Dyn", "", Some("user.userType -eq \"Guest\"")).await;
    let before = (
        app.count("SELECT COUNT(*) FROM users").await,
        app.count("SELECT COUNT(*) FROM outbox").await,
    );
    let res = invite(
        &app,
        &app.client,
        &[
            ("email", "bad@fabrikam.example"),
            ("group_ids", &team),
            ("group_ids", &dynamic),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Dynamic User group"));
    assert_eq!(
        (
            app.count("SELECT COUNT(*) FROM users").await,
            app.count("SELECT COUNT(*) FROM outbox").await
        ),
        before
    );
    // More than 20 assignments are refused.
    let mut fields = vec![("email", "lots@fabrikam.example")];
    let ids: Vec<String> = (0..21).map(|i| format!("fake-{i}")).collect();
    fields.extend(ids.iter().map(|id| ("group_ids", id.as_str())));
    let res = invite(&app, &app.client, &fields).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("at most 20"));
}

#[tokio::test]
async fn guest_inviters_cannot_grant_assignments_when_inviting() {
    let (app, _sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let team = new_group(&app, "Team", "", None).await;
    app.create_member("gi@contoso.test", "Inviter-passw0rd", "guest_inviter")
        .await;
    let gi = new_client();
    app.sign_in_with(&gi, "gi@contoso.test", "Inviter-passw0rd").await;
    let form = app.get_with(&gi, "/admin/users/invite").await.text().await.unwrap();
    assert!(!form.contains("Assignments"), "no Assignments tab for a Guest Inviter");
    let res = invite(&app, &gi, &[("email", "x@fabrikam.example"), ("group_ids", &team)]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.count("SELECT COUNT(*) FROM group_members").await, 0);
    assert_eq!(app.get_with(&gi, "/admin/apps/any/assignments").await.status(), 403);
}
