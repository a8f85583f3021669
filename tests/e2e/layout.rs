//! The main pages at 320 px and 1280 px: nothing scrolls sideways (wide
//! tables scroll inside their own `.table-scroll` box).

use crate::browser::Browser;
use crate::*;

const WIDTHS: [u32; 2] = [320, 1280];
/// A long address, the kind that pushes a narrow layout wide.
const EMAIL: &str = "grace.hopper.with.a.long.address@fabrikam-research.example";

/// Fails when the page scrolls sideways at any of `WIDTHS`; leaves the
/// viewport at 1280 px.
async fn fits(browser: &Browser, what: &str) {
    for width in WIDTHS {
        browser.set_viewport(width, 800).await;
        browser
            .assert_no_horizontal_scroll(&format!("{what} at {width} px"))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_pages_fit_320_and_1280_pixels() {
    let (app, sink) = spawn_with_mail().await;
    let admin = Browser::start().await;
    admin.goto(&app.url("/signin")).await;
    fits(&admin, "Sign in").await;
    sign_in_as_admin(&admin, &app).await;

    admin.click_link("Invite external user").await;
    admin.wait_for_path("/admin/users/invite").await;
    fits(&admin, "Invite external user").await;
    fill_invite_and_send(&admin, EMAIL, "Grace Hopper").await;
    fits(&admin, "All users").await;

    create_group(&admin, "Developer group", "Everyone who builds").await;
    admin.click_link("Add members").await;
    admin.wait_for_text("Search the directory").await;
    admin.fill("Search by name or email", "grace").await;
    admin.click_button("Search").await;
    let label = format!("Grace Hopper ({EMAIL}, Guest)");
    admin.wait_for_text(&label).await;
    fits(&admin, "Add members").await;
    admin.click_labelled(&label).await;
    admin.click_button("Select").await;
    admin.wait_for_text("1 member was added.").await;
    fits(&admin, "Group members").await;

    add_docusign(&admin).await;
    admin.click_link("Add user/group").await;
    admin.wait_for_text("Add Assignment").await;
    admin.fill("Search by name or email", "grace").await;
    admin.click_button("Search").await;
    admin.click_labelled(&label).await;
    admin.select("Select a role", "DocuSign Sender").await;
    admin.click_button("Assign").await;
    admin.wait_for_text("1 assignment was added.").await;
    fits(&admin, "App assignments").await;

    open_profile(&admin, "Grace Hopper").await;
    fits(&admin, "User profile").await;
    admin.click_link("Audit logs").await;
    admin.wait_for_path("/admin/audit").await;
    fits(&admin, "Audit logs").await;
    admin.goto(&app.url("/admin/sign-in-logs")).await;
    fits(&admin, "Sign-in logs").await;

    drop(admin);

    let link = invitation_link(&app, &sink, EMAIL, 1).await;
    let guest = Browser::start().await;
    prove_address_with_a_code(&guest, &sink, &link).await;
    fits(&guest, "Review permissions").await;
    guest.click_button("Accept").await;
    guest.wait_for_path("/myapps").await;
    guest.wait_for_text("DocuSign").await;
    fits(&guest, "My Apps with apps").await;
}
