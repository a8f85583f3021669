//! Redeeming with the guest's own account at an OpenID Connect identity
//! provider: Sign in with {provider} on the redeem page, the code flow
//! with PKCE, state and nonce, then Review permissions and My Apps. The
//! wrong account, unverified addresses, unsigned, forged, wrong-issuer and
//! wrong-nonce tokens, a replayed state and a provider that is down are
//! refused with a clear page and a line in the Sign-in logs.

use reqwest::{Client, StatusCode};

use crate::common::flows::{app_with_sink, invite_guest, user_id};
use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, assert_redirect_to, location, new_client};
use crate::fake_idp::{CLIENT_ID, CLIENT_SECRET, FakeIdp, Plan};

pub(crate) const GUEST: &str = "grace@fabrikam.test";
const NEW: &str = "/admin/identity-providers/new";

pub(crate) async fn world(plan: Plan, required: bool) -> (TestApp, SmtpSink, FakeIdp, String) {
    let (app, sink) = app_with_sink().await;
    let idp = FakeIdp::start(plan).await;
    app.sign_in_as_admin().await;
    let metadata = idp.metadata_url();
    let mut fields = vec![
        ("display_name", "Fabrikam ID"),
        ("metadata_url", metadata.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("domains", "fabrikam.test"),
        ("enabled", "on"),
    ];
    if required {
        fields.push(("required", "on"));
    }
    assert_redirect_to(&app.submit(NEW, NEW, &fields).await, "/admin/identity-providers");
    let ticket = invite_guest(&app, &sink, GUEST, &[]).await;
    (app, sink, idp, ticket)
}

/// Opens the invitation, chooses Sign in with Fabrikam ID and signs in at
/// the provider: the URL the provider sends the browser back to.
pub(crate) async fn sign_in_at_provider(app: &TestApp, idp: &FakeIdp, guest: &Client, ticket: &str) -> String {
    let link = format!("/redeem?ticket={ticket}");
    let page = app.get_with(guest, &link).await.text().await.unwrap();
    assert!(page.contains(">Sign in with Fabrikam ID</button>"), "{page}");
    let res = app.submit_with(guest, &link, "/redeem/provider", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let authorize = location(&res);
    assert!(
        authorize.starts_with(&format!("{}/authorize?", idp.base)),
        "{authorize}"
    );
    for part in [
        "response_type=code",
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "code_challenge=",
    ] {
        assert!(authorize.contains(part), "{part} missing from {authorize}");
    }
    let res = guest.get(&authorize).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = location(&res);
    assert!(back.starts_with(&app.url("/federation/callback?")), "{back}");
    back
}

pub(crate) async fn identities(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT issuer, subject, user_id FROM user_identities ORDER BY subject")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

async fn failures(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT failure_reason FROM sign_in_log WHERE status = 'Failure' ORDER BY occurred_at, id")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_guest_redeems_with_their_own_account_and_lands_on_my_apps() {
    let (app, _sink, idp, ticket) = world(Plan::account("sub-grace", GUEST), false).await;
    let guest = new_client();
    let page = app
        .get_with(&guest, &format!("/redeem?ticket={ticket}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-testid=\"send-code\""),
        "the code stays when the provider is not required"
    );
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    let res = guest.get(&back).send().await.unwrap();
    assert_redirect_to(&res, "/redeem/consent");
    let consent = app.get_with(&guest, "/redeem/consent").await.text().await.unwrap();
    assert!(consent.contains("<h1>Review permissions</h1>"), "{consent}");
    let res = app.submit_with(&guest, "/redeem/consent", "/redeem/accept", &[]).await;
    assert_redirect_to(&res, "/myapps");
    assert_eq!(app.get_with(&guest, "/myapps").await.status(), StatusCode::OK);
    let id = user_id(&app, GUEST).await;
    assert_eq!(identities(&app).await, [(idp.base.clone(), "sub-grace".to_owned(), id)]);
    let state: String = sqlx::query_scalar("SELECT external_user_state FROM users WHERE mail_lower = $1")
        .bind(GUEST)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(state, "Accepted");

    // The profile says how the guest signs in; Reset redemption status
    // forgets the link.
    let profile_path = format!("/admin/users/{}", user_id(&app, GUEST).await);
    let profile = app.get_html(&profile_path).await;
    assert!(
        profile.contains(r#"<dd data-testid="identities">Fabrikam ID</dd>"#),
        "{profile}"
    );
    let reset = format!("{profile_path}/reset-redemption");
    assert_redirect_to(&app.submit(&reset, &reset, &[("email", GUEST)]).await, &profile_path);
    assert!(identities(&app).await.is_empty());
    let profile = app.get_html(&profile_path).await;
    assert!(profile.contains(r#"<dd data-testid="identities">Email one-time passcode</dd>"#));
}

#[tokio::test]
async fn the_wrong_account_or_an_unverified_address_is_refused_and_nothing_changes() {
    let (app, _sink, idp, ticket) = world(Plan::account("sub-other", "other@fabrikam.test"), false).await;
    let guest = new_client();
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    let res = guest.get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(html.contains("This account does not match the invitation"), "{html}");
    assert!(html.contains("other@fabrikam.test"));
    assert_eq!(
        app.get_with(&guest, "/redeem/consent").await.status(),
        StatusCode::SEE_OTHER
    );

    let mut unverified = Plan::account("sub-grace", GUEST);
    unverified.email_verified = Some(false);
    idp.set_plan(unverified);
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    let res = guest.get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("did not say the address is verified")
    );

    assert!(identities(&app).await.is_empty());
    let failures = failures(&app).await;
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures[0].contains("does not match the invited address"),
        "{failures:?}"
    );
}

#[tokio::test]
async fn unsigned_forged_wrong_issuer_wrong_nonce_and_mixed_up_answers_are_refused() {
    let (app, _sink, idp, ticket) = world(Plan::account("sub-grace", GUEST), false).await;
    let good = Plan::account("sub-grace", GUEST);
    let cases = [
        (
            Plan {
                unsigned: true,
                ..good.clone()
            },
            "unsigned or malformed",
        ),
        (
            Plan {
                forged: true,
                ..good.clone()
            },
            "signature does not verify",
        ),
        (
            Plan {
                issuer: Some("https://evil.example".into()),
                ..good.clone()
            },
            "names another issuer",
        ),
        (
            Plan {
                nonce: Some("another-nonce".into()),
                ..good.clone()
            },
            "nonce does not match",
        ),
    ];
    let guest = new_client();
    for (plan, reason) in cases {
        idp.set_plan(plan);
        let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
        let res = guest.get(&back).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_GATEWAY, "{reason}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Sign-in with your identity provider failed") && html.contains(reason),
            "{html}"
        );
        assert!(failures(&app).await.last().unwrap().contains(reason));
    }
    // A response that names another issuer (a mix-up between providers).
    idp.set_plan(good);
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    let res = guest
        .get(format!("{back}&iss=https%3A%2F%2Fevil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(res.text().await.unwrap().contains("(iss: mix-up)"));
    assert!(failures(&app).await.last().unwrap().contains("mix-up"));
    assert!(identities(&app).await.is_empty());
    assert_eq!(
        app.get_with(&guest, "/redeem/consent").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_replayed_state_and_a_provider_that_is_down_are_refused() {
    let (app, _sink, idp, ticket) = world(Plan::account("sub-grace", GUEST), false).await;
    let guest = new_client();
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    assert_redirect_to(&guest.get(&back).send().await.unwrap(), "/redeem/consent");
    let res = guest.get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("was already used (state)"));
    let res = guest
        .get(app.url("/federation/callback?state=made-up&code=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = guest
        .get(app.url("/federation/callback?error=access_denied"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // The provider answers with an error.
    let other = new_client();
    let back = sign_in_at_provider(&app, &idp, &other, &ticket).await;
    let state = back.split("state=").nth(1).unwrap().to_owned();
    let res = other
        .get(app.url(&format!(
            "/federation/callback?state={state}&error=access_denied&error_description=User+cancelled"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(res.text().await.unwrap().contains("access_denied (User cancelled)"));

    // The provider is down when the code is traded.
    let late = new_client();
    let back = sign_in_at_provider(&app, &idp, &late, &ticket).await;
    idp.stop().await;
    let res = late.get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(res.text().await.unwrap().contains("could not be reached"));
    assert!(failures(&app).await.iter().any(|f| f.contains("could not be reached")));
    assert_eq!(identities(&app).await.len(), 1, "only the first sign-in linked");
}

#[tokio::test]
async fn a_required_provider_takes_the_place_of_the_code() {
    let (app, _sink, _idp, ticket) = world(Plan::account("sub-grace", GUEST), true).await;
    let guest = new_client();
    let link = format!("/redeem?ticket={ticket}");
    let page = app.get_with(&guest, &link).await.text().await.unwrap();
    assert!(page.contains(">Sign in with Fabrikam ID</button>"));
    assert!(!page.contains("data-testid=\"send-code\"") && !page.contains("data-testid=\"continue\""));
    let res = app.submit_with(&guest, &link, "/redeem/code", &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("the email one-time passcode is not offered")
    );
}

/// Email me a sign-in code on the Sign in page, for `address`.
async fn sign_in_later(app: &TestApp, client: &Client, address: &str) -> reqwest::Response {
    app.submit_with(client, "/signin", "/signin/code", &[("email", address)])
        .await
}

#[tokio::test]
async fn sign_in_later_goes_to_the_provider_by_domain_and_finds_the_guest_by_subject() {
    let (app, _sink, idp, ticket) = world(Plan::account("sub-grace", GUEST), false).await;
    let guest = new_client();
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    assert_redirect_to(&guest.get(&back).send().await.unwrap(), "/redeem/consent");
    assert_redirect_to(
        &app.submit_with(&guest, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );

    // The Sign in page may lead to the provider (its form-action says so).
    let later = new_client();
    let page = app.get_with(&later, "/signin").await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains(&format!("form-action 'self' {}", idp.base)), "{csp}");
    // Every address at the domain goes to the provider, known or not.
    for address in [GUEST, "nobody@fabrikam.test"] {
        let res = sign_in_later(&app, &later, address).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{address}");
        assert!(
            location(&res).starts_with(&format!("{}/authorize?", idp.base)),
            "{address}"
        );
    }
    let res = sign_in_later(&app, &later, "someone@northwind.test").await;
    assert_eq!(res.status(), StatusCode::OK, "other domains get the code page");

    let res = sign_in_later(&app, &later, GUEST).await;
    let res = later.get(location(&res)).send().await.unwrap();
    let back = location(&res);
    assert_redirect_to(&later.get(&back).send().await.unwrap(), "/myapps");
    assert_eq!(app.get_with(&later, "/myapps").await.status(), StatusCode::OK);

    // A new account at the provider with the same address (recycled) does
    // not take the guest over: the link is by subject.
    idp.set_plan(Plan::account("sub-new-owner", GUEST));
    let thief = new_client();
    let res = sign_in_later(&app, &thief, GUEST).await;
    let res = thief.get(location(&res)).send().await.unwrap();
    let res = thief.get(location(&res)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This account can&#39;t sign in here")
    );
    assert_eq!(app.get_with(&thief, "/myapps").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(identities(&app).await.len(), 1);
}

#[tokio::test]
async fn a_guest_who_redeemed_with_the_code_is_linked_once_by_a_verified_address() {
    let (app, sink, idp, ticket) = world(Plan::account("sub-grace", GUEST), false).await;
    let guest = new_client();
    crate::common::flows::prove_address(&app, &sink, &guest, &ticket, GUEST).await;
    assert_redirect_to(
        &app.submit_with(&guest, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
    assert!(identities(&app).await.is_empty(), "the code links nothing");

    // Unverified at the provider: not linked.
    let mut unverified = Plan::account("sub-grace", GUEST);
    unverified.email_verified = Some(false);
    idp.set_plan(unverified);
    let later = new_client();
    let res = sign_in_later(&app, &later, GUEST).await;
    let res = later.get(location(&res)).send().await.unwrap();
    let res = later.get(location(&res)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(identities(&app).await.is_empty());

    idp.set_plan(Plan::account("sub-grace", GUEST));
    let res = sign_in_later(&app, &later, GUEST).await;
    let res = later.get(location(&res)).send().await.unwrap();
    assert_redirect_to(&later.get(location(&res)).send().await.unwrap(), "/myapps");
    let id = user_id(&app, GUEST).await;
    assert_eq!(identities(&app).await, [(idp.base.clone(), "sub-grace".to_owned(), id)]);
}
