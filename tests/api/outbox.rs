//! The outbox: mail committed with a change, sent by the worker through a
//! real SMTP conversation (an in-process sink), retried, failed, wiped,
//! shared between workers without a message going out twice, and repeated
//! at most for the sends in flight when the portal is killed; and the
//! development mailbox.

use std::time::{Duration, Instant};

use vestibule::config::Settings;
use vestibule::store::audit::{Actor, AuditEntry};
use vestibule::store::outbox::{self, OutgoingMail};

use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, spawn_app, spawn_app_on_real_clock_with, spawn_app_with};

const WAIT: Duration = Duration::from_secs(15);

/// SMTP at `sink`, retries after 10 s doubling to 100 s, a fast poll.
fn with_smtp(sink: &SmtpSink) -> impl FnOnce(&mut Settings) + use<> {
    let url = sink.url();
    move |s| {
        s.smtp_url = Some(url);
        s.mail_retry_base = Duration::from_secs(10);
        s.mail_retry_max = Duration::from_secs(100);
        s.mail_poll = Duration::from_millis(100);
    }
}

/// An invitation-like message to `to`.
fn message(to: &str, subject: &str) -> (lettre::Message, String) {
    let id = vestibule::mail::new_message_id("contoso.test");
    let message = vestibule::mail::build_message(
        "Contoso Invitations",
        "invitations@contoso.test",
        Some("ada@contoso.test"),
        to,
        subject,
        format!("Hello {to}. Accept the invitation: https://portal.contoso.test/redeem?ticket=T0PS3CRET-{subject}"),
        format!("<p class=\"from-mail\">Hello {to}.</p><p><a href=\"https://portal.contoso.test/redeem\">Accept invitation</a></p>"),
        Some("https://portal.contoso.test/block?a=signed"),
        &id,
    )
    .unwrap();
    (message, id)
}

/// The outbox row for a composed `message`, as `mail::queue` takes it.
fn outgoing(
    message: &lettre::Message,
    to: &str,
    subject: &str,
    message_id: &str,
    carries_secret: bool,
) -> OutgoingMail {
    OutgoingMail {
        kind: "invitation",
        user_id: None,
        recipient: to.to_owned(),
        subject: subject.to_owned(),
        message_id: message_id.to_owned(),
        body: vestibule::mail::message_text(message),
        carries_secret,
        priority: 0,
    }
}

/// Queues a message in its own transaction, commits, and wakes the worker.
async fn queue(app: &TestApp, to: &str, subject: &str, carries_secret: bool) -> String {
    let (message, message_id) = message(to, subject);
    let mut tx = app.db.begin().await.unwrap();
    let id = vestibule::mail::queue(
        &mut tx,
        &outgoing(&message, to, subject, &message_id, carries_secret),
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.state.wake_mail();
    id
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    status: String,
    attempts: i64,
    last_error: Option<String>,
    body: Option<String>,
    sent_by: Option<String>,
    lease_owner: Option<String>,
    next_attempt_at: i64,
    recipient: String,
    subject: String,
}

async fn row(app: &TestApp, id: &str) -> Row {
    sqlx::query_as(
        "SELECT status, attempts, last_error, body, sent_by, lease_owner, next_attempt_at, recipient, subject \
         FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// Waits until the row satisfies `done`, and returns it.
async fn row_until(app: &TestApp, id: &str, done: impl Fn(&Row) -> bool) -> Row {
    let start = Instant::now();
    loop {
        let r = row(app, id).await;
        if done(&r) {
            return r;
        }
        assert!(start.elapsed() < WAIT, "the outbox row never got there: {r:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn mail_committed_with_a_change_is_delivered_with_its_headers_and_both_parts() {
    let sink = SmtpSink::start();
    let app = spawn_app_with(with_smtp(&sink)).await;

    // A change rolled back takes its mail with it.
    let (dropped, dropped_id) = message("nobody@fabrikam.test", "Rolled back");
    let mut tx = app.db.begin().await.unwrap();
    vestibule::mail::queue(
        &mut tx,
        &outgoing(&dropped, "nobody@fabrikam.test", "Rolled back", &dropped_id, false),
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();

    // The change and its mail commit together.
    let (mail, message_id) = message("grace@fabrikam.test", "Ada invited you");
    let mut tx = app.db.begin().await.unwrap();
    let actor = Actor::system("test");
    let entry = AuditEntry {
        activity: "Invite external user",
        category: "UserManagement",
        target_id: None,
        target_name: Some("grace@fabrikam.test"),
        details: None,
    };
    vestibule::store::audit::record(&mut tx, &actor, &entry, app.clock.now())
        .await
        .unwrap();
    let id = vestibule::mail::queue(
        &mut tx,
        &outgoing(&mail, "grace@fabrikam.test", "Ada invited you", &message_id, false),
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.state.wake_mail();

    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1, "one message arrives");
    let got = &received[0];
    assert_eq!(got.from, "invitations@contoso.test");
    assert_eq!(got.to, vec!["grace@fabrikam.test".to_string()]);
    assert_eq!(got.subject(), "Ada invited you");
    assert_eq!(format!("<{}>", got.message_id()), message_id);
    assert_eq!(
        got.header("From").as_deref(),
        Some("\"Contoso Invitations\" <invitations@contoso.test>")
    );
    assert_eq!(got.header("To").as_deref(), Some("grace@fabrikam.test"));
    assert_eq!(got.header("Reply-To").as_deref(), Some("ada@contoso.test"));
    assert_eq!(
        got.header("List-Unsubscribe").as_deref(),
        Some("<https://portal.contoso.test/block?a=signed>")
    );
    let text = got.text().expect("a text part");
    assert!(
        text.contains("https://portal.contoso.test/redeem?ticket=T0PS3CRET-Ada invited you"),
        "{text}"
    );
    let html = got.html().expect("an HTML part");
    assert!(
        html.contains("<a href=\"https://portal.contoso.test/redeem\">Accept invitation</a>"),
        "{html}"
    );

    let r = row_until(&app, &id, |r| r.status == "sent").await;
    assert_eq!(r.attempts, 1);
    assert!(r.last_error.is_none() && r.lease_owner.is_none());
    assert!(r.body.is_some(), "a body without a secret is kept");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox").await,
        1,
        "the rolled-back mail is gone"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1, "nothing is sent twice");
}

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_goes_out_once_it_is_back() {
    let sink = SmtpSink::down();
    let app = spawn_app_with(with_smtp(&sink)).await;
    let queued_at = app.clock.now();
    let id = queue(&app, "grace@fabrikam.test", "While down", false).await;

    let r = row_until(&app, &id, |r| r.attempts == 1 && r.lease_owner.is_none()).await;
    assert_eq!(r.status, "queued");
    let error = r.last_error.expect("the failure is recorded");
    assert!(error.to_lowercase().contains("connection"), "{error}");
    assert!(
        r.next_attempt_at > queued_at && r.next_attempt_at <= app.clock.now() + 10,
        "the retry waits for the backoff: {}",
        r.next_attempt_at - queued_at
    );

    // Back up, but the message is not due yet: nothing is sent.
    sink.come_up();
    app.state.wake_mail();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.messages().is_empty(), "the backoff is respected");

    app.clock.advance(11);
    app.state.wake_mail();
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].subject(), "While down");
    let r = row_until(&app, &id, |r| r.status == "sent").await;
    assert_eq!(r.attempts, 2);
    assert!(r.last_error.is_none());
}

#[tokio::test]
async fn temporary_refusals_are_retried_until_the_last_attempt_then_fail() {
    let sink = SmtpSink::start();
    sink.refuse_next(10, 451);
    let app = spawn_app_with(|s| {
        with_smtp(&sink)(s);
        s.mail_max_attempts = 2;
    })
    .await;
    let id = queue(&app, "grace@fabrikam.test", "Greylisted", true).await;

    let r = row_until(&app, &id, |r| r.attempts == 1 && r.lease_owner.is_none()).await;
    assert_eq!(r.status, "queued");
    assert!(r.last_error.as_deref().unwrap_or("").contains("451"), "{r:?}");

    app.clock.advance(11);
    app.state.wake_mail();
    let r = row_until(&app, &id, |r| r.status == "failed").await;
    assert_eq!(r.attempts, 2);
    let error = r.last_error.unwrap();
    assert!(
        error.contains("gave up after 2 attempts") && error.contains("451"),
        "{error}"
    );
    assert!(r.body.is_none(), "a secret body is wiped after the final failure");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once_with_the_reason_and_wipes_a_secret() {
    let sink = SmtpSink::start();
    sink.refuse_next(1, 550);
    let app = spawn_app_with(with_smtp(&sink)).await;
    let id = queue(&app, "nobody@fabrikam.test", "Refused", true).await;

    let r = row_until(&app, &id, |r| r.status == "failed").await;
    assert_eq!(r.attempts, 1, "a 5xx answer is not retried");
    let error = r.last_error.clone().unwrap();
    assert!(error.contains("550") && error.contains("test sink refuses"), "{error}");
    assert!(r.body.is_none(), "the secret body is wiped");
    assert_eq!(r.recipient, "nobody@fabrikam.test", "the metadata stays");
    assert_eq!(r.subject, "Refused");

    // Time passes; nothing is tried again.
    app.clock.advance(100_000);
    app.state.wake_mail();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = row(&app, &id).await;
    assert_eq!((later.status.as_str(), later.attempts), ("failed", 1));
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_body_carrying_a_secret_is_wiped_once_sent_and_others_are_kept() {
    let sink = SmtpSink::start();
    let app = spawn_app_with(with_smtp(&sink)).await;
    let secret = queue(&app, "grace@fabrikam.test", "With a ticket", true).await;
    let plain = queue(&app, "grace@fabrikam.test", "Without a ticket", false).await;

    assert_eq!(sink.wait_for(2, WAIT).await.len(), 2);
    let s = row_until(&app, &secret, |r| r.status == "sent").await;
    let p = row_until(&app, &plain, |r| r.status == "sent").await;
    assert!(s.body.is_none(), "the ticket is gone from the outbox");
    assert_eq!(s.subject, "With a ticket");
    assert_eq!(s.recipient, "grace@fabrikam.test");
    assert!(p.body.unwrap().contains("Subject: Without a ticket"));
}

#[tokio::test]
async fn a_lease_held_by_a_dead_worker_expires_and_the_message_is_sent_by_another() {
    let sink = SmtpSink::start();
    let app = spawn_app_with(with_smtp(&sink)).await;
    let (mail, message_id) = message("grace@fabrikam.test", "Orphaned");
    let now = app.clock.now();

    // A worker claims the message and dies before sending it.
    let mut tx = app.db.begin().await.unwrap();
    let id = vestibule::mail::queue(
        &mut tx,
        &outgoing(&mail, "grace@fabrikam.test", "Orphaned", &message_id, false),
        now,
    )
    .await
    .unwrap();
    let claimed = outbox::claim(&mut tx, "dead-worker", now, now + 60, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, id);

    // While the lease holds, the live worker leaves it alone.
    app.state.wake_mail();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.messages().is_empty());
    assert_eq!(row(&app, &id).await.lease_owner.as_deref(), Some("dead-worker"));

    // Once it expires, the live worker sends it.
    app.clock.advance(61);
    app.state.wake_mail();
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert_eq!(format!("<{}>", received[0].message_id()), message_id);
    let r = row_until(&app, &id, |r| r.status == "sent").await;
    assert_eq!(r.attempts, 2);
    let sender = r.sent_by.expect("the sender is recorded");
    assert_ne!(sender, "dead-worker");

    // The dead worker, back from the grave, cannot overwrite the result.
    let mut conn = app.db.pool().acquire().await.unwrap();
    assert!(
        !outbox::mark_failed(&mut conn, &id, "dead-worker", "late", app.clock.now())
            .await
            .unwrap()
    );
    assert_eq!(row(&app, &id).await.status, "sent");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1);
}

/// Queues `count` messages to guest0@… guest{count-1}@… in one transaction
/// and wakes the worker.
async fn queue_burst(app: &TestApp, count: usize) {
    let mut tx = app.db.begin().await.unwrap();
    for i in 0..count {
        let to = format!("guest{i}@fabrikam.test");
        let (mail, message_id) = message(&to, &format!("Message {i}"));
        vestibule::mail::queue(
            &mut tx,
            &outgoing(&mail, &to, "Bulk", &message_id, false),
            app.clock.now(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    app.state.wake_mail();
}

/// Waits (at most `within`) until no row is queued any more; returns how
/// many still are.
async fn until_drained(db: &vestibule::store::Db, within: Duration) -> i64 {
    let deadline = Instant::now() + within;
    loop {
        let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'queued'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        if queued == 0 || Instant::now() > deadline {
            return queued;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The outbox's rows by the worker that sent them.
async fn senders(app: &TestApp) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT sent_by, COUNT(*) FROM outbox WHERE status = 'sent' GROUP BY sent_by")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

/// The other worker on the test portal's database: on PostgreSQL a second
/// portal process, on SQLite (one process per database file) a second
/// worker in the same process.
enum OtherWorker {
    Instance(actix_web::dev::ServerHandle),
    Worker(vestibule::mail::worker::WorkerHandle),
}

impl OtherWorker {
    async fn start(app: &TestApp) -> Self {
        if app.settings.is_postgres() {
            let mut settings = app.settings.clone();
            settings.bind = "127.0.0.1:0".parse().unwrap();
            let second = vestibule::startup::Application::build(settings, app.clock.clone())
                .await
                .expect("the second instance starts");
            let handle = second.server_handle();
            let state = second.state();
            tokio::spawn(second.run_until_stopped());
            state.wake_mail();
            Self::Instance(handle)
        } else {
            Self::Worker(vestibule::mail::worker::spawn(app.state.mail_worker()))
        }
    }

    async fn stop(self) {
        match self {
            Self::Instance(handle) => handle.stop(true).await,
            Self::Worker(worker) => worker.stop().await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_the_outbox_and_a_slow_server_gets_each_message_once() {
    // Each send takes longer than a lease: the leases of sends in flight
    // must be renewed, or the other worker takes the rows and sends them
    // again. On the real clock, where leases run out.
    const LEASE: Duration = Duration::from_secs(2);
    const SEND: Duration = Duration::from_secs(3);
    const COUNT: usize = 40;
    let sink = SmtpSink::start();
    sink.delay_each(SEND);
    let app = spawn_app_on_real_clock_with(|s| {
        with_smtp(&sink)(s);
        s.mail_lease = LEASE;
    })
    .await;
    let other = OtherWorker::start(&app).await;
    queue_burst(&app, COUNT).await;

    let queued = until_drained(&app.db, Duration::from_secs(30)).await;
    let counts = sink.count_by_recipient();
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "each message arrives once: {twice:?}");
    assert_eq!(queued, 0, "the queue drains");
    assert_eq!(counts.len(), COUNT, "every message arrives: {counts:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status <> 'sent' OR attempts <> 1")
            .await,
        0,
        "every row is sent, and none was claimed twice"
    );
    // A worker holds at most 16 rows at a time, so with 40 slow messages
    // the other one has taken some of them.
    let senders = senders(&app).await;
    assert_eq!(senders.len(), 2, "both workers sent mail: {senders:?}");
    other.stop().await;
}

/// `vestibule` with what the crash test's portal runs on: the sink, the
/// test database, a 2-second lease and a fast poll.
fn crash_env<'a>(database_url: &'a str, smtp_url: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("VESTIBULE_DATABASE_URL", database_url),
        ("VESTIBULE_SMTP_URL", smtp_url),
        ("VESTIBULE_ADMIN_EMAIL", crate::common::ADMIN_EMAIL),
        ("VESTIBULE_MAIL_LEASE_SECS", "2"),
        ("VESTIBULE_MAIL_POLL_MS", "50"),
        ("VESTIBULE_MAIL_RETRY_BASE_SECS", "1"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_killed_while_sending_repeats_at_most_the_messages_in_flight() {
    use vestibule::mail::worker::CONCURRENT_SENDS;
    const GUESTS: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let database_url = crate::common::test_settings(dir.path()).await.database_url;
    // Slow enough that sends are in flight whenever the kill comes.
    let sink = SmtpSink::start();
    sink.delay_each(Duration::from_millis(100));
    let smtp_url = sink.url();
    let env = crash_env(&database_url, &smtp_url);

    // (Each portal's log is read for as long as it runs: `_log`.)
    // A first start makes the admin; then the invitations and their mail
    // are committed while no portal runs, so the next start finds a burst.
    let (mut portal, url, _log) = crate::common::binary::start_binary(dir.path(), &env);
    // Once it answers, it also stops cleanly on SIGTERM.
    assert_eq!(reqwest::get(format!("{url}/healthz")).await.unwrap().status(), 200);
    assert!(crate::common::binary::terminate(&mut portal).success());
    let rows: Vec<String> = (0..GUESTS).map(|i| format!("guest{i}@fabrikam.example,,,")).collect();
    let csv = dir.path().join("guests.csv");
    std::fs::write(
        &csv,
        crate::common::flows::template(&rows.iter().map(String::as_str).collect::<Vec<_>>()),
    )
    .unwrap();
    let out = crate::common::binary::vestibule(dir.path())
        .envs(env.iter().copied())
        .arg("invite-bulk")
        .arg("--csv")
        .arg(&csv)
        .args(["--inviter", crate::common::ADMIN_EMAIL, "--results", "results.csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // SIGKILL in the middle of the burst.
    let (mut portal, _, _log) = crate::common::binary::start_binary(dir.path(), &env);
    let at_kill = sink.wait_for(40, WAIT).await.len();
    assert!(at_kill >= 40, "the portal sends the burst");
    portal.kill().unwrap();
    portal.wait().unwrap();
    let db = vestibule::store::Db::connect(&database_url, 2).await.unwrap();
    let held: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND lease_owner IS NOT NULL")
            .fetch_one(db.pool())
            .await
            .unwrap();

    // Restarted on the same database, it sends the rest.
    let (mut portal, _, _log) = crate::common::binary::start_binary(dir.path(), &env);
    let queued = until_drained(&db, Duration::from_secs(30)).await;
    assert!(crate::common::binary::terminate(&mut portal).success());
    assert_eq!(queued, 0, "the queue drains after the restart");

    let invited: Vec<String> = sqlx::query_scalar("SELECT invited_email FROM invitations")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(invited.len(), GUESTS);
    let counts = sink.count_by_recipient();
    let missing: Vec<&String> = invited.iter().filter(|to| !counts.contains_key(*to)).collect();
    assert!(missing.is_empty(), "every invitation has its email: {missing:?}");
    let repeated: usize = counts.values().map(|n| n - 1).sum();
    eprintln!("kill test: {at_kill} delivered at the kill, {held} rows leased, {repeated} repeated");
    assert!(
        repeated <= CONCURRENT_SENDS,
        "a crash repeats at most the {CONCURRENT_SENDS} sends in flight: {repeated} repeated of {at_kill} sent before the kill"
    );
    // And only those rows waited for their lease after the restart.
    assert!(
        held <= CONCURRENT_SENDS as i64,
        "only the rows being sent were leased at the kill: {held}"
    );
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(failed, 0, "every message is marked sent");
    db.close().await;
}

#[tokio::test]
async fn the_dev_mailbox_shows_kept_mail_when_no_smtp_server_is_configured() {
    let app = spawn_app().await;
    assert!(app.state.mailbox_enabled());
    let res = app.get("/dev/mailbox").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(
        "Development mailbox: mail is kept here because no SMTP server is configured. It is for development only."
    ));
    assert!(html.contains("No mail yet."));

    let id = queue(&app, "grace@fabrikam.test", "Ada invited you", true).await;
    let r = row_until(&app, &id, |r| r.status == "sent").await;
    assert!(r.body.is_some(), "the mailbox keeps its only copy, secret or not");

    let html = app.get_html("/dev/mailbox").await;
    assert!(html.contains(&format!("href=\"/dev/mailbox/{id}\"")), "{html}");
    assert!(html.contains("Ada invited you") && html.contains("grace@fabrikam.test"));

    let res = app.get(&format!("/dev/mailbox/{id}")).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("role=\"note\""), "the banner is on every mailbox page");
    assert!(page.contains("Contoso Invitations"), "the From header is shown");
    assert!(page.contains("T0PS3CRET-Ada invited you"), "the text part is shown");
    assert!(page.contains(&format!("href=\"/dev/mailbox/{id}/html\"")));
    assert!(
        !page.contains("class=\"from-mail\""),
        "the mail's HTML is never put into our page"
    );

    let res = app.get(&format!("/dev/mailbox/{id}/html")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(
        res.headers()["content-security-policy"].to_str().unwrap(),
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    );
    assert!(res.text().await.unwrap().contains("<p class=\"from-mail\">"));

    assert_eq!(app.get("/dev/mailbox/not-an-id").await.status(), 404);
    assert_eq!(
        app.get("/dev/mailbox/00000000-0000-4000-8000-000000000000")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn the_dev_mailbox_is_off_when_smtp_is_configured() {
    let sink = SmtpSink::start();
    let app = spawn_app_with(with_smtp(&sink)).await;
    let id = queue(&app, "grace@fabrikam.test", "Real mail", false).await;
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
    assert_eq!(app.get("/dev/mailbox").await.status(), 404);
    assert_eq!(app.get(&format!("/dev/mailbox/{id}")).await.status(), 404);
    assert_eq!(app.get(&format!("/dev/mailbox/{id}/html")).await.status(), 404);
}

#[tokio::test]
async fn without_smtp_on_a_public_address_mail_stays_queued_and_the_mailbox_is_off() {
    let app = spawn_app_with(|s| s.public_url = Some("https://portal.contoso.test".into())).await;
    assert!(!app.state.mailbox_enabled());
    let id = queue(&app, "grace@fabrikam.test", "Nowhere to go", true).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = row(&app, &id).await;
    assert_eq!((r.status.as_str(), r.attempts), ("queued", 0), "nothing claims it");
    assert!(r.body.is_some());
    assert_eq!(
        app.get_for_host("/dev/mailbox", "portal.contoso.test").await.status(),
        404
    );
}
