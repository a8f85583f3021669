//! The purge job also deletes what is worth nothing any more: one-time
//! passcodes, authorization codes and refresh tokens a day after they
//! expired, and the keys of submitted forms after 31 days (longer than any
//! session, so no open page can submit twice). Nothing live is touched.

use vestibule::services::openid_connect::REFRESH_TOKEN_LIFETIME;
use vestibule::services::purge::delete_expired_rows;

use crate::common::flows::{app_with_sink, invite_guest, prove_address};
use crate::common::new_client;
use crate::openid_connect::world;

const DAY: i64 = 86_400;

#[tokio::test]
async fn codes_a_day_past_expiry_and_form_keys_after_31_days_are_deleted() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let ticket = invite_guest(&app, &sink, "grace@fabrikam.test", &[]).await;
    prove_address(&app, &sink, &new_client(), &ticket, "grace@fabrikam.test").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM one_time_codes").await, 1);
    let form_keys = app.count("SELECT COUNT(*) FROM form_submissions").await;
    assert!(form_keys >= 1);

    assert_eq!(
        delete_expired_rows(&app.state).await.unwrap(),
        0,
        "nothing has expired yet"
    );
    app.clock.advance(DAY + 30 * 60 + 1);
    assert_eq!(delete_expired_rows(&app.state).await.unwrap(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM one_time_codes").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM form_submissions").await, form_keys);

    app.clock.advance(30 * DAY);
    delete_expired_rows(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM form_submissions").await, 0);
    // The guest and the invitation stay.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE mail_lower = 'grace@fabrikam.test'")
            .await,
        1
    );
}

#[tokio::test]
async fn authorization_codes_and_refresh_tokens_go_a_day_after_they_expired() {
    let w = world().await;
    let (_attempt, tokens) = w.tokens().await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(w.app.count("SELECT COUNT(*) FROM authorization_codes").await, 1);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM refresh_tokens").await, 1);

    // A day and a bit: the spent code goes, the refresh token stays and works.
    w.app.clock.advance(DAY + 120);
    delete_expired_rows(&w.app.state).await.unwrap();
    assert_eq!(w.app.count("SELECT COUNT(*) FROM authorization_codes").await, 0);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM refresh_tokens").await, 1);
    let (status, body) = w.refresh(&refresh_token).await;
    assert_eq!(status, 200, "{body}");

    // Past the refresh tokens' lifetime and a day more: they go too.
    w.app.clock.advance(REFRESH_TOKEN_LIFETIME + DAY + 1);
    delete_expired_rows(&w.app.state).await.unwrap();
    assert_eq!(w.app.count("SELECT COUNT(*) FROM refresh_tokens").await, 0);
    let new_token = body["refresh_token"].as_str().unwrap();
    let (status, body) = w.refresh(new_token).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}
