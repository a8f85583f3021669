//! What a sign-in at an identity provider keeps on the portal's side: the
//! request (`nonce`, PKCE verifier) waits in the database under the digest
//! of its `state`, is used once and expires after ten minutes, so an old
//! copy of the session cookie cannot replay a callback; and the provider's
//! published keys are read once and again only when a token names a new key.

use reqwest::StatusCode;

use crate::common::flows::invite_guest;
use crate::common::{assert_redirect_to, bare_client, new_client, new_client_with_jar};
use crate::fake_idp::Plan;
use crate::identity_provider_redemption::{GUEST, identities, sign_in_at_provider, world};

#[tokio::test]
async fn a_callback_replayed_with_an_old_cookie_is_refused_before_the_provider_is_asked() {
    let (app, _sink, idp, ticket) = world(Plan::account("sub-grace", GUEST), false).await;
    let (guest, jar) = new_client_with_jar();
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM federation_requests").await, 1);
    let digest: String = sqlx::query_scalar("SELECT state_digest FROM federation_requests")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let state = url::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    assert_ne!(digest, state, "the state is kept as a digest");
    assert!(!digest.contains(&state));

    // What a thief or a stale tab holds: the cookie from before the callback.
    let old_cookie = {
        use reqwest::cookie::CookieStore;
        let url = url::Url::parse(&app.url("/")).unwrap();
        jar.cookies(&url).unwrap().to_str().unwrap().to_owned()
    };
    assert_redirect_to(&guest.get(&back).send().await.unwrap(), "/redeem/consent");
    assert_eq!(idp.token_requests(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM federation_requests").await, 0);

    let res = bare_client()
        .get(&back)
        .header("cookie", old_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("was already used (state)"));
    assert_eq!(idp.token_requests(), 1, "the provider was not asked again");
    assert_eq!(identities(&app).await.len(), 1);
}

#[tokio::test]
async fn a_callback_in_another_browser_or_after_ten_minutes_is_refused() {
    let (app, _sink, idp, ticket) = world(Plan::account("sub-grace", GUEST), false).await;
    let guest = new_client();
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;

    // Another browser, with the right state but not the session that left.
    let res = new_client().get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(idp.token_requests(), 0);

    // Ten minutes later the request is worth nothing, and is forgotten.
    app.clock.advance(10 * 60 + 1);
    let res = guest.get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("expired"));
    assert_eq!(idp.token_requests(), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM federation_requests").await, 0);
    assert!(identities(&app).await.is_empty());

    // Requests whose browser never came back are forgotten by the next start.
    let late = new_client();
    sign_in_at_provider(&app, &idp, &late, &ticket).await;
    app.clock.advance(10 * 60 + 1);
    sign_in_at_provider(&app, &idp, &new_client(), &ticket).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM federation_requests").await, 1);
}

#[tokio::test]
async fn the_providers_keys_are_read_once_and_again_when_it_rotates_them() {
    let (app, sink, idp, ticket) = world(Plan::account("sub-grace", GUEST), false).await;
    let guest = new_client();
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    assert_redirect_to(&guest.get(&back).send().await.unwrap(), "/redeem/consent");
    assert_eq!(idp.jwks_reads(), 1);

    let second = "ada@fabrikam.test";
    let ticket = invite_guest(&app, &sink, second, &[]).await;
    idp.set_plan(Plan::account("sub-ada", second));
    let guest = new_client();
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    assert_redirect_to(&guest.get(&back).send().await.unwrap(), "/redeem/consent");
    assert_eq!(idp.jwks_reads(), 1, "the keys were kept");

    // The provider signs with a new key: the portal reads the keys again.
    idp.rotate_key("idp-key-2");
    let third = "lin@fabrikam.test";
    let ticket = invite_guest(&app, &sink, third, &[]).await;
    idp.set_plan(Plan::account("sub-lin", third));
    let guest = new_client();
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    assert_redirect_to(&guest.get(&back).send().await.unwrap(), "/redeem/consent");
    assert_eq!(idp.jwks_reads(), 2);
    assert_eq!(identities(&app).await.len(), 3);
}

/// Microsoft sends no `email_verified`; its optional claim `xms_edov` says
/// the email domain's owner verified the address. Without either, the
/// address counts as unverified.
#[tokio::test]
async fn xms_edov_stands_for_email_verified_when_that_claim_is_absent() {
    let mut plan = Plan::account("sub-grace", GUEST);
    plan.email_verified = None;
    let (app, _sink, idp, ticket) = world(plan.clone(), false).await;
    let guest = new_client();
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    let res = guest.get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("did not say the address is verified")
    );

    plan.xms_edov = Some(false);
    idp.set_plan(plan.clone());
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    assert_eq!(guest.get(&back).send().await.unwrap().status(), StatusCode::BAD_GATEWAY);

    plan.xms_edov = Some(true);
    idp.set_plan(plan);
    let back = sign_in_at_provider(&app, &idp, &guest, &ticket).await;
    assert_redirect_to(&guest.get(&back).send().await.unwrap(), "/redeem/consent");
    assert_eq!(identities(&app).await.len(), 1);
}
