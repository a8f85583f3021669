//! Invite a guest: members (and guests, under the most inclusive level)
//! invite from My Apps' user menu when the guest invite settings let them.
//! Only the address, the display name and a message; the wizard's email
//! and rules; audited with the inviter. Each level × kind of user is
//! checked on the server.

use std::time::Duration;

use reqwest::{Client, StatusCode};

use crate::common::flows::{accepted_guest, app_with_sink, user_id};
use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, assert_redirect_to, attribute_after, csrf_token, new_client};

const PAGE: &str = "/account/invite";
const LINK: &str = "data-testid=\"invite-guest-link\"";

async fn set_level(app: &TestApp, level: &str) {
    app.clock.advance(1);
    let res = app
        .submit(
            "/admin/settings/collaboration",
            "/admin/settings/collaboration",
            &[
                ("otp_at_redemption", "on"),
                ("guests_may_leave", "on"),
                ("guest_session_hours", "24"),
                ("allow_invites_from", level),
                ("domain_policy", "any"),
            ],
        )
        .await;
    assert_redirect_to(&res, "/admin/settings");
}

/// The page as a browser fills it: open, then Invite with its form key.
async fn invite_as(app: &TestApp, client: &Client, fields: &[(&str, &str)]) -> reqwest::Response {
    let html = app.get_with(client, PAGE).await.text().await.unwrap();
    let token = csrf_token(&html);
    let key = attribute_after(&html, "name=\"form_key\" value=\"").unwrap();
    let mut all = vec![("csrf_token", token.as_str()), ("form_key", key.as_str())];
    all.extend_from_slice(fields);
    app.post_raw(client, PAGE, &all).await
}

struct People {
    member: Client,
    guest: Client,
    helpdesk: Client,
    inviter: Client,
}

async fn people(app: &TestApp, sink: &SmtpSink) -> People {
    app.sign_in_as_admin().await;
    app.create_member("member@contoso.test", "Member-passw0rd", "").await;
    app.create_member("help@contoso.test", "Helpdesk-passw0rd", "helpdesk_administrator")
        .await;
    app.create_member("inviter@contoso.test", "Inviter-passw0rd", "guest_inviter")
        .await;
    let signed_in = |email: &'static str, password: &'static str| async move {
        let client = new_client();
        app.sign_in_with(&client, email, password).await;
        client
    };
    let (guest, _) = accepted_guest(app, sink, "guest@fabrikam.example").await;
    People {
        member: signed_in("member@contoso.test", "Member-passw0rd").await,
        guest,
        helpdesk: signed_in("help@contoso.test", "Helpdesk-passw0rd").await,
        inviter: signed_in("inviter@contoso.test", "Inviter-passw0rd").await,
    }
}

#[tokio::test]
async fn each_level_admits_exactly_its_inviters_on_the_page_in_the_menu_and_on_submit() {
    let (app, sink) = app_with_sink().await;
    let people = people(&app, &sink).await;
    // (level, member, guest, helpdesk admin (a member without an inviting
    // role), guest inviter)
    let table = [
        ("adminsAndGuestInviters", false, false, false, true),
        ("adminsGuestInvitersAndAllMembers", true, false, true, true),
        ("everyone", true, true, true, true),
        ("none", false, false, false, false),
    ];
    let mut serial = 0;
    for (level, member, guest, helpdesk, inviter) in table {
        set_level(&app, level).await;
        for (who, client, admitted) in [
            ("member", &people.member, member),
            ("guest", &people.guest, guest),
            ("helpdesk", &people.helpdesk, helpdesk),
            ("inviter", &people.inviter, inviter),
        ] {
            let my_apps = app.get_with(client, "/myapps").await.text().await.unwrap();
            assert_eq!(my_apps.contains(LINK), admitted, "{level} {who}: the user menu");
            let page = app.get_with(client, PAGE).await;
            let status = page.status();
            let html = page.text().await.unwrap();
            let users_before = app.count("SELECT COUNT(*) FROM users").await;
            serial += 1;
            let address = format!("new{serial}@woodgrove.example");
            let token = csrf_token(&my_apps);
            let res = app
                .post_raw(client, PAGE, &[("csrf_token", &token), ("email", &address)])
                .await;
            if admitted {
                assert_eq!(status, StatusCode::OK, "{level} {who}");
                assert!(html.contains("<h1>Invite a guest</h1>"));
                assert_redirect_to(&res, PAGE);
                assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users_before + 1);
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{level} {who}");
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{level} {who}");
                assert_eq!(
                    app.count("SELECT COUNT(*) FROM users").await,
                    users_before,
                    "{level} {who}"
                );
            }
        }
    }
    // Signed out: to sign in first.
    let res = new_client().get(app.url(PAGE)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_member_invites_a_guest_with_only_address_name_and_message() {
    let (app, sink) = app_with_sink().await;
    let people = people(&app, &sink).await;
    set_level(&app, "adminsGuestInvitersAndAllMembers").await;
    let page = app.get_with(&people.member, PAGE).await.text().await.unwrap();
    for field in ["name=\"email\"", "name=\"display_name\"", "name=\"message\""] {
        assert!(page.contains(field), "{field}");
    }
    for absent in ["user_type", "group_ids", "app_role_ids", "cc_recipient", "redirect_url"] {
        assert!(!page.contains(absent), "{absent}: {page}");
    }
    let sent_before = sink.messages().len();
    // Fields the page does not have are ignored, not obeyed.
    let res = invite_as(
        &app,
        &people.member,
        &[
            ("email", "Partner@Woodgrove.example"),
            ("display_name", "Pat Partner"),
            ("message", "Welcome aboard."),
            ("user_type", "Member"),
            ("redirect_url", "https://evil.example/"),
        ],
    )
    .await;
    assert_redirect_to(&res, PAGE);
    let done = app.get_with(&people.member, PAGE).await.text().await.unwrap();
    assert!(
        done.contains("An invitation was sent to Partner@Woodgrove.example."),
        "{done}"
    );
    let mail = sink.wait_for(sent_before + 1, Duration::from_secs(10)).await;
    let mail = mail.last().unwrap();
    assert_eq!(mail.to, ["Partner@Woodgrove.example".to_string()]);
    assert_eq!(
        mail.subject(),
        "Test Member invited you to access applications within their organization"
    );
    assert!(mail.text().unwrap().contains("Welcome aboard."));
    let member_id = user_id(&app, "member@contoso.test").await;
    let (user_type, display_name, invited_by): (String, String, String) = sqlx::query_as(
        "SELECT user_type, display_name, invited_by FROM users WHERE mail_lower = 'partner@woodgrove.example'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!((user_type.as_str(), display_name.as_str()), ("Guest", "Pat Partner"));
    assert_eq!(invited_by, member_id);
    let redirect: Option<String> =
        sqlx::query_scalar("SELECT redirect_url FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.mail_lower = 'partner@woodgrove.example'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(redirect, None, "a guest invited here lands on My Apps");
    let audited: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT activity, actor_id FROM audit_log WHERE target_name = 'Partner@Woodgrove.example' ORDER BY activity",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            ("Add user".to_string(), Some(member_id.clone())),
            ("Invite external user".to_string(), Some(member_id)),
        ]
    );
}

#[tokio::test]
async fn bad_duplicate_or_forged_input_is_refused_and_nothing_is_written() {
    let (app, sink) = app_with_sink().await;
    let people = people(&app, &sink).await;
    set_level(&app, "everyone").await;
    let users_before = app.count("SELECT COUNT(*) FROM users").await;
    let outbox_before = app.count("SELECT COUNT(*) FROM outbox").await;
    let long_message = "m".repeat(2001);
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("email", "")], "id=\"email_error\""),
        (&[("email", "not an address")], "id=\"email_error\""),
        (&[("email", "guest@fabrikam.example")], "is already in the directory"),
        (&[("email", "member@contoso.test")], "is already in the directory"),
        (
            &[("email", "ok@woodgrove.example"), ("message", &long_message)],
            "A message has at most 2000 characters.",
        ),
    ];
    for (fields, message) in cases {
        let res = invite_as(&app, &people.guest, fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:.60?}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
    }
    // No CSRF token, or a forged one.
    let res = app
        .post_raw(&people.guest, PAGE, &[("email", "ok@woodgrove.example")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post_raw(
            &people.guest,
            PAGE,
            &[("csrf_token", "forged"), ("email", "ok@woodgrove.example")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users_before);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, outbox_before);

    // A double submit of one opening of the page invites once.
    let html = app.get_with(&people.guest, PAGE).await.text().await.unwrap();
    let token = csrf_token(&html);
    let key = attribute_after(&html, "name=\"form_key\" value=\"").unwrap();
    let fields = [
        ("csrf_token", token.as_str()),
        ("form_key", key.as_str()),
        ("email", "twice@woodgrove.example"),
    ];
    assert_redirect_to(&app.post_raw(&people.guest, PAGE, &fields).await, PAGE);
    assert_redirect_to(&app.post_raw(&people.guest, PAGE, &fields).await, PAGE);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users_before + 1);
}
