//! The admin's side: the portal shell, the invite wizard with a personal
//! message (seeds 000 and 001), and guests in groups and apps (seed 002).

use serde_json::json;

use crate::browser::Browser;
use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signs_in_sees_the_portal_shell_and_signs_out() {
    let app = common::spawn_app().await;
    let browser = Browser::start().await;

    browser.goto(&app.url("/signin")).await;
    assert_eq!(browser.heading().await, "Sign in");
    browser.screenshot_to(screenshots().as_deref(), "signin").await;
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
        "Sign-in logs",
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
    let (app, sink) = spawn_with_mail().await;
    let shots = screenshots();
    let browser = admin_browser(&app).await;
    assert_eq!(browser.heading().await, "All users");

    browser.click_link("Invite external user").await;
    browser.wait_for_path("/admin/users/invite").await;
    assert_eq!(browser.heading().await, "Invite external user");
    browser.fill("Email", "grace@fabrikam.example").await;
    browser.fill("Display name", "Grace Hopper").await;
    // Message and Cc recipient appear once Send invite message is checked.
    browser.click_labelled("Send invite message").await;
    browser.fill("Message", "Welcome to Contoso!").await;
    browser.fill("Cc recipient", "manager@fabrikam.example").await;
    browser.screenshot_to(shots.as_deref(), "invite-external-user").await;
    browser.click_button("Review + invite").await;
    browser.wait_for_path("/admin/users/invite/review").await;
    let summary = browser.page_text().await;
    assert!(
        summary.contains("grace@fabrikam.example") && summary.contains("Welcome to Contoso!"),
        "{summary}"
    );
    browser.click_button("Invite").await;
    browser.wait_for_path("/admin/users").await;
    browser.wait_for_text("Successfully invited user").await;
    let row = row_of(&browser, "Grace Hopper").await;
    assert!(row.contains("Guest") && row.contains("Pending acceptance"), "{row}");
    browser.screenshot_to(shots.as_deref(), "admin-shell").await;

    let mail = sink.wait_for(2, MAIL_WAIT).await;
    assert_eq!(mail.len(), 2, "the invitation and the Cc copy");
}

/// Counts the elements matching `css` inside `<main>` (or the body).
async fn count(browser: &Browser, css: &str) -> u64 {
    browser
        .execute(
            "return (document.querySelector('main') || document.body).querySelectorAll(arguments[0]).length;",
            vec![json!(css)],
        )
        .await
        .as_u64()
        .unwrap_or(0)
}

/// Seed 001: a personal message with markup is text everywhere: on Review
/// + invite, in both parts of the email, on the profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_message_with_markup_stays_text() {
    const MESSAGE: &str = "Welcome to <b>Contoso</b> & <i>friends</i><script>alert(1)</script>";
    let (app, sink) = spawn_with_mail().await;
    let admin = admin_browser(&app).await;
    admin.click_link("Invite external user").await;
    admin.wait_for_path("/admin/users/invite").await;
    admin.fill("Email", "grace@fabrikam.example").await;
    admin.fill("Display name", "Grace Hopper").await;
    admin.click_labelled("Send invite message").await;
    admin.fill("Message", MESSAGE).await;
    admin.click_button("Review + invite").await;
    admin.wait_for_path("/admin/users/invite/review").await;
    assert!(
        admin.page_text().await.contains(MESSAGE),
        "the review shows the message as written"
    );
    assert_eq!(
        count(&admin, "b, i, script").await,
        0,
        "no markup from the message on the review"
    );
    admin.click_button("Invite").await;
    admin.wait_for_text("Successfully invited user").await;

    let mail = nth_mail_to(&sink, "grace@fabrikam.example", 1).await;
    assert!(
        mail.text().unwrap().contains(MESSAGE),
        "the text part has the message as written"
    );
    let html = mail.html().expect("an HTML part");
    assert!(
        ["<b>", "<i>", "<script>"].iter().all(|tag| !html.contains(tag))
            && (html.contains("Welcome to &lt;b&gt;Contoso") || html.contains("Welcome to &#60;b&#62;Contoso")),
        "the HTML part escapes the message:\n{html}"
    );
    drop(admin);

    // The HTML part as a mail client shows it.
    let reader = Browser::start().await;
    reader.goto(&email_data_url(&html)).await;
    reader.audit_as("email: invitation").await;
    assert!(
        reader.page_text().await.contains(MESSAGE),
        "the email reads the message as written"
    );
    assert_eq!(
        count(&reader, "b, i, script").await,
        0,
        "no markup from the message in the email"
    );
    reader.screenshot_to(screenshots().as_deref(), "invitation-email").await;
    drop(reader);

    let admin = admin_browser(&app).await;
    open_profile(&admin, "Grace Hopper").await;
    assert!(
        admin.page_text().await.contains(MESSAGE),
        "the profile shows the message as written"
    );
    assert_eq!(
        count(&admin, "b, i, script").await,
        0,
        "no markup from the message on the profile"
    );
}

/// An HTML email as a `data:` URL a browser can open.
pub fn email_data_url(html: &str) -> String {
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, html);
    format!("data:text/html;charset=utf-8;base64,{b64}")
}

/// Seed 002: an existing guest into a group with Add members, a new guest
/// from the group's Invite, a guest assigned to an app with a role; Resend
/// invitation for the pending guest, and none for the accepted one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_join_groups_and_apps_and_pending_ones_can_be_reinvited() {
    let (app, sink) = spawn_with_mail().await;
    {
        let admin = admin_browser(&app).await;
        invite_with_the_wizard(&admin, "ada@fabrikam.example", "Ada Lovelace").await;
    }
    drop(redeem(&app, &sink, "ada@fabrikam.example", 1).await);

    let admin = admin_browser(&app).await;
    // The existing guest, through Add members.
    create_group(&admin, "Developer group", "Everyone who builds").await;
    admin.click_link("Add members").await;
    admin.wait_for_text("Search the directory").await;
    admin.fill("Search by name or email", "ada").await;
    admin.click_button("Search").await;
    admin.click_labelled("Ada Lovelace (ada@fabrikam.example, Guest)").await;
    admin.click_button("Select").await;
    admin.wait_for_text("1 member was added.").await;
    assert!(row_of(&admin, "Ada Lovelace").await.contains("Guest"));

    // A new guest, through the group's Invite.
    admin.click_link("Invite").await;
    admin.wait_for_path("/admin/users/invite").await;
    admin.fill("Email", "bob@northwind.example").await;
    admin.fill("Display name", "Bob Kelly").await;
    admin.click_button("Review + invite").await;
    admin.wait_for_path("/admin/users/invite/review").await;
    assert!(
        row_of(&admin, "Assignments").await.contains("Developer group")
            || admin
                .page_text()
                .await
                .contains("Developer group (Everyone who builds)"),
        "the review lists the group"
    );
    admin.click_button("Invite").await;
    admin.wait_for_text("Successfully invited user").await;
    assert!(row_of(&admin, "Bob Kelly").await.contains("Pending acceptance"));
    admin.click_link("All groups").await;
    admin.wait_for_path("/admin/groups").await;
    admin.click_link("Developer group").await;
    admin.click_link("Members").await;
    admin.wait_for_text("Bob Kelly").await;
    assert!(admin.page_text().await.contains("Ada Lovelace"));

    // A guest assigned to an app with a role.
    add_docusign(&admin).await;
    admin.click_link("Add user/group").await;
    admin.wait_for_text("Add Assignment").await;
    admin.fill("Search by name or email", "ada").await;
    admin.click_button("Search").await;
    admin.click_labelled("Ada Lovelace (ada@fabrikam.example, Guest)").await;
    admin.select("Select a role", "DocuSign Viewer").await;
    admin.click_button("Assign").await;
    admin.wait_for_text("1 assignment was added.").await;
    assert!(row_of(&admin, "Ada Lovelace").await.contains("DocuSign Viewer"));

    // Resend invitation: only for the pending guest.
    open_profile(&admin, "Bob Kelly").await;
    assert!(admin.page_text().await.contains("Developer group"));
    admin.click_button("Resend invitation").await;
    admin
        .wait_for_text("The invitation was sent again; the earlier link no longer works.")
        .await;
    let again = nth_mail_to(&sink, "bob@northwind.example", 2).await;
    assert!(
        again.text().unwrap().contains("/redeem?ticket="),
        "a new invitation arrives"
    );

    open_profile(&admin, "Ada Lovelace").await;
    let text = admin.page_text().await;
    assert!(text.contains("Accepted"), "{text}");
    assert!(
        !text.contains("Resend invitation"),
        "no Resend invitation once accepted:\n{text}"
    );
    assert!(text.contains("Reset redemption status"), "{text}");
    assert!(text.contains("DocuSign") && text.contains("Developer group"), "{text}");
}
