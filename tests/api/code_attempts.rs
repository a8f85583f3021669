//! One-time codes allow five attempts, even when the guesses arrive all at
//! once: checking a code and counting the attempt are one statement.

use std::time::Duration;

use reqwest::Client;

use crate::common::flows::{code_for, invite_guest};
use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, csrf_token, new_client, spawn_app_with};

const GUESSES: usize = 30;

/// A portal whose per-address limits let a storm of guesses through, so
/// only the code's own attempt count stands in the way.
async fn app_for_storms() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        s.mail_poll = Duration::from_millis(50);
        s.guest_flow_limit_per_ip = 10_000;
        s.code_limit_per_address = 100;
    })
    .await;
    (app, sink)
}

/// How a storm was answered.
#[derive(Debug, Default)]
struct Answers {
    /// Signed in (or on to Review permissions): the code was right.
    accepted: usize,
    /// "That code is not right": a wrong guess with attempts left.
    not_right: usize,
    /// "This code no longer works": out of attempts (or used up).
    locked: usize,
}

/// Sends every guess at once with one session cookie and one CSRF token,
/// as a script replaying a browser's form would.
async fn storm(app: &TestApp, client: &Client, token: &str, action: &str, guesses: &[String]) -> Answers {
    let requests = guesses.iter().map(|code| {
        client
            .post(app.url(action))
            .form(&[("csrf_token", token), ("code", code.as_str())])
            .send()
    });
    let mut answers = Answers::default();
    for res in futures_util::future::join_all(requests).await {
        let res = res.expect("POST");
        match res.status().as_u16() {
            303 => answers.accepted += 1,
            422 => {
                let html = res.text().await.unwrap();
                if html.contains("That code is not right.") {
                    answers.not_right += 1;
                } else {
                    assert!(html.contains("This code no longer works"), "{html}");
                    answers.locked += 1;
                }
            }
            other => panic!("a guess answered {other}"),
        }
    }
    answers
}

/// The attempts counted on the newest code sent to `address`.
async fn attempts(app: &TestApp, address: &str) -> i64 {
    sqlx::query_scalar("SELECT attempts FROM one_time_codes WHERE address_lower = $1 ORDER BY created_at DESC LIMIT 1")
        .bind(address)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

fn wrong_for(code: &str) -> String {
    code.chars()
        .map(|c| char::from(b'0' + (c as u8 - b'0' + 1) % 10))
        .collect()
}

/// Thirty wrong guesses at once: exactly five are compared, the first four
/// say "not right", and the right code is refused afterwards.
async fn assert_wrong_storm_stops_at_five(
    app: &TestApp,
    client: &Client,
    token: &str,
    action: &str,
    address: &str,
    code: &str,
) {
    let wrong = vec![wrong_for(code); GUESSES];
    let answers = storm(app, client, token, action, &wrong).await;
    assert_eq!(attempts(app, address).await, 5, "five guesses compared: {answers:?}");
    assert_eq!(answers.not_right, 4, "{answers:?}");
    assert_eq!(answers.locked, GUESSES - 4, "{answers:?}");
    let right = storm(app, client, token, action, &[code.to_owned()]).await;
    assert_eq!(right.locked, 1, "the right code comes too late: {right:?}");
    assert_eq!(attempts(app, address).await, 5, "a locked code counts no more");
}

/// The right code among wrong ones, all at once: it is accepted only when
/// it was among the five compared, whatever order they arrived in.
fn assert_mixed_storm_holds(answers: &Answers, compared: i64) {
    assert!(compared <= 5, "at most five compared: {compared}, {answers:?}");
    assert!(answers.accepted <= 1, "{answers:?}");
    if answers.accepted == 1 {
        // Every guess compared before the right one was wrong, and after it
        // the code was used up.
        assert_eq!(answers.not_right as i64, compared - 1, "{answers:?}");
    } else {
        assert_eq!(compared, 5, "{answers:?}");
        assert_eq!(answers.not_right, 4, "{answers:?}");
    }
}

fn mixed(code: &str) -> Vec<String> {
    let mut guesses = vec![wrong_for(code); GUESSES - 1];
    guesses.push(code.to_owned());
    guesses
}

#[tokio::test]
async fn concurrent_guesses_at_a_redemption_code_get_five_attempts() {
    let (app, sink) = app_for_storms().await;
    app.sign_in_as_admin().await;
    let address = "storm@fabrikam.example";
    let ticket = invite_guest(&app, &sink, address, &[]).await;
    let guest = new_client();
    let link = format!("/redeem?ticket={ticket}");
    let token = csrf_token(&app.get_with(&guest, &link).await.text().await.unwrap());
    let mut sent = sink.messages().len();
    let mut fresh_code = async || {
        // A new second for each code, so "the newest" is plain to the test.
        app.clock.advance(1);
        let res = guest
            .post(app.url("/redeem/code"))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        sent += 1;
        code_for(&sink, address, sent).await
    };
    let code = fresh_code().await;
    assert_wrong_storm_stops_at_five(&app, &guest, &token, "/redeem/verify", address, &code).await;

    for _ in 0..3 {
        let code = fresh_code().await;
        let answers = storm(&app, &guest, &token, "/redeem/verify", &mixed(&code)).await;
        assert_mixed_storm_holds(&answers, attempts(&app, address).await);
    }
}

#[tokio::test]
async fn concurrent_guesses_at_a_sign_in_code_get_five_attempts() {
    let (app, sink) = app_for_storms().await;
    app.sign_in_as_admin().await;
    let address = "returning@fabrikam.example";
    invite_guest(&app, &sink, address, &[]).await;
    let mut sent = sink.messages().len();
    for round in 0..4 {
        let guest = new_client();
        let token = csrf_token(&app.get_with(&guest, "/signin").await.text().await.unwrap());
        app.clock.advance(1);
        let res = guest
            .post(app.url("/signin/code"))
            .form(&[("csrf_token", token.as_str()), ("email", address)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        sent += 1;
        let code = code_for(&sink, address, sent).await;
        if round == 0 {
            assert_wrong_storm_stops_at_five(&app, &guest, &token, "/signin/code/verify", address, &code).await;
        } else {
            let answers = storm(&app, &guest, &token, "/signin/code/verify", &mixed(&code)).await;
            assert_mixed_storm_holds(&answers, attempts(&app, address).await);
        }
    }
}
