//! Browser tests: a real Vestibule driven through headless Chromium, one
//! module per kind of flow. Run them with `scripts/test` (it installs
//! chromium, chromium-driver and axe-core, and runs these one at a time).
//!
//! Every page a test lands on is audited with axe-core (see `checks`); the
//! test `a11y::every_page_type_passes_axe` walks every page type itself and
//! fails when fewer than `a11y::PAGE_TYPES` were audited, or when a file
//! under `templates/` was never rendered on an audited page (`templates`).

#[path = "../common/mod.rs"]
mod common;

mod browser;
mod checks;

mod a11y;
mod admin;
mod bulk;
mod guest;
mod identity_provider;
mod invite_guest;
mod layout;
mod lifecycle;
mod single_sign_on;
mod templates;

use std::time::Duration;

use browser::Browser;
use common::TestApp;
use common::smtp::{Received, SmtpSink};

const MAIL_WAIT: Duration = Duration::from_secs(10);

/// A portal that sends its mail to an SMTP sink in this process.
async fn spawn_with_mail() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let smtp = sink.url();
    let app = common::spawn_app_with(|s| {
        s.smtp_url = Some(smtp);
        s.mail_poll = Duration::from_millis(50);
    })
    .await;
    (app, sink)
}

/// `VESTIBULE_SCREENSHOT_DIR`, where `scripts/screenshots` wants pictures.
fn screenshots() -> Option<String> {
    std::env::var("VESTIBULE_SCREENSHOT_DIR").ok().filter(|d| !d.is_empty())
}

async fn sign_in_as_admin(browser: &Browser, app: &TestApp) {
    browser.goto(&app.url("/signin")).await;
    browser.fill("Email", common::ADMIN_EMAIL).await;
    browser.fill("Password", common::ADMIN_PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.wait_for_path("/admin/users").await;
}

/// A new browser with the admin signed in, on All users.
async fn admin_browser(app: &TestApp) -> Browser {
    let admin = Browser::start().await;
    sign_in_as_admin(&admin, app).await;
    admin
}

/// All users → Invite external user → Email and Display name → Review +
/// invite → Invite, as the signed-in admin.
async fn invite_with_the_wizard(admin: &Browser, email: &str, name: &str) {
    admin.click_link("Invite external user").await;
    admin.wait_for_path("/admin/users/invite").await;
    fill_invite_and_send(admin, email, name).await;
}

/// On the Invite external user form: Email, Display name, Review + invite,
/// Invite; lands on All users with the notification.
async fn fill_invite_and_send(admin: &Browser, email: &str, name: &str) {
    admin.fill("Email", email).await;
    admin.fill("Display name", name).await;
    admin.click_button("Review + invite").await;
    admin.wait_for_path("/admin/users/invite/review").await;
    admin.click_button("Invite").await;
    admin.wait_for_text("Successfully invited user").await;
}

/// The text after `marker` in an email, up to whitespace.
fn after(text: &str, marker: &str) -> String {
    let start = text.find(marker).unwrap_or_else(|| panic!("{marker} in {text}")) + marker.len();
    text[start..].chars().take_while(|c| !c.is_whitespace()).collect()
}

/// The newest message the sink received for `to`, waiting for it to be the
/// `count`-th message addressed there.
async fn nth_mail_to(sink: &SmtpSink, to: &str, count: usize) -> Received {
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    loop {
        let mine: Vec<Received> = sink
            .messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect();
        if mine.len() >= count {
            return mine[count - 1].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{count} message(s) to {to} did not arrive; {} did",
            mine.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The link in the `count`-th email sent to `to` (which must be an
/// invitation), as a full URL.
async fn invitation_link(app: &TestApp, sink: &SmtpSink, to: &str, count: usize) -> String {
    let mail = nth_mail_to(sink, to, count).await;
    let text = mail.text().expect("a text part");
    format!("{}/redeem?ticket={}", app.address, after(&text, "/redeem?ticket="))
}

/// The guest opens the link, Send code, enters the code from the email that
/// arrives next, and lands on Review permissions.
async fn prove_address_with_a_code(guest: &Browser, sink: &SmtpSink, link: &str) {
    guest.goto(link).await;
    let before = sink.messages().len();
    guest.click_button("Send code").await;
    guest.wait_for_path("/redeem/verify").await;
    let mail = sink.wait_for(before + 1, MAIL_WAIT).await;
    let code = after(&mail[before].text().unwrap(), "verification code is: ");
    guest.fill("Code", &code).await;
    guest.click_button("Verify").await;
    guest.wait_for_path("/redeem/consent").await;
}

/// A guest redeems the `count`-th invitation sent to `email` in their own
/// browser and lands on My Apps; the browser is returned signed in.
async fn redeem(app: &TestApp, sink: &SmtpSink, email: &str, count: usize) -> Browser {
    let link = invitation_link(app, sink, email, count).await;
    let guest = Browser::start().await;
    prove_address_with_a_code(&guest, sink, &link).await;
    guest.click_button("Accept").await;
    guest.wait_for_path("/myapps").await;
    guest
}

/// A guest signs in with a code sent to their address: Email me a sign-in
/// code, the code from the newest email, Sign in.
async fn guest_signs_in_with_a_code(guest: &Browser, app: &TestApp, sink: &SmtpSink, email: &str) {
    let before = sink.messages().len();
    guest.goto(&app.url("/signin")).await;
    guest.fill("Email", email).await;
    guest.click_button("Email me a sign-in code").await;
    guest.wait_for_path("/signin/code").await;
    let mail = sink.wait_for(before + 1, MAIL_WAIT).await;
    let code = after(&mail.last().unwrap().text().unwrap(), "verification code is: ");
    guest.fill("Code", &code).await;
    guest.click_button("Sign in").await;
}

/// The line of the page that mentions `name` (a table row reads as one line).
async fn row_of(browser: &Browser, name: &str) -> String {
    let text = browser.page_text().await;
    text.lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("no row for {name:?} on the page:\n{text}"))
        .to_owned()
}

/// From anywhere in the portal: All users → the user's profile.
async fn open_profile(admin: &Browser, name: &str) {
    admin.click_link("All users").await;
    admin.wait_for_path("/admin/users").await;
    admin.click_link(name).await;
    admin.wait_for_text("B2B collaboration").await;
    assert_eq!(admin.heading().await, name);
}

/// All groups → New group (Assigned) → the group's Members page.
async fn create_group(admin: &Browser, name: &str, description: &str) {
    admin.click_link("All groups").await;
    admin.wait_for_path("/admin/groups").await;
    admin.click_link("New group").await;
    admin.wait_for_path("/admin/groups/new").await;
    admin.fill("Group name", name).await;
    admin.fill("Group description", description).await;
    admin.select("Membership type", "Assigned").await;
    admin.click_button("Create").await;
    admin.wait_for_text(&format!("Created group {name}.")).await;
    admin.click_link("Members").await;
    admin.wait_for_text("Add members").await;
}

/// On a group's Members page: Add members, search for `search`, tick
/// `label` (the person as the picker names them), Select.
async fn add_group_member(admin: &Browser, search: &str, label: &str) {
    admin.click_link("Add members").await;
    admin.wait_for_text("Search the directory").await;
    admin.fill("Search by name or email", search).await;
    admin.click_button("Search").await;
    admin.wait_for_text(label).await;
    admin.click_labelled(label).await;
    admin.click_button("Select").await;
    admin.wait_for_text("1 member was added.").await;
}

/// On an application's Users and groups page: Add user/group, search for
/// `search`, tick `label` and choose `role`; Assign is left to the caller.
async fn fill_assignment(admin: &Browser, search: &str, label: &str, role: &str) {
    admin.click_link("Add user/group").await;
    admin.wait_for_text("Add Assignment").await;
    admin.fill("Search by name or email", search).await;
    admin.click_button("Search").await;
    admin.wait_for_text(label).await;
    admin.click_labelled(label).await;
    admin.select("Select a role", role).await;
}

/// Enterprise applications → New application → DocuSign → Create → Users
/// and groups.
async fn add_docusign(admin: &Browser) {
    admin.click_link("Enterprise applications").await;
    admin.wait_for_path("/admin/apps").await;
    admin.click_link("New application").await;
    admin.wait_for_path("/admin/apps/new").await;
    admin.click_testid("gallery-docusign").await;
    admin.wait_for_path("/admin/apps/new/docusign").await;
    admin.click_button("Create").await;
    admin.wait_for_text("Users and groups").await;
    admin.click_link("Users and groups").await;
    admin.wait_for_text("Add user/group").await;
}
