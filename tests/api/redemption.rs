//! The guest's side: from the email to My Apps, and back later.

use std::time::Duration;

use reqwest::Client;

use crate::common::flows::app_with_sink;
use crate::common::flows::{accepted_guest, code_for, invite_guest, prove_address};
use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, assert_redirect_to, csrf_token, new_client, new_client_with_jar};

async fn post(app: &TestApp, client: &Client, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.submit_with(client, page, action, fields).await
}

async fn state_of(app: &TestApp, email: &str) -> (String, String) {
    sqlx::query_as("SELECT id, external_user_state FROM users WHERE mail_lower = $1")
        .bind(email.to_lowercase())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_guest_goes_from_the_email_to_my_apps() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let ticket = invite_guest(&app, &sink, "grace@fabrikam.example", &[]).await;
    let (guest, jar) = new_client_with_jar();

    let page = app.get_with(&guest, &format!("/redeem?ticket={ticket}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Contoso") && html.contains("contoso.test"));
    assert!(html.contains("Administrator (admin@contoso.test) invited you"));
    assert!(html.contains("Send code"));

    prove_address(&app, &sink, &guest, &ticket, "grace@fabrikam.example").await;
    let code_mail = sink
        .messages()
        .into_iter()
        .find(|m| m.subject() == "Your Contoso verification code")
        .unwrap();
    assert!(code_mail.text().unwrap().contains("expires in 30 minutes"));

    let consent = app.get_with(&guest, "/redeem/consent").await.text().await.unwrap();
    assert!(consent.contains("<h1>Review permissions</h1>") && consent.contains("Permissions requested by"));
    assert!(consent.contains("Grace Guest") && consent.contains("grace@fabrikam.example"));
    assert!(consent.contains("Contoso has not provided links to their terms for you to review"));
    let url: reqwest::Url = app.address.parse().unwrap();
    let before = reqwest::cookie::CookieStore::cookies(&*jar, &url);
    let res = post(&app, &guest, "/redeem/consent", "/redeem/accept", &[]).await;
    assert_redirect_to(&res, "/myapps");
    let after = reqwest::cookie::CookieStore::cookies(&*jar, &url);
    assert_ne!(before, after, "the session is renewed at redemption");

    let my_apps = app.get_with(&guest, "/myapps").await.text().await.unwrap();
    assert!(my_apps.contains("There are no apps to show") && my_apps.contains("Contoso"));
    assert!(my_apps.contains("Organizations") && my_apps.contains("Sign out"));
    assert!(!my_apps.contains("All users"), "a guest has no admin navigation");
    assert_eq!(state_of(&app, "grace@fabrikam.example").await.1, "Accepted");
    let list = app.get_html("/admin/users?search=grace").await;
    assert!(list.contains("<td>Accepted</td>"));
    assert_eq!(app.count("SELECT COUNT(*) FROM consents").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Redeem external user invite'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM one_time_codes WHERE used_at IS NOT NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn opening_the_link_never_changes_anything() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let ticket = invite_guest(&app, &sink, "scanned@fabrikam.example", &[]).await;
    for _ in 0..3 {
        // A mail scanner or a link preview: no cookies, GET only.
        let res = crate::common::bare_client()
            .get(app.url(&format!("/redeem?ticket={ticket}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(state_of(&app, "scanned@fabrikam.example").await.1, "PendingAcceptance");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM one_time_codes").await, 0);
    // The guest can still redeem afterwards.
    let guest = new_client();
    prove_address(&app, &sink, &guest, &ticket, "scanned@fabrikam.example").await;
}

#[tokio::test]
async fn a_ticket_redeems_once_then_leads_to_sign_in() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let ticket = invite_guest(&app, &sink, "once@fabrikam.example", &[]).await;
    let guest = new_client();
    prove_address(&app, &sink, &guest, &ticket, "once@fabrikam.example").await;
    assert_redirect_to(
        &post(&app, &guest, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
    let again = app.get_with(&new_client(), &format!("/redeem?ticket={ticket}")).await;
    assert_redirect_to(&again, "/signin?next=%2Fmyapps");
    assert_eq!(app.count("SELECT COUNT(*) FROM consents").await, 1);
}

#[tokio::test]
async fn unknown_and_deleted_links_get_one_page_and_replaced_links_say_so() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let ticket = invite_guest(&app, &sink, "gone@fabrikam.example", &[]).await;
    let unknown = app.get_with(&new_client(), "/redeem?ticket=not-a-real-ticket").await;
    assert_eq!(unknown.status(), 410);
    let unknown = unknown.text().await.unwrap();
    assert!(unknown.contains("This invitation link is not valid"));
    let (id, _) = state_of(&app, "gone@fabrikam.example").await;
    let del = format!("/admin/users/{id}/delete");
    assert_redirect_to(&app.submit(&del, &del, &[]).await, "/admin/users");
    let deleted = app.get_with(&new_client(), &format!("/redeem?ticket={ticket}")).await;
    assert_eq!(deleted.status(), 410);
    assert_eq!(
        deleted.text().await.unwrap(),
        unknown,
        "the same page: it does not say which"
    );
    assert_eq!(app.get_with(&new_client(), "/redeem").await.status(), 410);

    let ticket = invite_guest(&app, &sink, "old@fabrikam.example", &[]).await;
    sqlx::query("UPDATE invitations SET status = 'replaced' WHERE invited_email = 'old@fabrikam.example'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let replaced = app.get_with(&new_client(), &format!("/redeem?ticket={ticket}")).await;
    assert_eq!(replaced.status(), 410);
    assert!(replaced.text().await.unwrap().contains("replaced by a newer one"));
}

#[tokio::test]
async fn wrong_expired_and_exhausted_codes_are_refused() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let ticket = invite_guest(&app, &sink, "codes@fabrikam.example", &[]).await;
    let guest = new_client();
    let link = format!("/redeem?ticket={ticket}");
    assert_redirect_to(&post(&app, &guest, &link, "/redeem/code", &[]).await, "/redeem/verify");
    let code = code_for(&sink, "codes@fabrikam.example", 2).await;
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    let res = post(&app, &guest, "/redeem/verify", "/redeem/verify", &[("code", wrong)]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("That code is not right."));
    for _ in 0..4 {
        post(&app, &guest, "/redeem/verify", "/redeem/verify", &[("code", wrong)]).await;
    }
    // Five wrong attempts: even the right code needs replacing now.
    let res = post(&app, &guest, "/redeem/verify", "/redeem/verify", &[("code", &code)]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Send a new code"));

    // A new code works; it expires after 30 minutes.
    assert_redirect_to(
        &post(&app, &guest, "/redeem/verify", "/redeem/code", &[]).await,
        "/redeem/verify",
    );
    let fresh = code_for(&sink, "codes@fabrikam.example", 3).await;
    app.clock.advance(31 * 60);
    let res = post(&app, &guest, "/redeem/verify", "/redeem/verify", &[("code", &fresh)]).await;
    assert_eq!(res.status(), 422, "expired");
    assert_redirect_to(
        &post(&app, &guest, "/redeem/verify", "/redeem/code", &[]).await,
        "/redeem/verify",
    );
    let newest = code_for(&sink, "codes@fabrikam.example", 4).await;
    if newest != fresh {
        let res = post(&app, &guest, "/redeem/verify", "/redeem/verify", &[("code", &fresh)]).await;
        assert_eq!(res.status(), 422, "an older code stops working when a new one is sent");
    }
    let res = post(&app, &guest, "/redeem/verify", "/redeem/verify", &[("code", &newest)]).await;
    assert_redirect_to(&res, "/redeem/consent");
    assert_eq!(
        state_of(&app, "codes@fabrikam.example").await.1,
        "PendingAcceptance",
        "not yet accepted"
    );
}

#[tokio::test]
async fn without_the_code_setting_the_link_is_enough_and_consent_is_asked_once() {
    let (app, sink) = app_with_sink().await;
    sqlx::query("UPDATE organization SET otp_at_redemption = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    // The instance reads the organization through a short cache.
    app.state.organization.forget();
    app.sign_in_as_admin().await;
    let ticket = invite_guest(&app, &sink, "quick@fabrikam.example", &[]).await;
    let guest = new_client();
    let link = format!("/redeem?ticket={ticket}");
    let html = app.get_with(&guest, &link).await.text().await.unwrap();
    assert!(html.contains("Continue") && !html.contains("Send code"));
    // Without the step, the consent page cannot be skipped to directly.
    assert_redirect_to(&app.get_with(&guest, "/redeem/consent").await, "/redeem/verify");
    assert_redirect_to(
        &post(&app, &guest, &link, "/redeem/continue", &[]).await,
        "/redeem/consent",
    );
    assert_redirect_to(
        &post(&app, &guest, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM one_time_codes").await, 0);

    // Days later the guest signs in with a code (always, whatever the
    // setting) and is not asked to consent again.
    app.clock.advance(3 * 24 * 3600);
    assert_eq!(
        app.get_with(&guest, "/myapps").await.status(),
        303,
        "a guest session lasts 24 hours"
    );
    let later = new_client();
    let sent = sink.messages().len();
    let res = post(
        &app,
        &later,
        "/signin",
        "/signin/code",
        &[("email", "Quick@fabrikam.example")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let code = code_for(&sink, "quick@fabrikam.example", sent + 1).await;
    let res = app
        .submit_with(&later, "/signin", "/signin/code/verify", &[("code", &code)])
        .await;
    // submit_with fetched a fresh form, keeping the session's address.
    assert_redirect_to(&res, "/myapps");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM consents").await,
        1,
        "consent asked once"
    );

    // New terms of use ask for consent again at the next sign-in.
    sqlx::query("UPDATE organization SET terms_of_use = 'Be kind.', terms_version = 1")
        .execute(app.db.pool())
        .await
        .unwrap();
    // The instance reads the organization through a short cache.
    app.state.organization.forget();
    let again = new_client();
    let sent = sink.messages().len();
    post(
        &app,
        &again,
        "/signin",
        "/signin/code",
        &[("email", "quick@fabrikam.example")],
    )
    .await;
    let code = code_for(&sink, "quick@fabrikam.example", sent + 1).await;
    let res = app
        .submit_with(&again, "/signin", "/signin/code/verify", &[("code", &code)])
        .await;
    assert_redirect_to(&res, "/redeem/consent");
    let consent = app.get_with(&again, "/redeem/consent").await.text().await.unwrap();
    assert!(consent.contains("Be kind."));
    assert_redirect_to(
        &post(&app, &again, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM consents WHERE terms_version = 1").await,
        1
    );
}

#[tokio::test]
async fn the_redirect_url_is_shown_before_leaving_and_checked_again() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let target = "https://apps.fabrikam.example/start?x=1";
    let ticket = invite_guest(&app, &sink, "away@fabrikam.example", &[("redirect_url", target)]).await;
    let guest = new_client();
    prove_address(&app, &sink, &guest, &ticket, "away@fabrikam.example").await;
    let res = post(&app, &guest, "/redeem/consent", "/redeem/accept", &[]).await;
    assert_eq!(res.status(), 200, "an interstitial, not a redirect");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("https://apps.fabrikam.example/start?x=1")
            || html.contains("https://apps.fabrikam.example/start?x&#61;1")
    );
    assert!(html.contains("Continue") && html.contains("My Apps"));

    // A URL that slipped into the store is checked again: My Apps instead.
    let ticket = invite_guest(&app, &sink, "sly@fabrikam.example", &[]).await;
    sqlx::query(
        "UPDATE invitations SET redirect_url = 'javascript:alert(1)' WHERE invited_email = 'sly@fabrikam.example'",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    let sly = new_client();
    prove_address(&app, &sink, &sly, &ticket, "sly@fabrikam.example").await;
    assert_redirect_to(
        &post(&app, &sly, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
}

#[tokio::test]
async fn cancel_shares_nothing() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let ticket = invite_guest(&app, &sink, "shy@fabrikam.example", &[]).await;
    let guest = new_client();
    prove_address(&app, &sink, &guest, &ticket, "shy@fabrikam.example").await;
    let res = post(&app, &guest, "/redeem/consent", "/redeem/cancel", &[]).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Nothing was shared"));
    assert_eq!(state_of(&app, "shy@fabrikam.example").await.1, "PendingAcceptance");
    assert_eq!(app.count("SELECT COUNT(*) FROM consents").await, 0);
    assert_eq!(app.get_with(&guest, "/myapps").await.status(), 303, "not signed in");
}

#[tokio::test]
async fn a_guest_reaches_no_admin_page_and_no_other_guest() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    invite_guest(&app, &sink, "b@fabrikam.example", &[]).await;
    let (b_id, _) = state_of(&app, "b@fabrikam.example").await;
    let (guest, _) = accepted_guest(&app, &sink, "a@fabrikam.example").await;
    for path in [
        "/admin/users".to_string(),
        format!("/admin/users/{b_id}"),
        format!("/admin/users/{b_id}/edit"),
        "/admin/users/invite".into(),
        "/admin/roles".into(),
        "/admin/audit".into(),
        "/admin/settings".into(),
    ] {
        assert_eq!(app.get_with(&guest, &path).await.status(), 403, "{path}");
    }
    let res = post(&app, &guest, "/myapps", &format!("/admin/users/{b_id}/delete"), &[]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL")
            .await,
        0
    );
    assert_redirect_to(&app.get_with(&guest, "/").await, "/myapps");
}

#[tokio::test]
async fn signing_in_with_a_code_does_not_tell_which_addresses_exist() {
    let (app, sink) = app_with_sink().await;
    app.create_member("member@contoso.test", "Member-passw0rd", "").await;
    app.sign_in_as_admin().await;
    invite_guest(&app, &sink, "pending@fabrikam.example", &[]).await;
    let sent = sink.messages().len();
    let mut bodies = Vec::new();
    for address in [
        "pending@fabrikam.example",
        "member@contoso.test",
        "nobody@fabrikam.example",
    ] {
        let client = new_client();
        let res = post(&app, &client, "/signin", "/signin/code", &[("email", address)]).await;
        assert_eq!(res.status(), 200, "{address}");
        let html = res.text().await.unwrap();
        let token = csrf_token(&html);
        bodies.push(html.replace(&token, "TOKEN").replace(address, "ADDRESS"));
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[1], bodies[2]);
    assert!(bodies[0].contains("If ADDRESS can sign in with a code, we sent one to it."));
    // Only the guest got a code.
    let mail = sink.wait_for(sent + 1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), sent + 1);
    assert_eq!(mail.last().unwrap().to, ["pending@fabrikam.example"]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sign_in_code_requests").await,
        0,
        "every request was worked off"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM one_time_codes").await, 1);
}

#[tokio::test]
async fn asking_for_a_sign_in_code_only_queues_the_address_whoever_it_belongs_to() {
    let (app, sink) = app_with_sink().await;
    app.create_member("member@contoso.test", "Member-passw0rd", "").await;
    app.sign_in_as_admin().await;
    invite_guest(&app, &sink, "pending@fabrikam.example", &[]).await;
    let outbox = app.count("SELECT COUNT(*) FROM outbox").await;
    // What the request does, on a state with no task working off the
    // queue: as if the instance stopped right after answering.
    let stopped = vestibule::startup::command_state(app.settings.clone(), app.clock.clone())
        .await
        .unwrap();
    let addresses = [
        "pending@fabrikam.example",
        "member@contoso.test",
        "nobody@fabrikam.example",
    ];
    for address in addresses {
        vestibule::services::sign_in_codes::request(&stopped, address)
            .await
            .unwrap();
    }
    let queued: Vec<String> = sqlx::query_scalar("SELECT address FROM sign_in_code_requests ORDER BY address")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let mut expected = addresses.map(str::to_owned);
    expected.sort();
    assert_eq!(queued, expected, "one row of the same kind for every address");
    assert_eq!(app.count("SELECT COUNT(*) FROM one_time_codes").await, 0, "no code yet");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, outbox, "no email yet");

    // The next instance to start works the queue off: only the guest gets a code.
    let sent = sink.messages().len();
    let url = sink.url();
    let database_url = app.settings.database_url.clone();
    let data_dir = app.settings.data_dir.clone();
    let _next = crate::common::spawn_app_with(|s| {
        s.database_url = database_url;
        // Instances of one deployment share the server key (here, its file).
        s.data_dir = data_dir;
        s.smtp_url = Some(url);
        s.mail_poll = Duration::from_millis(50);
    })
    .await;
    code_for(&sink, "pending@fabrikam.example", sent + 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), sent + 1, "one code, to the guest");
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_code_requests").await, 0);
    let owners: Vec<Option<String>> = sqlx::query_scalar("SELECT user_id FROM one_time_codes")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(owners, [Some(state_of(&app, "pending@fabrikam.example").await.0)]);
}

#[tokio::test]
async fn a_pending_guest_who_signs_in_goes_through_review_permissions() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    invite_guest(&app, &sink, "later@fabrikam.example", &[]).await;
    let sent = sink.messages().len();
    sign_in_with_a_code_and_accept(&app, &sink, "later@fabrikam.example", sent + 1).await;
}

/// A pending guest asks for a sign-in code, enters the `nth` email's code
/// and accepts on Review permissions.
async fn sign_in_with_a_code_and_accept(app: &TestApp, sink: &SmtpSink, address: &str, nth: usize) {
    let guest = new_client();
    let res = post(app, &guest, "/signin", "/signin/code", &[("email", address)]).await;
    assert_eq!(res.status(), 200);
    let code = code_for(sink, address, nth).await;
    let res = app
        .submit_with(&guest, "/signin", "/signin/code/verify", &[("code", &code)])
        .await;
    assert_redirect_to(&res, "/redeem/consent");
    assert_redirect_to(
        &post(app, &guest, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
    assert_eq!(state_of(app, address).await.1, "Accepted");
}

#[tokio::test]
async fn leaving_deletes_the_guest_softly_and_ends_the_session() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let (guest, ticket) = accepted_guest(&app, &sink, "leaver@fabrikam.example").await;
    let orgs = app
        .get_with(&guest, "/account/organizations")
        .await
        .text()
        .await
        .unwrap();
    assert!(orgs.contains("Leave organization") && orgs.contains("You are a guest of Contoso."));
    let confirm = app
        .get_with(&guest, "/account/organizations/leave")
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Leave <strong>Contoso</strong>?"));
    let res = post(
        &app,
        &guest,
        "/account/organizations/leave",
        "/account/organizations/leave",
        &[],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("You left the organization"));
    assert_eq!(app.get_with(&guest, "/myapps").await.status(), 303, "the session ended");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL")
            .await,
        1,
        "softly"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Leave organization'")
            .await,
        1
    );
    assert_eq!(
        app.get_with(&new_client(), &format!("/redeem?ticket={ticket}"))
            .await
            .status(),
        410
    );
}

#[tokio::test]
async fn guests_cannot_leave_when_the_organization_says_no() {
    let (app, sink) = app_with_sink().await;
    sqlx::query("UPDATE organization SET guests_may_leave = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    // The instance reads the organization through a short cache.
    app.state.organization.forget();
    app.sign_in_as_admin().await;
    let (guest, _) = accepted_guest(&app, &sink, "stay@fabrikam.example").await;
    let orgs = app
        .get_with(&guest, "/account/organizations")
        .await
        .text()
        .await
        .unwrap();
    assert!(!orgs.contains(">Leave organization<") && orgs.contains("does not let guests leave"));
    let res = post(
        &app,
        &guest,
        "/account/organizations",
        "/account/organizations/leave",
        &[],
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn codes_and_the_guest_flow_are_rate_limited() {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = crate::common::spawn_app_with(|s| {
        s.smtp_url = Some(url);
        s.code_limit_per_address = 2;
        s.guest_flow_limit_per_ip = 8;
    })
    .await;
    let client = new_client();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = post(
            &app,
            &client,
            "/signin",
            "/signin/code",
            &[("email", "x@fabrikam.example")],
        )
        .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
    let mut last = 0;
    for _ in 0..10 {
        last = app.get_with(&client, "/redeem?ticket=nothing").await.status().as_u16();
    }
    assert_eq!(last, 429);
    let html = app
        .get_with(&client, "/redeem?ticket=nothing")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Too many attempts"), "a readable page");
}

#[tokio::test]
async fn a_reset_in_the_same_second_as_the_invitation_leaves_the_newest_one_in_use() {
    let (app, sink) = app_with_sink().await;
    app.create_member("second@contoso.test", "Second-passw0rd", "global_administrator")
        .await;
    app.sign_in_as_admin().await;
    let address = "same.second@fabrikam.example";
    accepted_guest(&app, &sink, address).await;
    let (id, _) = state_of(&app, address).await;
    // Another Global Administrator resets it; the manual clock stands still.
    let second = new_client();
    assert_redirect_to(
        &app.sign_in_with(&second, "second@contoso.test", "Second-passw0rd")
            .await,
        "/",
    );
    let sent = sink.messages().len();
    let page = format!("/admin/users/{id}/reset-redemption");
    let res = app.submit_with(&second, &page, &page, &[("email", address)]).await;
    assert_redirect_to(&res, &format!("/admin/users/{id}"));
    sink.wait_for(sent + 1, Duration::from_secs(10)).await;
    // The system clock may have ticked meanwhile: put the replaced
    // invitation in the same second as the new one, with the id that sorts
    // last, the worst case for a tie broken by id.
    sqlx::query(
        "UPDATE invitations SET id = 'ffffffff-ffff-4fff-bfff-ffffffffffff', \
         created_at = (SELECT MAX(created_at) FROM invitations WHERE user_id = $1) \
         WHERE user_id = $1 AND status = 'replaced'",
    )
    .bind(&id)
    .execute(app.db.pool())
    .await
    .unwrap();
    let seconds: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT created_at) FROM invitations WHERE user_id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(seconds, 1, "both invitations in one second");

    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    assert!(
        profile.contains("<dt>Invited by</dt><dd>Test Member</dd>"),
        "the profile shows the newest invitation"
    );
    sign_in_with_a_code_and_accept(&app, &sink, address, sent + 2).await;
}
