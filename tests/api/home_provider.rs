//! Redemption against a real, certified OpenID Connect provider: npm
//! `oidc-provider` (clients/home_provider.mjs) on a loopback port, with the
//! invited account and another one. The guest signs in through its login
//! and consent pages, as a browser would, and lands on My Apps; the other
//! account is refused.

use reqwest::{Client, StatusCode};

use crate::common::clients::{Script, oidc_provider_node};
use crate::common::flows::{app_with_sink, invite_guest, user_id};
use crate::common::{TestApp, assert_redirect_to, attribute_after, location, new_client};

const GUEST: &str = "hana@fabrikam.test";
const OTHER: &str = "someone.else@fabrikam.test";
const SECRET: &str = "home-provider-secret";

/// The portal with the home provider added for fabrikam.test, the provider
/// running, and an invitation for GUEST.
async fn world() -> Option<(TestApp, Script, String, String)> {
    let node = oidc_provider_node()?;
    let (app, sink) = app_with_sink().await;
    let redirect = app.url("/federation/callback");
    let mut script = Script::start(
        &node,
        &["clients/home_provider.mjs", &redirect, SECRET, GUEST, OTHER],
        &[],
    );
    let started: serde_json::Value = serde_json::from_str(&script.line().await).unwrap();
    let issuer = started["issuer"].as_str().unwrap().to_owned();
    let client_id = started["client_id"].as_str().unwrap().to_owned();
    app.sign_in_as_admin().await;
    let metadata = format!("{issuer}/.well-known/openid-configuration");
    let new = "/admin/identity-providers/new";
    let fields = [
        ("display_name", "Fabrikam Home"),
        ("metadata_url", metadata.as_str()),
        ("client_id", client_id.as_str()),
        ("client_secret", SECRET),
        ("domains", "fabrikam.test"),
        ("enabled", "on"),
    ];
    assert_redirect_to(&app.submit(new, new, &fields).await, "/admin/identity-providers");
    let ticket = invite_guest(&app, &sink, GUEST, &[]).await;
    Some((app, script, issuer, ticket))
}

/// Sign in with Fabrikam Home, then the provider's login page (as
/// `account`) and consent page: the URL it sends the browser back to.
async fn sign_in_at_home(app: &TestApp, guest: &Client, ticket: &str, account: &str) -> String {
    let link = format!("/redeem?ticket={ticket}");
    let res = app.submit_with(guest, &link, "/redeem/provider", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut next = location(&res);
    let callback = app.url("/federation/callback?");
    for _ in 0..10 {
        if next.starts_with(&callback) {
            return next;
        }
        let res = guest.get(&next).send().await.unwrap();
        if res.status().is_redirection() {
            next = absolute(&next, &location(&res));
            continue;
        }
        assert_eq!(res.status(), StatusCode::OK, "{next}");
        let page = res.text().await.unwrap();
        let action = attribute_after(&page, "<form autocomplete=\"off\" action=\"").expect("an interaction form");
        let fields: Vec<(&str, &str)> = if page.contains("name=\"prompt\" value=\"login\"") {
            vec![("prompt", "login"), ("login", account), ("password", "any")]
        } else {
            vec![("prompt", "consent")]
        };
        let res = guest.post(&action).form(&fields).send().await.unwrap();
        assert!(res.status().is_redirection(), "{}", res.text().await.unwrap());
        next = absolute(&action, &location(&res));
    }
    panic!("the provider did not send the browser back: {next}");
}

/// A Location header, relative or not, as an absolute URL.
fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base).unwrap().join(location).unwrap().to_string()
}

#[tokio::test]
async fn a_guest_redeems_by_signing_in_at_the_real_provider_and_lands_on_my_apps() {
    let Some((app, script, issuer, ticket)) = world().await else {
        return;
    };
    let guest = new_client();
    let back = sign_in_at_home(&app, &guest, &ticket, "invited").await;
    assert_redirect_to(&guest.get(&back).send().await.unwrap(), "/redeem/consent");
    let res = app.submit_with(&guest, "/redeem/consent", "/redeem/accept", &[]).await;
    assert_redirect_to(&res, "/myapps");
    let linked: Vec<(String, String, String)> = sqlx::query_as("SELECT issuer, subject, user_id FROM user_identities")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(linked, [(issuer, "invited".to_owned(), user_id(&app, GUEST).await)]);
    script.finish().await;
}

#[tokio::test]
async fn the_other_account_at_the_real_provider_is_refused() {
    let Some((app, script, _issuer, ticket)) = world().await else {
        return;
    };
    let guest = new_client();
    let back = sign_in_at_home(&app, &guest, &ticket, "other").await;
    let res = guest.get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("This account does not match the invitation") && html.contains(OTHER),
        "{html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM user_identities").await, 0);
    assert_eq!(
        app.get_with(&guest, "/redeem/consent").await.status(),
        StatusCode::SEE_OTHER
    );
    script.finish().await;
}
