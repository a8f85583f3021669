//! The B2B collaboration box: Resend invitation, Reset redemption status,
//! Copy redemption URL.

use std::time::Duration;

use reqwest::Client;

use crate::common::flows::{app_with_sink, invite};
use crate::common::flows::{new_group, user_id};
use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, assert_redirect_to, attribute_after, new_client};

/// The ticket in the newest email to `to`.
async fn ticket_for(sink: &SmtpSink, to: &str, count: usize) -> String {
    let mail = sink.wait_for(count, Duration::from_secs(10)).await;
    let m = mail
        .iter()
        .rev()
        .find(|m| m.to == [to.to_string()] && m.subject().contains("invited you"))
        .expect("an invitation");
    let text = m.text().unwrap();
    let start = text.find("ticket=").unwrap() + 7;
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Redeems with `ticket` on a fresh client (no code step), returning it.
async fn redeem(app: &TestApp, ticket: &str) -> (Client, reqwest::Response) {
    let guest = new_client();
    let link = format!("/redeem?ticket={ticket}");
    assert_redirect_to(
        &app.submit_with(&guest, &link, "/redeem/continue", &[]).await,
        "/redeem/consent",
    );
    let res = app.submit_with(&guest, "/redeem/consent", "/redeem/accept", &[]).await;
    (guest, res)
}

async fn no_codes(app: &TestApp) {
    sqlx::query("UPDATE organization SET otp_at_redemption = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    // The instance reads the organization through a short cache.
    app.state.organization.forget();
}

async fn profile_action(app: &TestApp, client: &Client, id: &str, action: &str) -> reqwest::Response {
    let profile = format!("/admin/users/{id}");
    app.submit_with(client, &profile, &format!("/admin/users/{id}/{action}"), &[])
        .await
}

#[tokio::test]
async fn resend_sends_the_same_message_again_and_replaces_the_old_link() {
    let (app, sink) = app_with_sink().await;
    no_codes(&app).await;
    app.sign_in_as_admin().await;
    let res = invite(
        &app,
        &app.client,
        &[
            ("email", "grace@fabrikam.example"),
            ("send_invite_message", "on"),
            ("message", "Welcome aboard"),
            ("cc_recipient", "boss@fabrikam.example"),
            ("redirect_url", "https://docusign.example/start"),
        ],
    )
    .await;
    assert_redirect_to(&res, "/admin/users");
    let first = ticket_for(&sink, "grace@fabrikam.example", 2).await;
    let id = user_id(&app, "grace@fabrikam.example").await;
    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    assert!(profile.contains("Resend invitation") && !profile.contains("Reset redemption status"));
    let key = attribute_after(&profile, "name=\"form_key\" value=\"").unwrap();
    let res = app
        .submit(
            &format!("/admin/users/{id}"),
            &format!("/admin/users/{id}/resend"),
            &[("form_key", &key)],
        )
        .await;
    assert_redirect_to(&res, &format!("/admin/users/{id}"));
    let mail = sink.wait_for(4, Duration::from_secs(10)).await;
    let second = ticket_for(&sink, "grace@fabrikam.example", 4).await;
    assert_ne!(first, second);
    let resent = mail.iter().rev().find(|m| m.to == ["grace@fabrikam.example"]).unwrap();
    assert!(resent.text().unwrap().contains("Welcome aboard"), "the same message");
    assert!(
        mail.iter().filter(|m| m.to == ["boss@fabrikam.example"]).count() == 2,
        "and the same Cc"
    );

    // The old link says it was replaced; the new one works and, having led to
    // one app before, now leads to My Apps.
    let old = app.get_with(&new_client(), &format!("/redeem?ticket={first}")).await;
    assert_eq!(old.status(), 410);
    assert!(old.text().await.unwrap().contains("replaced by a newer one"));
    let (_, res) = redeem(&app, &second).await;
    assert_redirect_to(&res, "/myapps");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Invite external user'")
            .await,
        2,
        "the invitation and its resend"
    );
    // Once accepted, Resend is gone and Reset redemption status is there.
    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    assert!(!profile.contains("Resend invitation") && profile.contains("Reset redemption status"));
    let res = app
        .submit(
            &format!("/admin/users/{id}"),
            &format!("/admin/users/{id}/resend"),
            &[("form_key", "x")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("already accepted"));
}

#[tokio::test]
async fn a_double_submitted_resend_sends_one_email_and_resends_are_rate_limited() {
    let (app, sink) = app_with_sink().await;
    app.create_member("gi@contoso.test", "Inviter-passw0rd", "guest_inviter")
        .await;
    app.sign_in("gi@contoso.test", "Inviter-passw0rd").await;
    assert_redirect_to(
        &invite(&app, &app.client, &[("email", "twice@fabrikam.example")]).await,
        "/admin/users",
    );
    sink.wait_for(1, Duration::from_secs(10)).await;
    let id = user_id(&app, "twice@fabrikam.example").await;
    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    let key = attribute_after(&profile, "name=\"form_key\" value=\"").unwrap();
    let token = crate::common::csrf_token(&profile);
    for _ in 0..2 {
        let res = app
            .post_raw(
                &app.client,
                &format!("/admin/users/{id}/resend"),
                &[("csrf_token", &token), ("form_key", &key)],
            )
            .await;
        assert_redirect_to(&res, &format!("/admin/users/{id}"));
    }
    sink.wait_for(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 2, "one resend email, not two");
    // A Guest Inviter may resend; the third within a minute is refused.
    let res = profile_form_resend(&app, &id).await;
    assert_redirect_to(&res, &format!("/admin/users/{id}"));
    let res = profile_form_resend(&app, &id).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Wait a minute"));
}

async fn profile_form_resend(app: &TestApp, id: &str) -> reqwest::Response {
    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    let key = attribute_after(&profile, "name=\"form_key\" value=\"").unwrap();
    app.submit(
        &format!("/admin/users/{id}"),
        &format!("/admin/users/{id}/resend"),
        &[("form_key", &key)],
    )
    .await
}

#[tokio::test]
async fn resend_refuses_members_and_changes_nothing() {
    let (app, _sink) = app_with_sink().await;
    app.create_member("m@contoso.test", "Member-passw0rd", "").await;
    let id = user_id(&app, "m@contoso.test").await;
    app.sign_in_as_admin().await;
    let res = app
        .submit(
            &format!("/admin/users/{id}"),
            &format!("/admin/users/{id}/resend"),
            &[("form_key", "k")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("was not invited"));
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
}

#[tokio::test]
async fn reset_redemption_returns_the_guest_to_pending_and_keeps_groups_and_apps() {
    let (app, sink) = app_with_sink().await;
    no_codes(&app).await;
    app.sign_in_as_admin().await;
    assert_redirect_to(
        &invite(&app, &app.client, &[("email", "moving@fabrikam.example")]).await,
        "/admin/users",
    );
    let first = ticket_for(&sink, "moving@fabrikam.example", 1).await;
    let (old_session, _) = redeem(&app, &first).await;
    let id = user_id(&app, "moving@fabrikam.example").await;
    let team = new_group(&app, "Team", "", None).await;
    let add = format!("/admin/groups/{team}/members/add");
    app.submit(&add, &add, &[("principal", &format!("User:{id}"))]).await;

    // Refusals first: a taken address, a malformed one; nothing changes.
    let page = format!("/admin/users/{id}/reset-redemption");
    for (email, message) in [
        ("admin@contoso.test", "already in the directory"),
        ("not an address", "cannot contain spaces"),
    ] {
        let res = app.submit(&page, &page, &[("email", email)]).await;
        assert_eq!(res.status(), 422, "{email}");
        assert!(res.text().await.unwrap().contains(message));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1);

    let form = app.get_html(&page).await;
    assert!(
        form.contains("moving@fabrikam.example"),
        "the current address is proposed"
    );
    let res = app.submit(&page, &page, &[("email", "Moved@Northwind.example")]).await;
    assert_redirect_to(&res, &format!("/admin/users/{id}"));
    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    assert!(profile.contains("Pending acceptance") && profile.contains("Moved@Northwind.example"));
    assert!(profile.contains("Team"), "the group stays");
    assert_eq!(
        app.get_with(&old_session, "/myapps").await.status(),
        303,
        "the guest's sessions ended"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM consents").await,
        0,
        "consent will be asked again"
    );
    let old = app.get_with(&new_client(), &format!("/redeem?ticket={first}")).await;
    assert_eq!(old.status(), 410, "the old link was replaced");

    let second = ticket_for(&sink, "Moved@Northwind.example", 2).await;
    let (_, res) = redeem(&app, &second).await;
    assert_redirect_to(&res, "/myapps");
    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    assert!(profile.contains("Accepted") && profile.contains("Team"));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE activity = 'Invite external user with reset invitation status'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn reset_is_for_accepted_guests_and_the_right_roles() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    assert_redirect_to(
        &invite(&app, &app.client, &[("email", "pending@fabrikam.example")]).await,
        "/admin/users",
    );
    sink.wait_for(1, Duration::from_secs(10)).await;
    let id = user_id(&app, "pending@fabrikam.example").await;
    let page = format!("/admin/users/{id}/reset-redemption");
    let res = app.submit(&page, &page, &[("email", "")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("has not accepted yet"));
    app.create_member("gi@contoso.test", "Inviter-passw0rd", "guest_inviter")
        .await;
    let gi = new_client();
    app.sign_in_with(&gi, "gi@contoso.test", "Inviter-passw0rd").await;
    assert_eq!(
        app.get_with(&gi, &page).await.status(),
        403,
        "a Guest Inviter cannot reset"
    );
    app.create_member("hd@contoso.test", "Helpdesk-passw0rd", "helpdesk_administrator")
        .await;
    let hd = new_client();
    app.sign_in_with(&hd, "hd@contoso.test", "Helpdesk-passw0rd").await;
    assert_eq!(
        app.get_with(&hd, &page).await.status(),
        200,
        "a Helpdesk Administrator can"
    );
}

#[tokio::test]
async fn copy_redemption_url_shows_a_fresh_link_once_and_replaces_the_emailed_one() {
    let (app, sink) = app_with_sink().await;
    no_codes(&app).await;
    app.sign_in_as_admin().await;
    assert_redirect_to(
        &invite(&app, &app.client, &[("email", "direct@fabrikam.example")]).await,
        "/admin/users",
    );
    let emailed = ticket_for(&sink, "direct@fabrikam.example", 1).await;
    let id = user_id(&app, "direct@fabrikam.example").await;
    let confirm = app.get_html(&format!("/admin/users/{id}/redemption-url")).await;
    assert!(confirm.contains("The link in the invitation email will stop working."));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invitations").await,
        1,
        "showing the question changes nothing"
    );
    let res = profile_action(&app, &app.client, &id, "redemption-url").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let url = attribute_after(&html, "readonly value=\"").unwrap();
    let fresh = url.split("ticket=").nth(1).unwrap().to_owned();
    assert_eq!(
        app.get_with(&new_client(), &format!("/redeem?ticket={emailed}"))
            .await
            .status(),
        410
    );
    let (_, res) = redeem(&app, &fresh).await;
    assert_redirect_to(&res, "/myapps");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Copy redemption URL'")
            .await,
        1
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1, "no email for a copied link");
}
