//! The portal's flows as tests drive them over HTTP: a portal with an SMTP
//! sink, the Invite wizard, a group, a redeemed guest, a gallery app.

use std::time::Duration;

use reqwest::Client;

use super::smtp::SmtpSink;
use super::{TestApp, assert_redirect_to, attribute_after, location, new_client, spawn_app_with};

pub async fn app_with_sink() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        s.mail_retry_base = Duration::from_secs(5);
        s.mail_poll = Duration::from_millis(50);
    })
    .await;
    (app, sink)
}

/// The wizard as a browser fills it: open, Review + invite, Invite.
/// A portal whose SMTP server does not answer (`adjust` changes the rest
/// of its settings), with the admin signed in and one invitation, to
/// grace@fabrikam.test, whose email waits in the outbox.
pub async fn app_with_mail_down_and_an_invitation(
    adjust: impl FnOnce(&mut vestibule::config::Settings),
) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::down();
    let url = sink.url();
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        adjust(s);
    })
    .await;
    app.sign_in_as_admin().await;
    let fields = [("email", "grace@fabrikam.test"), ("display_name", "Grace Guest")];
    assert_redirect_to(&invite(&app, &app.client, &fields).await, "/admin/users");
    (app, sink)
}

pub async fn invite(app: &TestApp, client: &reqwest::Client, fields: &[(&str, &str)]) -> reqwest::Response {
    let html = app.get_with(client, "/admin/users/invite").await.text().await.unwrap();
    let token = crate::common::csrf_token(&html);
    let key = attribute_after(&html, "name=\"form_key\" value=\"").unwrap();
    let mut all = vec![("csrf_token", token.as_str()), ("form_key", key.as_str())];
    all.extend_from_slice(fields);
    let review = app.post_raw(client, "/admin/users/invite/review", &all).await;
    if review.status() != 200 {
        return review;
    }
    app.post_raw(client, "/admin/users/invite", &all).await
}

/// Creates a group through the New group form; returns its id.
pub async fn new_group(app: &TestApp, name: &str, description: &str, rule: Option<&str>) -> String {
    let mut fields = vec![("display_name", name), ("description", description)];
    match rule {
        Some(rule) => {
            fields.push(("membership_type", "DynamicUser"));
            fields.push(("membership_rule", rule));
        }
        None => fields.push(("membership_type", "Assigned")),
    }
    let res = app.submit("/admin/groups/new", "/admin/groups/new", &fields).await;
    assert_eq!(res.status(), 303, "the group is created");
    location(&res).trim_start_matches("/admin/groups/").to_owned()
}

pub async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = $1")
        .bind(email.to_lowercase())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// Invites `email` (with `extra` wizard fields) and returns the ticket from
/// the email that arrived.
pub async fn invite_guest(app: &TestApp, sink: &SmtpSink, email: &str, extra: &[(&str, &str)]) -> String {
    let before = sink.messages().len();
    let mut fields = vec![("email", email), ("display_name", "Grace Guest")];
    fields.extend_from_slice(extra);
    let res = invite(app, &app.client, &fields).await;
    assert_redirect_to(&res, "/admin/users");
    let mail = sink.wait_for(before + 1, Duration::from_secs(10)).await;
    let text = mail.last().unwrap().text().unwrap();
    let start = text.find("ticket=").expect("a redemption link") + "ticket=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The newest code sent to `address`.
pub async fn code_for(sink: &SmtpSink, address: &str, count: usize) -> String {
    let mail = sink.wait_for(count, Duration::from_secs(10)).await;
    let m = mail
        .iter()
        .rev()
        .find(|m| m.to == [address.to_string()] && m.subject().contains("verification code"))
        .expect("a code email");
    let text = m.text().unwrap();
    let start = text.find(": ").unwrap() + 2;
    text[start..start + 8].to_owned()
}

/// Open the link, Send code, enter it: the guest is on Review permissions.
pub async fn prove_address(app: &TestApp, sink: &SmtpSink, guest: &Client, ticket: &str, email: &str) {
    let link = format!("/redeem?ticket={ticket}");
    let sent_before = sink.messages().len();
    let res = app.submit_with(guest, &link, "/redeem/code", &[]).await;
    assert_redirect_to(&res, "/redeem/verify");
    let code = code_for(sink, email, sent_before + 1).await;
    let res = app
        .submit_with(guest, "/redeem/verify", "/redeem/verify", &[("code", &code)])
        .await;
    assert_redirect_to(&res, "/redeem/consent");
}

/// A guest who redeemed `email` and is signed in, with their ticket.
pub async fn accepted_guest(app: &TestApp, sink: &SmtpSink, email: &str) -> (Client, String) {
    let ticket = invite_guest(app, sink, email, &[]).await;
    let guest = new_client();
    prove_address(app, sink, &guest, &ticket, email).await;
    assert_redirect_to(
        &app.submit_with(&guest, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
    (guest, ticket)
}

/// DocuSign from the gallery: (app id, Default Access, DocuSign Sender).
pub async fn docusign(app: &TestApp) -> (String, String, String) {
    let created = vestibule::services::applications::create_from_gallery(
        &app.state,
        &super::system_admin(),
        "docusign",
        "DocuSign",
    )
    .await
    .unwrap();
    let role = |name: &'static str| {
        let db = app.db.clone();
        let id = created.id.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT id FROM app_roles WHERE app_id = $1 AND display_name = $2")
                .bind(id)
                .bind(name)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    let default = role("Default Access").await;
    let sender = role("DocuSign Sender").await;
    (created.id, default, sender)
}

pub const HEADINGS: &str = "Email address to invite [inviteeEmail] Required,Redirection url [inviteRedirectURL] \
    Required,Send invitation message (true or false) [sendEmail],Customized invitation message \
    [customizedMessageBody]";

/// A filled-in template: the version row, the headings, then `rows`.
pub fn template(rows: &[&str]) -> String {
    let mut text = format!("version:v1.0\r\n{HEADINGS}\r\n");
    for row in rows {
        text.push_str(row);
        text.push_str("\r\n");
    }
    text
}

/// A portal published at https://portal.contoso.test (behind a proxy).
pub async fn spawn_https_portal() -> TestApp {
    spawn_app_with(|s| {
        s.public_url = Some("https://portal.contoso.test".into());
        s.session_key = Some(session_key());
    })
    .await
}

pub fn session_key() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([42u8; 64])
}

/// Bulk invite as `vestibule invite-bulk` runs it: the service, as `email`
/// (holding `roles`), on a filled-in template's `rows`.
pub async fn bulk_invite_as(
    app: &TestApp,
    email: &str,
    roles: &[vestibule::domain::Role],
    rows: &[&str],
    options: vestibule::services::bulk_invite::BulkOptions,
) -> Result<vestibule::services::bulk_invite::BulkReport, vestibule::services::ServiceError> {
    let id = user_id(app, email).await;
    let admin = vestibule::services::Admin {
        actor: vestibule::store::audit::Actor {
            id: Some(id.clone()),
            name: Some(email.into()),
            client_ip: None,
        },
        id: &id,
        roles,
    };
    let rows = vestibule::services::bulk_template::read(&template(rows)).unwrap();
    vestibule::services::bulk_invite::bulk_invite(&app.state, &admin, &rows, &options).await
}
