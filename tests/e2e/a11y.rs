//! Accessibility and resilience: a tour that audits every page type with
//! axe-core (and takes the README's pictures of it), seed 000 with the
//! keyboard only, and seed 000 with JavaScript switched off.

use crate::browser::{Browser, OrFail};
use crate::checks::{self, page_type};
use crate::*;

/// Every page type the suite knows; the tour must audit them all.
pub const PAGE_TYPES: &[&str] = &[
    "/signin",
    "/signin/code",
    "/account/password",
    "/account/organizations",
    "/account/organizations/leave",
    "/account/invite",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/deleted",
    "/admin/users/bulk-invite",
    "/admin/users/bulk-invite/{id}",
    "/admin/users/bulk-operations",
    "/admin/users/bulk-operations/{id}",
    "/admin/users/invite",
    "/admin/users/invite/review",
    "/admin/users/{id}",
    "/admin/users/{id}/edit",
    "/admin/users/{id}/delete",
    "/admin/users/{id}/redemption-url",
    "/admin/users/{id}/reset-redemption",
    "/admin/groups",
    "/admin/groups/new",
    "/admin/groups/{id}",
    "/admin/groups/{id}/edit",
    "/admin/groups/{id}/delete",
    "/admin/groups/{id}/members",
    "/admin/groups/{id}/members/add",
    "/admin/apps",
    "/admin/apps/new",
    "/admin/apps/new/docusign",
    "/admin/apps/{id}",
    "/admin/apps/{id}/delete",
    "/admin/apps/{id}/roles",
    "/admin/apps/{id}/roles/{id}",
    "/admin/apps/{id}/assignments",
    "/admin/apps/{id}/assignments/add",
    "/admin/apps/{id}/assignments/{id}/edit",
    "/admin/apps/{id}/single-sign-on",
    "/admin/apps/{id}/credentials",
    "/admin/apps/{id}/credentials/new",
    "/admin/apps/{id}/credentials/{id}/delete",
    "/admin/apps/{id}/api-permissions",
    "/admin/apps/{id}/api-permissions/consent",
    "/admin/audit",
    "/admin/sign-in-logs",
    "/admin/settings",
    "/admin/settings/organization",
    "/admin/settings/collaboration",
    "/admin/identity-providers",
    "/admin/identity-providers/new",
    "/admin/roles",
    "/redeem",
    "/redeem/verify",
    "/redeem/consent",
    "/myapps",
    "/invitations/block",
    "email: invitation",
    "/admin/users/{id}/reset-password",
    "/admin/users/deleted/{id}/restore",
    "/admin/users/deleted/{id}/delete",
    "/dev/mailbox",
    "/dev/mailbox/{id}",
    "/dev/mailbox/{id}/html",
    "/redeem/accept",
    "/federation/callback",
    "/no-such-page",
    "/{id}/oauth2/v2.0/authorize",
    "/{id}/oauth2/v2.0/logout",
    "form_post response",
];

/// The `/a/b/{id}` prefix of the current page, up to and with `segment`'s id.
async fn base_of(browser: &Browser, segment: &str) -> String {
    let path = browser.current_path().await;
    let parts: Vec<&str> = path.split(['?', '#']).next().unwrap().split('/').collect();
    let at = parts
        .iter()
        .position(|p| *p == segment)
        .unwrap_or_else(|| panic!("{segment} in {path}"));
    parts[..at + 2].join("/")
}

/// Walks every page type as an admin and as a guest; axe must find nothing
/// anywhere, every type in `PAGE_TYPES` must have been audited, and every
/// template rendered on an audited page (`templates::TEMPLATES`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_type_passes_axe() {
    checks::collect_violations();
    let (app, sink) = spawn_with_mail().await;
    let shots = screenshots();
    let admin = admin_browser(&app).await;

    create_group(&admin, "Developer group", "Everyone who builds").await;
    let group = base_of(&admin, "groups").await;
    admin.click_link("Add members").await;
    admin.wait_for_text("Search the directory").await;
    for page in ["", "/edit", "/delete"] {
        admin.goto(&app.url(&format!("{group}{page}"))).await;
    }

    add_docusign(&admin).await;
    let docusign = base_of(&admin, "apps").await;
    admin.goto(&app.url(&format!("{docusign}/roles"))).await;
    admin.click_link("Edit DocuSign Sender").await;
    admin.wait_for_text("Role").await;
    for page in ["", "/delete"] {
        admin.goto(&app.url(&format!("{docusign}{page}"))).await;
    }
    // Single sign-on with OpenID Connect, then a client secret: the value
    // shown once, and the confirmation before Delete.
    admin.goto(&app.url(&format!("{docusign}/single-sign-on"))).await;
    admin.click_labelled("OpenID Connect").await;
    admin
        .fill("Redirect URIs", "https://docusign.example/signin-oidc")
        .await;
    admin.click_button("Save").await;
    admin.wait_for_text("Application (client) ID").await;
    admin.goto(&app.url(&format!("{docusign}/credentials"))).await;
    admin.fill("Description", "Production").await;
    admin.click_button("Add").await;
    admin.wait_for_text("it is shown only this once").await;
    admin.click_link("Delete the client secret Production").await;
    admin.wait_for_text("Delete client secret").await;
    // API permissions: add two, then Grant admin consent after its confirmation.
    admin.goto(&app.url(&format!("{docusign}/api-permissions"))).await;
    admin
        .click_labelled("User.Invite.All — Invite guest users to the organization")
        .await;
    admin
        .click_labelled("User.Read.All — Read all users' full profiles")
        .await;
    admin.click_button("Add permissions").await;
    admin.wait_for_text("Not granted for").await;
    admin.click_link("Grant admin consent for Contoso").await;
    admin.wait_for_text("Do you want to grant consent").await;
    admin.click_button("Yes").await;
    admin.wait_for_text("Admin consent granted").await;
    admin.screenshot_to(shots.as_deref(), "api-permissions").await;

    admin.goto(&app.url("/admin/users/invite")).await;
    admin.fill("Email", "grace@fabrikam.example").await;
    admin.fill("Display name", "Grace Hopper").await;
    admin.click_labelled("Send invite message").await;
    admin.fill("Message", "Welcome to Contoso!").await;
    admin.click_labelled("Developer group (Everyone who builds)").await;
    admin.click_button("Review + invite").await;
    admin.wait_for_path("/admin/users/invite/review").await;
    admin.click_button("Invite").await;
    admin.wait_for_text("Successfully invited user").await;

    admin.goto(&app.url(&format!("{docusign}/assignments"))).await;
    admin.click_link("Add user/group").await;
    admin.wait_for_text("Add Assignment").await;
    admin.fill("Search by name or email", "grace").await;
    admin.click_button("Search").await;
    admin
        .click_labelled("Grace Hopper (grace@fabrikam.example, Guest)")
        .await;
    admin.select("Select a role", "DocuSign Sender").await;
    admin.click_button("Assign").await;
    admin.wait_for_text("1 assignment was added.").await;
    admin.click_link("Edit the assignment of Grace Hopper").await;
    admin.wait_for_text("Select a role").await;

    open_profile(&admin, "Grace Hopper").await;
    let grace = base_of(&admin, "users").await;
    for page in ["/edit", "/redemption-url"] {
        admin.goto(&app.url(&format!("{grace}{page}"))).await;
    }
    for page in [
        "/admin/users/new",
        "/admin/users/deleted",
        "/admin/settings",
        "/admin/settings/organization",
        "/admin/settings/collaboration",
        "/admin/identity-providers",
        "/admin/identity-providers/new",
        "/admin/roles",
        "/account/password",
        "/account/invite",
        "/admin/sign-in-logs",
        "/admin/audit",
    ] {
        admin.goto(&app.url(page)).await;
    }
    admin.screenshot_to(shots.as_deref(), "audit-logs").await;
    crate::bulk::bulk_invite_through_the_page(&admin, &app, &["ada@fabrikam.example,,,"]).await;
    admin.goto(&app.url("/admin/users/bulk-operations")).await;

    drop(admin);

    // The guest: the email, the redemption, My Apps, Organizations.
    let mail = nth_mail_to(&sink, "grace@fabrikam.example", 1).await;
    let html = mail.html().expect("an HTML part");
    let guest = Browser::start().await;
    guest.goto(&admin::email_data_url(&html)).await;
    guest.audit_as("email: invitation").await;
    let block = after(&mail.text().unwrap(), "/invitations/block");
    guest.goto(&app.url(&format!("/invitations/block{block}"))).await;
    let link = invitation_link(&app, &sink, "grace@fabrikam.example", 1).await;
    prove_address_with_a_code(&guest, &sink, &link).await;
    guest.click_button("Accept").await;
    guest.wait_for_path("/myapps").await;
    guest.wait_for_text("DocuSign").await;
    // An application's sign-in that cannot go on, and "Sign out?".
    let tenant = app.tenant_id().await;
    guest
        .goto(&app.url(&format!("/{tenant}/oauth2/v2.0/authorize?client_id=not-a-client")))
        .await;
    guest.wait_for_text("Application not found").await;
    guest.goto(&app.url(&format!("/{tenant}/oauth2/v2.0/logout"))).await;
    guest.wait_for_text("Sign out?").await;
    guest.goto(&app.url("/account/organizations")).await;
    guest.click_link("Leave organization").await;
    guest.wait_for_path("/account/organizations/leave").await;
    guest.click_summary("Account menu for Grace Hopper").await;
    guest.click_button("Sign out").await;
    guest.wait_for_text("You have signed out.").await;
    guest.fill("Email", "grace@fabrikam.example").await;
    guest.click_button("Email me a sign-in code").await;
    guest.wait_for_path("/signin/code").await;
    drop(guest);

    // Once accepted: Reset redemption status; and Delete user.
    let admin = admin_browser(&app).await;
    for page in ["", "/reset-redemption", "/delete"] {
        admin.goto(&app.url(&format!("{grace}{page}"))).await;
    }
    drop(admin);
    tour_with_the_dev_mailbox().await;
    form_post_response(&app).await;

    let audited = checks::audited_page_types();
    let missing: Vec<&&str> = PAGE_TYPES.iter().filter(|p| !audited.contains(**p)).collect();
    let violations = checks::all_violations();
    println!(
        "axe audited {} distinct page types ({} known): {audited:?}",
        audited.len(),
        PAGE_TYPES.len()
    );
    assert!(
        violations.is_empty(),
        "axe found {} violation(s):\n  {}",
        violations.len(),
        violations.join("\n  ")
    );
    assert!(missing.is_empty(), "page types never audited: {missing:?}");
    crate::templates::assert_every_template_was_rendered();
    assert!(audited.len() >= PAGE_TYPES.len());
    assert_eq!(
        page_type("/admin/users/0f8e2b1c-6a4d-4c1e-9b7a-1d2e3f4a5b6c/edit"),
        "/admin/users/{id}/edit"
    );
}

/// The rest of the tour, on a portal without an SMTP server, in one browser:
/// User created and Password reset; the deleted user's Restore user and
/// Delete permanently; the development mailbox with the invitation, its Cc
/// copy and a code email (each message's page and its HTML part); You're
/// all set after a redirect URL; a guest's dead end and an error page.
async fn tour_with_the_dev_mailbox() {
    let app = common::spawn_app_with(|s| s.mail_poll = std::time::Duration::from_millis(50)).await;
    assert!(app.state.mailbox_enabled());
    let browser = admin_browser(&app).await;

    browser.goto(&app.url("/admin/users/new")).await;
    browser.fill("Display name", "Ada Lovelace").await;
    browser.fill("User principal name", "ada@contoso.test").await;
    browser.click_button("Create").await;
    browser.wait_for_text("Temporary password").await;
    browser.click_link("Go to the user").await;
    browser.wait_for_text("Edit properties").await;
    browser.click_button("Reset password").await;
    browser.wait_for_text("has a new temporary password").await;
    browser.click_link("Go to the user").await;
    browser.wait_for_text("Edit properties").await;
    browser.click_link("Delete user").await;
    browser.wait_for_text("Delete Ada Lovelace").await;
    browser.click_button("Delete").await;
    browser.wait_for_text("Ada Lovelace was deleted.").await;
    for (action, asks) in [
        ("Restore user", "Restore Ada Lovelace"),
        (
            "Delete permanently",
            "Delete Ada Lovelace (ada@contoso.test) permanently?",
        ),
    ] {
        browser.goto(&app.url("/admin/users/deleted")).await;
        browser.click_link(action).await;
        browser.wait_for_text(asks).await;
    }

    browser.goto(&app.url("/admin/users/invite")).await;
    invite_grace_with_a_message_and_a_cc(&browser).await;
    browser
        .fill("Redirect URL", "https://apps.fabrikam.example/start")
        .await;
    browser.click_button("Review + invite").await;
    browser.wait_for_path("/admin/users/invite/review").await;
    browser.click_button("Invite").await;
    browser.wait_for_text("Successfully invited user").await;
    // Signed out: what follows is the guest's.
    browser
        .driver()
        .delete_all_cookies()
        .await
        .or_fail("delete the cookies");

    let invitation = read_mail(&browser, &app, "grace@fabrikam.example", "Administrator invited you").await;
    read_mail(&browser, &app, "manager@fabrikam.example", "Copy: ").await;
    let ticket = after(&invitation, "/redeem?ticket=");
    browser.goto(&app.url(&format!("/redeem?ticket={ticket}"))).await;
    browser.click_button("Send code").await;
    browser.wait_for_path("/redeem/verify").await;
    let code = read_mail(
        &browser,
        &app,
        "grace@fabrikam.example",
        "Your Contoso verification code",
    )
    .await;
    browser.goto(&app.url("/redeem/verify")).await;
    browser.fill("Code", &after(&code, "verification code is: ")).await;
    browser.click_button("Verify").await;
    browser.wait_for_path("/redeem/consent").await;
    browser.click_button("Accept").await;
    browser.wait_for_text("You're all set").await;

    browser.goto(&app.url("/redeem?ticket=not-a-ticket")).await;
    browser.wait_for_text("This invitation link is not valid").await;
    // An identity provider's answer that no sign-in here is waiting for.
    browser
        .goto(&app.url("/federation/callback?state=unknown&code=x"))
        .await;
    browser
        .wait_for_text("Sign-in with your identity provider failed")
        .await;
    browser.goto(&app.url("/no-such-page")).await;
    browser.wait_for_text("Page not found").await;
}

/// On Invite external user: Grace Hopper's address and name, Send invite
/// message, then the Message and Cc recipient it reveals (by CSS, `:has`,
/// so without script too).
async fn invite_grace_with_a_message_and_a_cc(admin: &Browser) {
    admin.fill("Email", "grace@fabrikam.example").await;
    admin.fill("Display name", "Grace Hopper").await;
    admin.click_labelled("Send invite message").await;
    admin.fill("Message", "Welcome to Contoso!").await;
    admin.fill("Cc recipient", "manager@fabrikam.example").await;
}

/// Opens, in the development mailbox, the message to `to` whose subject
/// starts with `subject`, then its HTML part; returns the message's text.
async fn read_mail(browser: &Browser, app: &common::TestApp, to: &str, subject: &str) -> String {
    browser.goto(&app.url("/dev/mailbox")).await;
    let found = browser
        .execute(
            "const row = [...document.querySelectorAll('[data-testid=mailbox-table] tbody tr')]
               .find(r => r.cells[1].textContent.trim() === arguments[0]
                          && r.cells[0].textContent.trim().startsWith(arguments[1]));
             return row ? row.querySelector('a').getAttribute('href') : null;",
            vec![serde_json::json!(to), serde_json::json!(subject)],
        )
        .await;
    let Some(href) = found.as_str().map(str::to_owned) else {
        panic!(
            "no mail to {to} about {subject:?} in the mailbox:\n{}",
            browser.page_text().await
        );
    };
    browser.goto(&app.url(&href)).await;
    let text = browser.page_text().await;
    // The mailbox serves the part sandboxed, which stops axe's own timers:
    // the same bytes are audited from a data: URL, whatever their heading
    // (the code and Cc emails have none).
    let res = app.get(&format!("{href}/html")).await;
    assert_eq!(res.status(), 200, "the HTML part of {subject:?}");
    let html_part = res.text().await.expect("the HTML part");
    browser
        .driver()
        .goto(admin::email_data_url(&html_part))
        .await
        .or_fail("open the HTML part");
    browser.audit_as("/dev/mailbox/{id}/html").await;
    text
}

/// Seed 000 with the keyboard only: every key goes to the focused element,
/// and after each Tab the test checks where the focus is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_with_the_keyboard_only() {
    let (app, sink) = spawn_with_mail().await;
    {
        let admin = Browser::start().await;
        admin.goto(&app.url("/signin")).await;
        admin.tab_to("Skip to main content").await;
        admin.tab_to("Vestibule").await;
        admin.tab_to("Email").await;
        admin.type_text(common::ADMIN_EMAIL).await;
        admin.tab_to("Password").await;
        admin.type_text(common::ADMIN_PASSWORD).await;
        admin.tab_to("Sign in").await;
        admin.enter().await;
        admin.wait_for_path("/admin/users").await;

        // Skip to main content, then the first thing in it.
        admin.tab_to("Skip to main content").await;
        admin.enter().await;
        admin.tab_to("Invite external user").await;
        admin.enter().await;
        admin.wait_for_path("/admin/users/invite").await;

        admin.tab_to("Skip to main content").await;
        admin.enter().await;
        for step in ["Basics", "Properties", "Assignments"] {
            admin.tab_to(step).await;
        }
        admin.tab_to("Email").await;
        admin.type_text("grace@fabrikam.example").await;
        admin.tab_to("Display name").await;
        admin.type_text("Grace Hopper").await;
        admin.tab_to("Send invite message").await;
        admin.press(" ").await;
        // Checked, it reveals Message and Cc recipient, next in order.
        admin.tab_to("Message").await;
        admin.type_text("Welcome to Contoso!").await;
        admin.tab_to("Cc recipient").await;
        admin.type_text("manager@fabrikam.example").await;
        for field in [
            "Language",
            "User type",
            "Company name",
            "Redirect URL",
            "Review + invite",
        ] {
            admin.tab_to(field).await;
        }
        admin.enter().await;
        admin.wait_for_path("/admin/users/invite/review").await;
        assert!(admin.page_text().await.contains("Welcome to Contoso!"));
        admin.tab_to("Skip to main content").await;
        admin.enter().await;
        admin.tab_to("Invite").await;
        admin.enter().await;
        admin.wait_for_text("Successfully invited user").await;
        assert!(row_of(&admin, "Grace Hopper").await.contains("Pending acceptance"));
    }

    // The guest, from the link in the email.
    let link = invitation_link(&app, &sink, "grace@fabrikam.example", 1).await;
    let guest = Browser::start().await;
    guest.goto(&link).await;
    guest.tab_to("Skip to main content").await;
    guest.enter().await;
    guest.tab_to("Send code").await;
    let before = sink.messages().len();
    guest.enter().await;
    guest.wait_for_path("/redeem/verify").await;
    let mail = sink.wait_for(before + 1, MAIL_WAIT).await;
    let code = after(&mail[before].text().unwrap(), "verification code is: ");
    guest.tab_to("Skip to main content").await;
    guest.enter().await;
    guest.tab_to("Code").await;
    guest.type_text(&code).await;
    guest.tab_to("Verify").await;
    guest.enter().await;
    guest.wait_for_path("/redeem/consent").await;
    guest.tab_to("Skip to main content").await;
    guest.enter().await;
    guest.tab_to("Accept").await;
    guest.enter().await;
    guest.wait_for_path("/myapps").await;
    guest.wait_for_text("There are no apps to show").await;
    let marker = guest
        .execute(
            "return document.querySelectorAll('[data-testid=noscript]').length;",
            vec![],
        )
        .await;
    assert_eq!(
        marker,
        serde_json::json!(0),
        "with JavaScript on, <noscript> stays unparsed"
    );
}

/// Seed 000 with JavaScript off in both browsers: the `<noscript>` marker
/// shows, which proves it, and every step still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_without_javascript() {
    let (app, sink) = spawn_with_mail().await;
    {
        let admin = Browser::start_without_javascript().await;
        sign_in_as_admin(&admin, &app).await;
        assert_javascript_is_off(&admin).await;
        admin.click_link("Invite external user").await;
        admin.wait_for_path("/admin/users/invite").await;
        invite_grace_with_a_message_and_a_cc(&admin).await;
        admin.click_button("Review + invite").await;
        admin.wait_for_path("/admin/users/invite/review").await;
        admin.click_button("Invite").await;
        admin.wait_for_text("Successfully invited user").await;
        assert!(row_of(&admin, "Grace Hopper").await.contains("Pending acceptance"));
    }
    let link = invitation_link(&app, &sink, "grace@fabrikam.example", 1).await;
    {
        let guest = Browser::start_without_javascript().await;
        prove_address_with_a_code(&guest, &sink, &link).await;
        assert_javascript_is_off(&guest).await;
        guest.click_button("Accept").await;
        guest.wait_for_path("/myapps").await;
        guest.wait_for_text("There are no apps to show").await;
    }
    let admin = Browser::start_without_javascript().await;
    sign_in_as_admin(&admin, &app).await;
    assert!(row_of(&admin, "Grace Hopper").await.contains("Accepted"));
    admin.click_link("Grace Hopper").await;
    admin.wait_for_text("B2B collaboration").await;
    admin.click_link("Delete user").await;
    admin.wait_for_text("Delete Grace Hopper").await;
    admin.click_button("Delete").await;
    admin.wait_for_text("Grace Hopper was deleted.").await;
}

/// `<noscript>` content is only parsed into elements when scripts are off.
async fn assert_javascript_is_off(browser: &Browser) {
    let marker = browser
        .execute(
            "const n = document.querySelector('[data-testid=noscript]'); return n ? n.textContent : null;",
            vec![],
        )
        .await;
    assert!(
        marker.as_str().is_some_and(|t| t.contains("JavaScript is off")),
        "the <noscript> marker shows only with JavaScript off: {marker}"
    );
}

/// The form_post answer of an authorization request sends itself on at
/// once, so its HTML is audited from a data: URL, as emails are.
async fn form_post_response(app: &TestApp) {
    let (docusign, _, _) = crate::common::flows::docusign(app).await;
    let client = app
        .oidc_client(&docusign, vestibule::domain::single_sign_on::SigningAlg::Rs256, false)
        .await;
    sqlx::query("UPDATE applications SET assignment_required = 0 WHERE id = $1")
        .bind(&docusign)
        .execute(app.db.pool())
        .await
        .unwrap();
    let member = crate::common::new_client();
    app.create_member("ada@contoso.test", "Member-Passw0rd!", "").await;
    app.sign_in_with(&member, "ada@contoso.test", "Member-Passw0rd!").await;
    let tenant = app.tenant_id().await;
    let path = crate::common::oidc::Attempt::new().authorize_path(&tenant, &client, &[("response_mode", "form_post")]);
    let res = member.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    // Without its script (which would post the form away), and with the
    // stylesheet inline: the portal serves it same-origin only
    // (Cross-Origin-Resource-Policy), so a data: URL cannot load it.
    let css = app.get("/static/css/vestibule.css").await.text().await.unwrap();
    let link = "<link rel=\"stylesheet\" href=\"/static/css/vestibule.css\">";
    assert!(html.contains(link), "the page links the stylesheet: {html}");
    let html = html
        .replace("<script src=\"/static/js/form_post.js\"></script>", "")
        .replace(link, &format!("<style>{css}</style>"))
        .replace("/static/", &format!("{}/static/", app.address));
    assert!(!html.contains("<script"), "the script is left out");
    let browser = Browser::start().await;
    browser.goto(&admin::email_data_url(&html)).await;
    browser.audit_as("form_post response").await;
}
