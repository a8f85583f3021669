//! Invite external user: the wizard, the rules, and the email that arrives.

use std::time::Duration;

use crate::common::flows::{app_with_sink, invite};
use crate::common::smtp::SmtpSink;
use crate::common::{ADMIN_EMAIL, TestApp, assert_redirect_to, attribute_after, new_client, spawn_app_with};

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM users").await,
        app.count("SELECT COUNT(*) FROM invitations").await,
        app.count("SELECT COUNT(*) FROM outbox").await,
    )
}

#[tokio::test]
async fn an_invited_guest_is_pending_at_once_and_the_email_arrives() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let form = app.get_html("/admin/users/invite").await;
    for label in [
        "Basics",
        "Properties",
        "Assignments",
        "Review + invite",
        "Send invite message",
        "Cc recipient",
        "Redirect URL",
    ] {
        assert!(form.contains(label), "the wizard shows {label}");
    }
    let res = invite(
        &app,
        &app.client,
        &[
            ("email", "Grace.Hopper@Fabrikam.example"),
            ("display_name", "Grace Hopper"),
        ],
    )
    .await;
    assert_redirect_to(&res, "/admin/users");
    let list = app.get_html("/admin/users").await;
    assert!(list.contains("Successfully invited user"));
    let row = list
        .split("data-testid=\"user-row\"")
        .find(|r| r.contains("Grace Hopper"))
        .expect("the guest's row");
    assert!(
        row.contains("<td>Guest</td>") && row.contains("<td>Pending acceptance</td>"),
        "{row}"
    );
    assert!(row.contains("grace.hopper_fabrikam.example#EXT#@contoso.test"));

    let mail = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mail.len(), 1, "one invitation email");
    let m = &mail[0];
    assert_eq!(m.to, vec!["Grace.Hopper@Fabrikam.example".to_string()]);
    assert_eq!(
        m.subject(),
        "Administrator invited you to access applications within their organization"
    );
    let from = m.header("From").unwrap();
    assert!(
        from.contains("Contoso Invitations") && from.contains("invitations@contoso.test"),
        "{from}"
    );
    assert!(m.header("Reply-To").unwrap().contains(ADMIN_EMAIL));
    assert!(
        m.header("List-Unsubscribe")
            .unwrap()
            .contains("/invitations/block?address=")
    );
    assert!(m.message_id().ends_with("@contoso.test"));
    let text = m.text().unwrap();
    assert!(
        text.contains("Contoso (contoso.test)") && text.contains("Please only accept"),
        "{text}"
    );
    assert!(text.contains("Contoso has not provided a privacy statement."));
    let link_start = text
        .find(&format!("{}/redeem?ticket=", app.address))
        .expect("the redemption link");
    let link: String = text[link_start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let ticket = link.split("ticket=").nth(1).unwrap();
    assert!(ticket.len() >= 43, "at least 256 bits, base64url");
    let html = m.html().unwrap();
    assert!(html.contains("Accept invitation") && html.contains(&link));

    // Only the ticket's digest is stored.
    let digest: String = sqlx::query_scalar("SELECT ticket_digest FROM invitations")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_ne!(digest, ticket);
    assert_eq!(digest, app.state.secrets.tickets.digest(ticket));
    // The stored message body carrying the ticket is wiped once sent.
    let profile_id: String =
        sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = 'grace.hopper@fabrikam.example'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    for _ in 0..100 {
        if app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE body IS NULL").await, 1);
    let profile = app.get_html(&format!("/admin/users/{profile_id}")).await;
    assert!(profile.contains("Pending acceptance") && profile.contains("Invited by"));
    assert!(profile.contains(">Sent "), "delivery state on the profile");
    let audit = app.get_html("/admin/audit").await;
    assert!(audit.contains("Invite external user") && audit.contains("Add user"));
}

#[tokio::test]
async fn the_personal_message_is_plain_text_and_the_cc_copy_has_no_link() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let message = "Welcome <script>alert('x')</script> & <b>bold</b>";
    let res = invite(
        &app,
        &app.client,
        &[
            ("email", "ada@fabrikam.example"),
            ("display_name", "Ada"),
            ("send_invite_message", "on"),
            ("message", message),
            ("cc_recipient", "boss@fabrikam.example"),
        ],
    )
    .await;
    assert_redirect_to(&res, "/admin/users");
    let mail = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(mail.len(), 2);
    let to_guest = mail.iter().find(|m| m.to == ["ada@fabrikam.example"]).unwrap();
    let to_cc = mail.iter().find(|m| m.to == ["boss@fabrikam.example"]).unwrap();
    assert!(
        to_guest.text().unwrap().contains(message),
        "the text part carries the message verbatim"
    );
    let html = to_guest.html().unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<b>bold"),
        "never interpreted as HTML"
    );
    assert!(html.contains("alert(") && html.contains("bold"), "but shown");
    let cc_text = to_cc.text().unwrap();
    assert!(
        cc_text.contains("Ada (ada@fabrikam.example)"),
        "the copy says who was invited"
    );
    assert!(
        !cc_text.contains("redeem") && !to_cc.html().unwrap().contains("redeem"),
        "and has no link"
    );
}

#[tokio::test]
async fn without_send_invite_message_the_message_and_cc_are_left_out() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let res = invite(
        &app,
        &app.client,
        &[
            ("email", "lin@fabrikam.example"),
            ("message", "Secret note"),
            ("cc_recipient", "boss@fabrikam.example"),
        ],
    )
    .await;
    assert_redirect_to(&res, "/admin/users");
    let mail = sink.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1, "no Cc copy");
    assert!(!mail[0].text().unwrap().contains("Secret note"));
}

#[tokio::test]
async fn every_refusal_re_renders_the_form_with_422_and_writes_nothing() {
    let (app, _sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let before = counts(&app).await;
    let long_message = "m".repeat(2001);
    let long_name = "n".repeat(257);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("email", "")], "Enter an email address."),
        (vec![("email", "no-at-sign")], "needs an @"),
        (
            vec![("email", "a+b@fabrikam.example")],
            "cannot contain the character +",
        ),
        (
            vec![("email", "a@fabrikam.example"), ("display_name", &long_name)],
            "at most 256",
        ),
        (
            vec![
                ("email", "a@fabrikam.example"),
                ("send_invite_message", "on"),
                ("message", &long_message),
            ],
            "at most 2000",
        ),
        (
            vec![
                ("email", "a@fabrikam.example"),
                ("send_invite_message", "on"),
                ("cc_recipient", "x@y.example, z@y.example"),
            ],
            "one Cc recipient",
        ),
        (
            vec![
                ("email", "a@fabrikam.example"),
                ("send_invite_message", "on"),
                ("cc_recipient", "bad cc"),
            ],
            "cannot contain spaces",
        ),
        (
            vec![("email", "a@fabrikam.example"), ("redirect_url", "javascript:alert(1)")],
            "http:// or https://",
        ),
        (
            vec![("email", "a@fabrikam.example"), ("redirect_url", "//evil.example")],
            "http:// or https://",
        ),
        (
            vec![("email", "a@fabrikam.example"), ("user_type", "Owner")],
            "Choose Guest or Member.",
        ),
        (
            vec![("email", ADMIN_EMAIL.to_uppercase().leak())],
            "already in the directory",
        ),
    ];
    for (fields, message) in cases {
        let res = invite(&app, &app.client, &fields).await;
        assert_eq!(res.status(), 422, "{message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        if let Some((_, email)) = fields.iter().find(|(k, _)| *k == "email")
            && !email.is_empty()
        {
            assert!(html.contains("aria-invalid=\"true\""), "the field is marked");
        }
    }
    // The final Invite step refuses the same way, even without the review.
    let html = app.get_html("/admin/users/invite").await;
    let token = crate::common::csrf_token(&html);
    let res = app
        .post_raw(
            &app.client,
            "/admin/users/invite",
            &[("csrf_token", &token), ("email", "bad")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn a_deleted_users_address_is_not_invited_again() {
    let (app, _sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    invite(&app, &app.client, &[("email", "gone@fabrikam.example")]).await;
    let id: String = sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = 'gone@fabrikam.example'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let del = format!("/admin/users/{id}/delete");
    assert_redirect_to(&app.submit(&del, &del, &[]).await, "/admin/users");
    let res = invite(&app, &app.client, &[("email", "GONE@fabrikam.example")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("belongs to a deleted user"));
}

#[tokio::test]
async fn a_double_submitted_form_acts_once() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let html = app.get_html("/admin/users/invite").await;
    let token = crate::common::csrf_token(&html);
    let key = attribute_after(&html, "name=\"form_key\" value=\"").unwrap();
    let fields = [
        ("csrf_token", token.as_str()),
        ("form_key", key.as_str()),
        ("email", "twice@fabrikam.example"),
    ];
    let first = app.post_raw(&app.client, "/admin/users/invite", &fields).await;
    let second = app.post_raw(&app.client, "/admin/users/invite", &fields).await;
    assert_redirect_to(&first, "/admin/users");
    assert_redirect_to(&second, "/admin/users");
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1);
    sink.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn two_concurrent_invites_of_one_address_make_one_user() {
    let (app, _sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let other = new_client();
    app.sign_in_with(&other, ADMIN_EMAIL, crate::common::ADMIN_PASSWORD)
        .await;
    let (a, b) = tokio::join!(
        invite(&app, &app.client, &[("email", "race@fabrikam.example")]),
        invite(&app, &other, &[("email", "Race@Fabrikam.example")]),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 422]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE mail_lower = 'race@fabrikam.example'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1);
}

#[tokio::test]
async fn a_guest_inviter_invites_guests_only_and_sees_no_other_admin_pages() {
    let (app, sink) = app_with_sink().await;
    app.create_member("inviter@contoso.test", "Inviter-passw0rd", "guest_inviter")
        .await;
    app.sign_in("inviter@contoso.test", "Inviter-passw0rd").await;
    let form = app.get_html("/admin/users/invite").await;
    assert!(!form.contains("<option value=\"Member\""), "no Member choice");
    let res = invite(
        &app,
        &app.client,
        &[("email", "m@fabrikam.example"), ("user_type", "Member")],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Your role can invite guests only."));
    let res = invite(&app, &app.client, &[("email", "g@fabrikam.example")]).await;
    assert_redirect_to(&res, "/admin/users");
    sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        sink.messages()[0].subject(),
        "Test Member invited you to access applications within their organization"
    );
    for page in [
        "/admin/groups",
        "/admin/apps",
        "/admin/roles",
        "/admin/settings",
        "/admin/users/new",
    ] {
        assert_eq!(app.get(page).await.status(), 403, "{page}");
    }
    // A Helpdesk Administrator cannot invite at all.
    let helpdesk = new_client();
    app.create_member("help@contoso.test", "Helpdesk-passw0rd", "helpdesk_administrator")
        .await;
    app.sign_in_with(&helpdesk, "help@contoso.test", "Helpdesk-passw0rd")
        .await;
    assert_eq!(app.get_with(&helpdesk, "/admin/users/invite").await.status(), 403);
    let list = app.get_with(&helpdesk, "/admin/users").await.text().await.unwrap();
    assert!(!list.contains("Invite external user"));
}

#[tokio::test]
async fn smtp_down_keeps_the_invitation_queued_until_it_comes_back() {
    let sink = SmtpSink::down();
    let url = sink.url();
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        s.mail_retry_base = Duration::from_secs(30);
        s.mail_poll = Duration::from_millis(50);
    })
    .await;
    app.sign_in_as_admin().await;
    let res = invite(&app, &app.client, &[("email", "patient@fabrikam.example")]).await;
    assert_redirect_to(&res, "/admin/users");
    assert!(
        app.get_html("/admin/users").await.contains("Pending acceptance"),
        "the invitation stands"
    );
    let id: String = sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = 'patient@fabrikam.example'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    // A claim counts the attempt before the send is tried; the failure is
    // recorded as last_error once the connection is refused.
    for _ in 0..200 {
        if app
            .count("SELECT COUNT(*) FROM outbox WHERE last_error IS NOT NULL AND status = 'queued'")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    assert!(
        profile.contains("Queued (retrying"),
        "the profile shows the failed attempt"
    );
    sink.come_up();
    app.clock.advance(3600);
    app.state.wake_mail();
    let mail = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mail.len(), 1);
}

#[tokio::test]
async fn a_permanent_smtp_refusal_shows_failed_with_the_reason() {
    let (app, sink) = app_with_sink().await;
    sink.refuse_next(1, 550);
    app.sign_in_as_admin().await;
    invite(&app, &app.client, &[("email", "nobody@fabrikam.example")]).await;
    for _ in 0..200 {
        if app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let id: String = sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = 'nobody@fabrikam.example'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    assert!(profile.contains("Failed: ") && profile.contains("550"), "{profile}");
}

#[tokio::test]
async fn block_future_invitations_stops_further_invitations_to_that_address() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    invite(&app, &app.client, &[("email", "first@fabrikam.example")]).await;
    let mail = sink.wait_for(1, Duration::from_secs(10)).await;
    let text = mail[0].text().unwrap();
    let start = text.find("/invitations/block?").unwrap();
    let path: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    // A GET only shows the question; nothing is blocked by opening the link.
    let reader = new_client();
    let page = app.get_with(&reader, &path).await.text().await.unwrap();
    assert!(page.contains("Stop invitations from <strong>Contoso</strong>"));
    assert_eq!(app.count("SELECT COUNT(*) FROM blocked_addresses").await, 0);
    let (address, sig) = {
        let q = path.split('?').nth(1).unwrap();
        let mut address = String::new();
        let mut sig = String::new();
        for pair in q.split('&') {
            let (k, v) = pair.split_once('=').unwrap();
            let v = v.replace("%40", "@");
            if k == "address" {
                address = v
            } else if k == "sig" {
                sig = v
            }
        }
        (address, sig)
    };
    let res = app
        .submit_with(
            &reader,
            &path,
            "/invitations/block",
            &[("address", &address), ("sig", &sig)],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("will not receive invitations from Contoso again")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM blocked_addresses").await, 1);
    // A forged signature is refused.
    assert_eq!(
        app.get("/invitations/block?address=other%40fabrikam.example&sig=forged")
            .await
            .status(),
        404
    );
    // An address blocked before it was ever invited cannot be invited.
    let link = vestibule::mail::links::block_link(
        &app.state.public_url,
        &app.state.secrets.block_links,
        "later@fabrikam.example",
    );
    let path = &link[app.address.len()..];
    let res = app
        .submit_with(
            &reader,
            path,
            "/invitations/block",
            &[
                ("address", "later@fabrikam.example"),
                ("sig", path.split("sig=").nth(1).unwrap()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = invite(&app, &app.client, &[("email", "Later@fabrikam.example")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("asked not to receive invitations"));
}
