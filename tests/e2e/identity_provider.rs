//! A guest redeems with their own account: the admin adds the guest's home
//! provider (panva's `oidc-provider`, from clients/home_provider.mjs) on
//! All identity providers, and the guest chooses Sign in with {provider} on
//! the redeem page, signs in on the provider's own login and consent pages
//! in the browser, accepts on Review permissions and lands on My Apps. Then
//! the same guest signs in again later from the Sign in page, by domain.

use thirtyfour::prelude::*;

use crate::browser::Browser;
use crate::common::clients::{Script, oidc_provider_node};
use crate::*;

const GUEST: &str = "hana@fabrikam.test";
const SECRET: &str = "home-provider-secret";

/// Waits for the provider's page with a field or button `css`, and gives it.
async fn at_provider(browser: &Browser, provider: &Script, css: &str) -> WebElement {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(found) = browser.driver().find(By::Css(css)).await {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {css} at {}: {}\nthe provider's log:\n{}",
            browser.current_url().await,
            browser.page_text().await,
            provider.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The provider's development login page (any password), then its consent
/// page: the two pages a guest meets at their home provider.
async fn sign_in_at_home(browser: &Browser, provider: &Script, account: &str) {
    // The provider fills in the address the portal sent as `login_hint`;
    // its development accounts are named by id.
    let login = at_provider(browser, provider, "input[name=login]").await;
    assert_eq!(login.value().await.unwrap().as_deref(), Some(GUEST), "login_hint");
    login.clear().await.unwrap();
    login.send_keys(account).await.unwrap();
    at_provider(browser, provider, "input[name=password]")
        .await
        .send_keys("any password")
        .await
        .unwrap();
    at_provider(browser, provider, "button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    // Consent, unless the provider remembers it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !browser.current_url().await.starts_with("http://127.0.0.1") {
        if let Ok(button) = browser
            .driver()
            .find(By::Css("input[name=prompt][value=consent] ~ button"))
            .await
        {
            let _ = button.click().await;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the provider did not send the browser back: {}\nthe provider's log:\n{}",
            browser.page_text().await,
            provider.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_redeems_at_their_own_provider_in_the_browser_and_signs_in_again_later() {
    let Some(node) = oidc_provider_node() else {
        eprintln!("skipped: oidc-provider is not installed (npm ci)");
        return;
    };
    let (app, sink) = spawn_with_mail().await;
    let redirect = app.url("/federation/callback");
    // The provider is named localhost, the portal 127.0.0.1: two sites
    // whose cookies a browser keeps apart.
    let mut provider = Script::start(
        &node,
        &[
            "clients/home_provider.mjs",
            &redirect,
            SECRET,
            GUEST,
            "someone.else@fabrikam.test",
            "localhost",
        ],
        &[],
    );
    let started: serde_json::Value = serde_json::from_str(&provider.line().await).unwrap();
    let issuer = started["issuer"].as_str().unwrap().to_owned();

    {
        let admin = admin_browser(&app).await;
        admin.goto(&app.url("/admin/identity-providers")).await;
        assert_eq!(admin.heading().await, "All identity providers");
        admin.click_link("New OpenID Connect provider").await;
        admin.wait_for_path("/admin/identity-providers/new").await;
        admin.fill("Display name", "Fabrikam Home").await;
        admin
            .fill("Metadata URL", &format!("{issuer}/.well-known/openid-configuration"))
            .await;
        admin.fill("Client ID", started["client_id"].as_str().unwrap()).await;
        admin.fill("Client secret", SECRET).await;
        admin.fill("Domain names", "fabrikam.test").await;
        admin.click_button("Save").await;
        admin.wait_for_path("/admin/identity-providers").await;
        admin.wait_for_text("Fabrikam Home").await;
        admin.goto(&app.url("/admin/users")).await;
        invite_with_the_wizard(&admin, GUEST, "Hana Guest").await;
    }

    let link = invitation_link(&app, &sink, GUEST, 1).await;
    {
        let guest = Browser::start().await;
        guest.goto(&link).await;
        guest.click_button("Sign in with Fabrikam Home").await;
        sign_in_at_home(&guest, &provider, "invited").await;
        guest.wait_for_path("/redeem/consent").await;
        assert_eq!(guest.heading().await, "Review permissions");
        guest.click_button("Accept").await;
        guest.wait_for_path("/myapps").await;
    }

    // The profile says how the guest signs in.
    app.sign_in_as_admin().await;
    let guest_id: String = sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = $1")
        .bind(GUEST)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let profile = app.get_html(&format!("/admin/users/{guest_id}")).await;
    assert!(
        profile.contains(r#"<dd data-testid="identities">Fabrikam Home</dd>"#),
        "{profile}"
    );

    // Later, in a new browser (no session here or at the provider): the
    // Sign in page sends the address to its provider.
    let later = Browser::start().await;
    later.goto(&app.url("/signin")).await;
    later.fill("Email", GUEST).await;
    later.click_button("Email me a sign-in code").await;
    sign_in_at_home(&later, &provider, "invited").await;
    later.wait_for_path("/myapps").await;
    provider.finish().await;
}
