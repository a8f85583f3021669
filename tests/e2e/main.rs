//! Browser tests: a real Vestibule driven through headless Chromium.
//! Run them with `scripts/test` (it installs chromium and chromium-driver,
//! and runs these one at a time).

#[path = "../common/mod.rs"]
mod common;

mod browser;

use browser::Browser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signs_in_sees_the_portal_shell_and_signs_out() {
    let app = common::spawn_app().await;
    let browser = Browser::start().await;

    let shots = std::env::var("VESTIBULE_SCREENSHOT_DIR").ok();
    browser.goto(&app.url("/signin")).await;
    assert_eq!(browser.heading().await, "Sign in");
    browser.screenshot_to(shots.as_deref(), "signin").await;
    browser.fill("Email", common::ADMIN_EMAIL).await;
    browser.fill("Password", common::ADMIN_PASSWORD).await;
    browser.click_button("Sign in").await;

    browser.wait_for_text("All users").await;
    let nav = browser.navigation_links("Portal").await;
    for label in [
        "All users",
        "All groups",
        "Enterprise applications",
        "Audit logs",
        "Settings",
        "Roles and administrators",
        "My Apps",
    ] {
        assert!(
            nav.iter().any(|l| l == label),
            "{label:?} is missing from the navigation {nav:?}"
        );
    }

    browser.click_summary("Account menu for Administrator").await;
    browser.click_button("Sign out").await;
    browser.wait_for_text("You have signed out.").await;
    let path = browser.current_path().await;
    assert!(
        path == "/signin?signed_out=1" || browser.heading().await == "Sign in",
        "signing out lands on the sign-in page, not {path}"
    );

    browser.goto(&app.url("/admin/users")).await;
    let path = browser.current_path().await;
    assert!(
        path.starts_with("/signin"),
        "the session is gone, yet /admin/users showed {path}"
    );
    assert_eq!(browser.heading().await, "Sign in");
    assert!(
        !browser.page_text().await.contains("All users"),
        "the portal shell is gone"
    );
}

/// Seed 000, the admin's side: All users → Invite external user → Basics
/// with Send invite message, Message and Cc → Review + invite → Invite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_invites_a_guest_through_the_wizard() {
    let sink = common::smtp::SmtpSink::start();
    let smtp = sink.url();
    let app = common::spawn_app_with(|s| {
        s.smtp_url = Some(smtp);
        s.mail_poll = std::time::Duration::from_millis(50);
    })
    .await;
    let browser = Browser::start().await;
    let shots = std::env::var("VESTIBULE_SCREENSHOT_DIR").ok();

    browser.goto(&app.url("/signin")).await;
    browser.fill("Email", common::ADMIN_EMAIL).await;
    browser.fill("Password", common::ADMIN_PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.wait_for_text("All users").await;
    assert_eq!(browser.heading().await, "All users");
    browser.screenshot_to(shots.as_deref(), "admin-shell").await;

    browser.click_link("Invite external user").await;
    browser.wait_for_path("/admin/users/invite").await;
    assert_eq!(browser.heading().await, "Invite external user");
    browser.fill("Email", "grace@fabrikam.example").await;
    browser.fill("Display name", "Grace Hopper").await;
    // Message and Cc recipient appear once Send invite message is checked.
    browser.click_labelled("Send invite message").await;
    browser.fill("Message", "Welcome to <b>Contoso</b>!").await;
    browser.fill("Cc recipient", "manager@fabrikam.example").await;
    browser.screenshot_to(shots.as_deref(), "invite-external-user").await;
    browser.click_button("Review + invite").await;
    browser.wait_for_path("/admin/users/invite/review").await;
    let summary = browser.page_text().await;
    assert!(
        summary.contains("grace@fabrikam.example") && summary.contains("Welcome to <b>Contoso</b>!"),
        "{summary}"
    );
    browser.click_button("Invite").await;
    browser.wait_for_path("/admin/users").await;
    browser.wait_for_text("Successfully invited user").await;
    let text = browser.page_text().await;
    let row = text
        .lines()
        .find(|l| l.contains("Grace Hopper"))
        .expect("the guest's row");
    assert!(row.contains("Guest") && row.contains("Pending acceptance"), "{row}");

    let mail = sink.wait_for(2, std::time::Duration::from_secs(10)).await;
    assert_eq!(mail.len(), 2, "the invitation and the Cc copy");
}

async fn sign_in_as_admin(browser: &Browser, app: &common::TestApp) {
    browser.goto(&app.url("/signin")).await;
    browser.fill("Email", common::ADMIN_EMAIL).await;
    browser.fill("Password", common::ADMIN_PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.wait_for_path("/admin/users").await;
}

/// All users → Invite external user → Email and Display name → Review +
/// invite → Invite, as the signed-in admin.
async fn invite_with_the_wizard(admin: &Browser, email: &str, name: &str) {
    admin.click_link("Invite external user").await;
    admin.wait_for_path("/admin/users/invite").await;
    admin.fill("Email", email).await;
    admin.fill("Display name", name).await;
    admin.click_button("Review + invite").await;
    admin.wait_for_path("/admin/users/invite/review").await;
    admin.click_button("Invite").await;
    admin.wait_for_text("Successfully invited user").await;
}

/// The guest opens the link, Send code, enters the code from the newest
/// email (the `nth` message the sink received), and lands on Review
/// permissions.
async fn prove_address_with_a_code(guest: &Browser, sink: &common::smtp::SmtpSink, link: &str, nth: usize) {
    guest.goto(link).await;
    guest.click_button("Send code").await;
    guest.wait_for_path("/redeem/verify").await;
    let mail = sink.wait_for(nth, std::time::Duration::from_secs(10)).await;
    let code = after(&mail[nth - 1].text().unwrap(), "verification code is: ");
    guest.fill("Code", &code).await;
    guest.click_button("Verify").await;
    guest.wait_for_path("/redeem/consent").await;
}

/// The text after `marker` in an email, up to whitespace.
fn after(text: &str, marker: &str) -> String {
    let start = text.find(marker).unwrap_or_else(|| panic!("{marker} in {text}")) + marker.len();
    text[start..].chars().take_while(|c| !c.is_whitespace()).collect()
}

/// Seed 000 from end to end: the admin invites, the guest redeems in their
/// own browser with the code from the second email, accepts on Review
/// permissions and lands on My Apps; the admin sees Accepted and deletes
/// the test user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_redeems_the_invitation_and_lands_on_my_apps() {
    let sink = common::smtp::SmtpSink::start();
    let smtp = sink.url();
    let app = common::spawn_app_with(|s| {
        s.smtp_url = Some(smtp);
        s.mail_poll = std::time::Duration::from_millis(50);
    })
    .await;
    let shots = std::env::var("VESTIBULE_SCREENSHOT_DIR").ok();

    {
        let admin = Browser::start().await;
        sign_in_as_admin(&admin, &app).await;
        invite_with_the_wizard(&admin, "grace@fabrikam.example", "Grace Hopper").await;
    }

    let invitation = sink.wait_for(1, std::time::Duration::from_secs(10)).await;
    let link = format!(
        "{}/redeem?ticket={}",
        app.address,
        after(&invitation[0].text().unwrap(), "/redeem?ticket=")
    );
    {
        let guest = Browser::start().await;
        guest.goto(&link).await;
        assert_eq!(guest.heading().await, "Contoso");
        assert!(
            guest
                .page_text()
                .await
                .contains("Administrator (admin@contoso.test) invited you")
        );
        guest.click_button("Send code").await;
        guest.wait_for_path("/redeem/verify").await;
        let mail = sink.wait_for(2, std::time::Duration::from_secs(10)).await;
        let code = after(&mail[1].text().unwrap(), "verification code is: ");
        guest.fill("Code", &code).await;
        guest.click_button("Verify").await;
        guest.wait_for_path("/redeem/consent").await;
        assert_eq!(guest.heading().await, "Review permissions");
        let text = guest.page_text().await;
        assert!(
            text.contains("Permissions requested by") && text.contains("Contoso"),
            "{text}"
        );
        assert!(text.contains("Contoso has not provided links to their terms for you to review"));
        guest.screenshot_to(shots.as_deref(), "review-permissions").await;
        guest.click_button("Accept").await;
        guest.wait_for_path("/myapps").await;
        guest.wait_for_text("There are no apps to show").await;
    }

    let admin = Browser::start().await;
    sign_in_as_admin(&admin, &app).await;
    let text = admin.page_text().await;
    let row = text
        .lines()
        .find(|l| l.contains("Grace Hopper"))
        .expect("the guest's row");
    assert!(row.contains("Guest") && row.contains("Accepted"), "{row}");
    admin.click_link("Grace Hopper").await;
    admin.wait_for_text("B2B collaboration").await;
    admin.click_link("Delete user").await;
    admin.wait_for_text("Delete Grace Hopper").await;
    admin.click_button("Delete").await;
    admin.wait_for_text("Grace Hopper was deleted.").await;
    assert!(!admin.page_text().await.contains("grace@fabrikam.example"));
}

/// A guest signs in with a code sent to their address: Email me a sign-in
/// code, the code from the newest email, Sign in.
async fn guest_signs_in_with_a_code(
    guest: &Browser,
    app: &common::TestApp,
    sink: &common::smtp::SmtpSink,
    email: &str,
) {
    let before = sink.messages().len();
    guest.goto(&app.url("/signin")).await;
    guest.fill("Email", email).await;
    guest.click_button("Email me a sign-in code").await;
    guest.wait_for_path("/signin/code").await;
    let mail = sink.wait_for(before + 1, std::time::Duration::from_secs(10)).await;
    let code = after(&mail.last().unwrap().text().unwrap(), "verification code is: ");
    guest.fill("Code", &code).await;
    guest.click_button("Sign in").await;
}

/// Seed 003: the Developer group, DocuSign from the gallery, the group
/// assigned the DocuSign Sender role; the guest, who signs in again days
/// later with a code, sees DocuSign on My Apps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_in_the_developer_group_sees_docusign_on_my_apps() {
    let sink = common::smtp::SmtpSink::start();
    let smtp = sink.url();
    let app = common::spawn_app_with(|s| {
        s.smtp_url = Some(smtp);
        s.mail_poll = std::time::Duration::from_millis(50);
    })
    .await;
    let shots = std::env::var("VESTIBULE_SCREENSHOT_DIR").ok();
    {
        let admin = Browser::start().await;
        sign_in_as_admin(&admin, &app).await;
        invite_with_the_wizard(&admin, "grace@fabrikam.example", "Grace Hopper").await;
    }
    let invitation = sink.wait_for(1, std::time::Duration::from_secs(10)).await;
    let link = format!(
        "{}/redeem?ticket={}",
        app.address,
        after(&invitation[0].text().unwrap(), "/redeem?ticket=")
    );
    {
        let guest = Browser::start().await;
        prove_address_with_a_code(&guest, &sink, &link, 2).await;
        guest.click_button("Accept").await;
        guest.wait_for_text("There are no apps to show").await;
    }
    {
        let admin = Browser::start().await;
        sign_in_as_admin(&admin, &app).await;
        admin.click_link("All groups").await;
        admin.wait_for_path("/admin/groups").await;
        admin.click_link("New group").await;
        admin.wait_for_path("/admin/groups/new").await;
        admin.fill("Group name", "Developer group").await;
        admin.fill("Group description", "Everyone who builds").await;
        admin.select("Membership type", "Assigned").await;
        admin.click_button("Create").await;
        admin.wait_for_text("Created group Developer group.").await;
        admin.click_link("Members").await;
        admin.wait_for_text("Add members").await;
        admin.click_link("Add members").await;
        admin.wait_for_text("Search the directory").await;
        admin.fill("Search by name or email", "grace").await;
        admin.click_button("Search").await;
        admin
            .wait_for_text("Grace Hopper (grace@fabrikam.example, Guest)")
            .await;
        admin
            .click_labelled("Grace Hopper (grace@fabrikam.example, Guest)")
            .await;
        admin.click_button("Select").await;
        admin.wait_for_text("1 member was added.").await;

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
        admin.click_link("Add user/group").await;
        admin.wait_for_text("Add Assignment").await;
        admin.fill("Search by name or email", "Developer").await;
        admin.click_button("Search").await;
        admin
            .wait_for_text("Developer group (group: Everyone who builds)")
            .await;
        admin
            .click_labelled("Developer group (group: Everyone who builds)")
            .await;
        admin.select("Select a role", "DocuSign Sender").await;
        admin.screenshot_to(shots.as_deref(), "add-assignment").await;
        admin.click_button("Assign").await;
        admin.wait_for_text("1 assignment was added.").await;
        let text = admin.page_text().await;
        assert!(
            text.contains("Developer group") && text.contains("DocuSign Sender"),
            "{text}"
        );
    }
    // Days later the guest comes back and signs in with a code.
    app.clock.advance(3 * 24 * 3600);
    let guest = Browser::start().await;
    guest_signs_in_with_a_code(&guest, &app, &sink, "grace@fabrikam.example").await;
    guest.wait_for_path("/myapps").await;
    guest.wait_for_text("DocuSign").await;
    let href = guest
        .execute(
            "return document.querySelector('[data-testid=app-tile] a').getAttribute('href');",
            vec![],
        )
        .await;
    assert!(
        href.as_str().unwrap_or_default().starts_with("https://"),
        "the tile links to DocuSign: {href}"
    );
    guest.screenshot_to(shots.as_deref(), "my-apps-docusign").await;
}
