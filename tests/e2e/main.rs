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

    browser.goto(&app.url("/signin")).await;
    assert_eq!(browser.heading().await, "Sign in");
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
