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
    browser
        .click(&browser.input_labelled("Send invite message").await)
        .await;
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
        admin.click_link("Invite external user").await;
        admin.wait_for_path("/admin/users/invite").await;
        admin.fill("Email", "grace@fabrikam.example").await;
        admin.fill("Display name", "Grace Hopper").await;
        admin.click_button("Review + invite").await;
        admin.wait_for_path("/admin/users/invite/review").await;
        admin.click_button("Invite").await;
        admin.wait_for_text("Successfully invited user").await;
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
        guest.screenshot_to(shots.as_deref(), "my-apps").await;
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
