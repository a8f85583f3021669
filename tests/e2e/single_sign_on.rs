//! Seed 003 carried on to single sign-on: the admin registers the demo app
//! (demo/app.py, a relying party on authlib) in the browser and gives the
//! Developer group its role; the guest opens it from My Apps, is greeted
//! with the role, signs out of both, signs in again from the app (through
//! Vestibule's sign-in page this time) and out once more without the ID
//! token; a member without an assignment is refused with AADSTS50105.
//! Skipped unless scripts/test installed authlib (and required when it
//! did, through VESTIBULE_REQUIRE_CLIENTS=1). Also run on PostgreSQL by
//! scripts/test.

use crate::browser::{Browser, OrFail};
use crate::common::clients::{Script, free_port, python};
use crate::*;

const GUEST: &str = "grace@fabrikam.example";
const APP_NAME: &str = "Vestibule demo";
const ROLE_VALUE: &str = "Demo.Reader";
const MEMBER: &str = "ada@contoso.test";
const MEMBER_PASSWORD: &str = "Member-Passw0rd!";

/// What the demo app is configured with, as the admin copied it from the
/// Single sign-on and Certificates & secrets pages.
struct Registration {
    issuer: String,
    client_id: String,
    secret: String,
}

/// The value of the read-only field labelled `label`.
async fn value_of(browser: &Browser, label: &str) -> String {
    let value = browser
        .input_labelled(label)
        .await
        .value()
        .await
        .or_fail("read a field's value")
        .unwrap_or_default();
    assert!(!value.is_empty(), "the field {label:?} has a value");
    value
}

/// The text of the element with this `data-testid`.
async fn text_of(browser: &Browser, testid: &str) -> String {
    browser
        .by_testid(testid)
        .await
        .text()
        .await
        .or_fail("read an element's text")
}

/// As the signed-in admin: Create your own application for the demo at
/// `base`, a role with a value, Single sign-on with OpenID Connect and the
/// demo's URIs, a new client secret, and the Developer group assigned the
/// role. Returns what the demo needs.
async fn register_the_demo(admin: &Browser, base: &str) -> Registration {
    admin.click_link("Enterprise applications").await;
    admin.wait_for_path("/admin/apps").await;
    admin.click_link("New application").await;
    admin.wait_for_path("/admin/apps/new").await;
    admin.fill("What's the name of your app?", APP_NAME).await;
    admin.fill("Homepage URL", &format!("{base}/")).await;
    admin.click_button("Create").await;
    admin.wait_for_text(&format!("{APP_NAME} was added.")).await;

    admin.click_link("Roles").await;
    admin.wait_for_text("Add a role").await;
    admin.fill("Display name", "Demo Reader").await;
    admin.fill("Description", "Reads the demo").await;
    admin.fill("Value (optional)", ROLE_VALUE).await;
    admin.click_button("Add role").await;
    admin.wait_for_text("The role Demo Reader was added.").await;
    let row = row_of(admin, "Reads the demo").await;
    assert!(row.contains(ROLE_VALUE), "{row}");

    admin.click_link("Single sign-on").await;
    admin.wait_for_text("Select a single sign-on method").await;
    admin.click_labelled("OpenID Connect").await;
    admin.fill("Sign-on URL (optional)", &format!("{base}/login")).await;
    admin.fill("Redirect URIs", &format!("{base}/signin-oidc")).await;
    admin
        .fill(
            "Front-channel logout and post-logout redirect URIs",
            &format!("{base}/"),
        )
        .await;
    admin.click_button("Save").await;
    admin.wait_for_text("Single sign-on was saved: OpenID Connect.").await;
    admin.screenshot_to(screenshots().as_deref(), "single-sign-on").await;
    let client_id = value_of(admin, "Application (client) ID").await;
    let issuer = value_of(admin, "Issuer").await;

    admin.click_link("Certificates & secrets").await;
    admin.wait_for_text("New client secret").await;
    admin.fill("Description", "Demo app").await;
    admin.click_button("Add").await;
    admin.wait_for_text("it is shown only this once").await;
    let secret = value_of(admin, "Value").await;
    // Shown once: the list keeps only a hint of it.
    admin.click_link("Certificates & secrets").await;
    admin.wait_for_text("Client secrets").await;
    assert!(
        !admin.page_text().await.contains(&secret),
        "the value is not shown again"
    );

    admin.click_link("Users and groups").await;
    admin.wait_for_text("Add user/group").await;
    fill_assignment(
        admin,
        "Developer",
        "Developer group (group: Everyone who builds)",
        "Demo Reader",
    )
    .await;
    admin.click_button("Assign").await;
    admin.wait_for_text("1 assignment was added.").await;
    let row = row_of(admin, "Developer group").await;
    assert!(row.contains("Demo Reader"), "{row}");

    // Only those assigned may sign in: left on, as a new app has it.
    admin.click_link("Properties").await;
    admin.wait_for_text("Assignment required?").await;
    let required = admin
        .input_labelled("Assignment required?")
        .await
        .is_selected()
        .await
        .or_fail("read a checkbox");
    assert!(required, "Assignment required is on");

    Registration {
        issuer,
        client_id,
        secret,
    }
}

/// The demo app on `port`, configured as registered; its first line says it
/// is listening.
async fn start_the_demo(python: &std::path::Path, port: u16, registration: &Registration) -> Script {
    let port_text = port.to_string();
    let mut demo = Script::start(
        python,
        &["demo/app.py"],
        &[
            ("VESTIBULE_ISSUER", registration.issuer.as_str()),
            ("DEMO_CLIENT_ID", registration.client_id.as_str()),
            ("DEMO_CLIENT_SECRET", registration.secret.as_str()),
            ("DEMO_PORT", port_text.as_str()),
        ],
    );
    let ready = demo.line().await;
    assert!(ready.contains(&format!("http://localhost:{port}/")), "{ready}");
    demo
}

/// On the demo's page after a sign-in: the greeting and the role, from the
/// ID token the demo checked.
async fn assert_greeted(browser: &Browser, base: &str, demo: &Script) {
    let url = browser.current_url().await;
    let text = browser.page_text().await;
    assert!(
        url.starts_with(&format!("{base}/")) && text.contains("Hello, Grace Hopper"),
        "at {url}:\n{text}\ndemo's stderr:\n{}",
        demo.stderr()
    );
    assert_eq!(text_of(browser, "demo-greeting").await, "Hello, Grace Hopper");
    assert_eq!(text_of(browser, "demo-email").await, GUEST);
    assert_eq!(
        text_of(browser, "demo-roles").await,
        format!("Your roles: {ROLE_VALUE}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_in_the_developer_group_signs_in_to_the_demo_app_from_my_apps() {
    let Some(python) = python() else { return };
    let (app, sink) = spawn_with_mail().await;
    // The demo on localhost, Vestibule on 127.0.0.1: two sites, as an app
    // and its identity provider are.
    let port = free_port();
    let base = format!("http://localhost:{port}");

    let registration = {
        let admin = admin_browser(&app).await;
        invite_with_the_wizard(&admin, GUEST, "Grace Hopper").await;
        create_group(&admin, "Developer group", "Everyone who builds").await;
        add_group_member(&admin, "grace", "Grace Hopper (grace@fabrikam.example, Guest)").await;
        register_the_demo(&admin, &base).await
    };
    assert_eq!(registration.issuer, app.issuer().await);
    let demo = start_the_demo(&python, port, &registration).await;

    {
        // The guest redeems and finds the app on My Apps; its tile opens the
        // sign-on URL, the demo sends them to Vestibule, where they are
        // signed in already, and Vestibule straight back with a code.
        let guest = redeem(&app, &sink, GUEST, 1).await;
        guest.wait_for_text(APP_NAME).await;
        guest.click_link(APP_NAME).await;
        guest.wait_for_text("Hello, Grace Hopper").await;
        assert_greeted(&guest, &base, &demo).await;
        guest.screenshot_to(screenshots().as_deref(), "demo-app").await;

        // Sign out of the demo, then of Vestibule (the ID token is the
        // hint, so without asking), then back to the demo.
        guest.click_button("Sign out").await;
        guest.wait_for_text("You have signed out.").await;
        assert!(
            guest.current_url().await.starts_with(&format!("{base}/?state=")),
            "back at the demo: {}",
            guest.current_url().await
        );
        guest.goto(&app.url("/myapps")).await;
        guest.wait_for_path("/signin").await;

        // Signed out everywhere, the guest opens the demo and signs in at
        // Vestibule with a code; the sign-in goes on to the demo.
        guest.goto(&format!("{base}/")).await;
        guest.click_link("Sign in").await;
        guest.wait_for_path("/signin").await;
        let before = sink.messages().len();
        guest.fill("Email", GUEST).await;
        guest.click_button("Email me a sign-in code").await;
        guest.wait_for_path("/signin/code").await;
        let mail = sink.wait_for(before + 1, MAIL_WAIT).await;
        let code = after(&mail.last().unwrap().text().unwrap(), "verification code is: ");
        guest.fill("Code", &code).await;
        guest.click_button("Sign in").await;
        guest.wait_for_text("Hello, Grace Hopper").await;
        assert_greeted(&guest, &base, &demo).await;

        // An app that kept no ID token signs out by its client ID:
        // Vestibule asks first, then goes back to the app.
        let end_session = reqwest::Url::parse_with_params(
            &registration.issuer.replace("/v2.0", "/oauth2/v2.0/logout"),
            [
                ("client_id", registration.client_id.as_str()),
                ("post_logout_redirect_uri", &format!("{base}/")),
            ],
        )
        .expect("the end-session URL");
        guest.goto(end_session.as_str()).await;
        guest.wait_for_text("Sign out?").await;
        let asks = guest.page_text().await;
        assert!(
            asks.contains(&format!(
                "{APP_NAME} asks to sign you out of grace_fabrikam.example#EXT#@"
            )),
            "{asks}"
        );
        guest.click_button("Sign out").await;
        guest.wait_for_path("/").await;
        assert_eq!(guest.current_url().await, format!("{base}/"));
        guest.goto(&app.url("/myapps")).await;
        guest.wait_for_path("/signin").await;
    }

    // A member of the organization without an assignment opens the demo:
    // Vestibule asks them to sign in, then refuses with Entra's words.
    app.create_member(MEMBER, MEMBER_PASSWORD, "").await;
    let member = Browser::start().await;
    member.goto(&format!("{base}/login")).await;
    member.wait_for_path("/signin").await;
    member.fill("Email", MEMBER).await;
    member.fill("Password", MEMBER_PASSWORD).await;
    member.click_button("Sign in").await;
    member.wait_for_text("AADSTS50105").await;
    assert_eq!(
        member.heading().await,
        "Sorry, but we're having trouble signing you in."
    );
    assert_eq!(text_of(&member, "problem-app").await, APP_NAME);
    let message = text_of(&member, "problem-message").await;
    assert!(
        message.starts_with("AADSTS50105: Your administrator has configured the application Vestibule demo")
            && message.contains(&format!("The signed in user '{MEMBER}' is blocked")),
        "{message}"
    );
    assert!(
        member.current_url().await.starts_with(&app.address),
        "the refusal is Vestibule's page, not the app's"
    );
    member
        .screenshot_to(screenshots().as_deref(), "assignment-required")
        .await;
    drop(member);

    // Sign-in logs show the refusal beside the guest's sign-ins to the app.
    let admin = admin_browser(&app).await;
    admin.goto(&app.url("/admin/sign-in-logs")).await;
    admin.wait_for_text("50105").await;
    admin.wait_for_text(APP_NAME).await;
    admin.screenshot_to(screenshots().as_deref(), "sign-in-logs").await;
}
