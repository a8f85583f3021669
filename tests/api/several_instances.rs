//! Two `vestibule` processes on one PostgreSQL database behind HAProxy
//! (`docs/haproxy.cfg`, round-robin, `option forwardfor`), as the README's
//! "PostgreSQL and several instances" sets them up: seed 000 through the
//! proxy, sessions honoured by both instances, a sign-out through one
//! ending the session at the other, and a burst of invitations during which
//! one instance is killed (SIGKILL) without any email being lost or sent
//! twice. PostgreSQL only: SQLite is one process's database.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use sqlx::AnyPool;

use crate::common::flows::session_key;
use crate::common::proxy::Process;
use crate::common::proxy::{Browser, free_ports, haproxy_binary, instance, start_haproxy, start_instance};
use crate::common::smtp::SmtpSink;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, bare_client, location, postgres};

const INVITATIONS: usize = 200;
const ADMINS: usize = 8;
/// The browsers' own address: not the proxy's, so the portal's belief in
/// `X-Forwarded-For` shows in what it records.
const CLIENT: &str = "127.0.0.3";

/// How long a wait may last before the test gives up on it.
struct Patience {
    until: std::time::Instant,
    what: &'static str,
}

impl Patience {
    fn new(secs: u64, what: &'static str) -> Self {
        Self {
            until: std::time::Instant::now() + Duration::from_secs(secs),
            what,
        }
    }

    /// Sleeps 50 ms before the next look; fails once patience runs out.
    async fn wait(&self) {
        assert!(std::time::Instant::now() < self.until, "gave up waiting: {}", self.what);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn scalar(pool: &AnyPool, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap()
}

/// The ticket in the newest email to `to`.
fn ticket_for(sink: &SmtpSink, to: &str) -> String {
    let mail = sink.messages();
    let text = mail.iter().rev().find(|m| m.to == [to]).unwrap().text().unwrap();
    let start = text.find("ticket=").expect("a redemption link") + "ticket=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_behind_haproxy_share_sessions_and_lose_no_mail_when_one_is_killed() {
    let base = match std::env::var("VESTIBULE_TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => base,
        _ => {
            eprintln!("skipped: several instances share a PostgreSQL database (VESTIBULE_TEST_POSTGRES_URL unset)");
            return;
        }
    };
    let haproxy = haproxy_binary().expect("haproxy is installed (scripts/test installs Debian's haproxy)");
    let database_url = postgres::fresh_database(&base).await;
    let db = sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(&database_url)
        .await
        .unwrap();
    let sink = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let [proxy_port, port_a, port_b] = free_ports();
    let public_url = format!("http://127.0.0.1:{proxy_port}");
    let shared = [
        ("VESTIBULE_DATABASE_URL", database_url.clone()),
        ("VESTIBULE_PUBLIC_URL", public_url.clone()),
        ("VESTIBULE_SESSION_KEY", session_key()),
        ("VESTIBULE_TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ("VESTIBULE_SMTP_URL", sink.url()),
        ("VESTIBULE_ADMIN_EMAIL", ADMIN_EMAIL.to_owned()),
        ("VESTIBULE_ORG_NAME", "Contoso".to_owned()),
        ("VESTIBULE_ORG_DOMAIN", "contoso.test".to_owned()),
        // A killed instance's leased mail waits this long for the other.
        ("VESTIBULE_MAIL_LEASE_SECS", "3".to_owned()),
        ("VESTIBULE_MAIL_POLL_MS", "100".to_owned()),
        ("VESTIBULE_MAIL_RETRY_BASE_SECS", "1".to_owned()),
        ("VESTIBULE_SIGNIN_LIMIT_PER_IP", "10000".to_owned()),
        ("VESTIBULE_GUEST_FLOW_LIMIT_PER_IP", "10000".to_owned()),
        ("VESTIBULE_WORKERS", "2".to_owned()),
    ];
    for folder in ["a", "b", "haproxy"] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
    }
    // One after the other: the first creates the Global Administrator.
    let mut a = start_instance(&dir.path().join("a"), port_a, &shared);
    let _b = start_instance(&dir.path().join("b"), port_b, &shared);
    let _proxy = start_haproxy(&haproxy, &dir.path().join("haproxy"), proxy_port, port_a, port_b).await;
    let from: IpAddr = CLIENT.parse().unwrap();
    // Both instances pass HAProxy's health check before the flow starts.
    let probe = Browser::new(&public_url, from);
    let patience = Patience::new(30, "both instances answer");
    loop {
        let mut seen = BTreeSet::new();
        for _ in 0..4 {
            seen.insert(instance(&probe.get("/signin").await));
        }
        if seen.len() == 2 {
            break;
        }
        patience.wait().await;
    }

    // Seed 000 through the proxy. The admin's browser also claims another
    // address in X-Forwarded-For: HAProxy adds its own line below that one,
    // and the portal reads them all.
    let admin = Browser::new(&public_url, from).claiming_to_be("203.0.113.7");
    admin.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let guest_email = "grace@fabrikam.test";
    admin.invite(guest_email).await;
    sink.wait_for(1, Duration::from_secs(20)).await;
    let ticket = ticket_for(&sink, guest_email);
    let guest = Browser::new(&public_url, from);
    let link = format!("/redeem?ticket={ticket}");
    let res = guest.submit(&link, "/redeem/code", &[]).await;
    assert_eq!(location(&res), "/redeem/verify");
    let mail = sink.wait_for(2, Duration::from_secs(20)).await;
    let code_mail = mail.iter().find(|m| m.subject().contains("verification code"));
    let text = code_mail.expect("a code email").text().unwrap();
    let code = &text[text.find(": ").unwrap() + 2..][..8];
    let res = guest
        .submit("/redeem/verify", "/redeem/verify", &[("code", code)])
        .await;
    assert_eq!(location(&res), "/redeem/consent");
    let res = guest.submit("/redeem/consent", "/redeem/accept", &[]).await;
    assert_eq!(location(&res), "/myapps");

    // Each session is honoured whichever instance answers.
    for (browser, path) in [(&guest, "/myapps"), (&admin, "/admin/users")] {
        let mut answered = BTreeSet::new();
        for _ in 0..4 {
            let res = browser.get(path).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            answered.insert(instance(&res));
        }
        assert_eq!(answered, BTreeSet::from(["a".to_owned(), "b".to_owned()]), "{path}");
    }
    // The sign-in log has the browser's address: HAProxy's line, believed
    // because the request came from a trusted proxy; not the forged one.
    let recorded: Vec<String> = sqlx::query_scalar("SELECT COALESCE(client_ip, '') FROM sign_in_log")
        .fetch_all(&db)
        .await
        .unwrap();
    assert!(
        !recorded.is_empty() && recorded.iter().all(|ip| ip == CLIENT),
        "{recorded:?}"
    );

    // A sign-out through one instance ends the session at the other: the
    // cookie from before it is refused by both.
    let stolen = admin.cookie_header();
    let res = admin.submit("/admin/users", "/signout", &[]).await;
    assert_eq!(location(&res), "/signin?signed_out=1");
    let signed_out_at = instance(&res);
    let mut refused_by = BTreeSet::new();
    for _ in 0..4 {
        let res = bare_client()
            .get(format!("{public_url}/admin/users"))
            .header("cookie", &stolen)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(location(&res).starts_with("/signin"), "{}", location(&res));
        refused_by.insert(instance(&res));
    }
    assert!(
        refused_by.iter().any(|i| *i != signed_out_at),
        "{refused_by:?} {signed_out_at}"
    );

    burst_with_a_kill(&public_url, from, &sink, &db, &mut a).await;
}

/// 200 invitations from 8 admins at once; when half are done, instance a
/// is killed with SIGKILL while it holds leases on queued mail. Every
/// guest gets exactly one invitation: a's leased mail is sent by b once
/// the lease runs out.
///
/// Delivery is at least once: a message the SMTP server accepted but whose
/// sender died before recording it would go out again. The kill is made
/// when no message is in that window (the sink holds every message at its
/// DATA command, and every message it accepted is recorded as sent), so
/// this asserts exactly once; the worker's own tests bound the repeats.
async fn burst_with_a_kill(public_url: &str, from: IpAddr, sink: &SmtpSink, db: &AnyPool, a: &mut Process) {
    let before = sink.messages().len();
    let done = Arc::new(AtomicUsize::new(0));
    let mut admins = tokio::task::JoinSet::new();
    for n in 0..ADMINS {
        let browser = Browser::new(public_url, from);
        let done = done.clone();
        admins.spawn(async move {
            browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
            for i in (n..INVITATIONS).step_by(ADMINS) {
                browser.invite(&format!("burst{i:03}@fabrikam.test")).await;
                done.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    let patience = Patience::new(120, "half the invitations");
    while done.load(Ordering::SeqCst) < INVITATIONS / 2 {
        patience.wait().await;
    }

    sink.hold_data();
    // Both instances hold leases on mail waiting at DATA, and every
    // message the sink accepted is recorded as sent.
    let patience = Patience::new(60, "both instances hold leased mail, none of it half sent");
    let leased_now = || async {
        let leased: Vec<(String, String)> =
            sqlx::query_as("SELECT id, lease_owner FROM outbox WHERE status = 'queued' AND lease_owner IS NOT NULL")
                .fetch_all(db)
                .await
                .unwrap();
        leased
    };
    loop {
        let leased = leased_now().await;
        let owners: BTreeSet<&String> = leased.iter().map(|(_, owner)| owner).collect();
        let sent = scalar(db, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await;
        if owners.len() == 2 && sink.messages_in_data() == 0 && sink.messages().len() as i64 == sent {
            break;
        }
        patience.wait().await;
    }
    a.kill();
    // What is leased once instance a is gone (and while the sink still
    // holds every DATA, so instance b finishes nothing meanwhile): a's
    // leases, which nobody can send until they run out, and b's own. Read
    // before the kill, the list could hold a message a sent in between.
    let leased = leased_now().await;
    assert!(!leased.is_empty());
    let mut per_owner: BTreeMap<&String, usize> = BTreeMap::new();
    for (_, owner) in &leased {
        *per_owner.entry(owner).or_default() += 1;
    }
    eprintln!(
        "killed instance a after {} invitations; leased mail per worker: {:?}",
        done.load(Ordering::SeqCst),
        per_owner.values().collect::<Vec<_>>()
    );
    sink.release_data();
    while let Some(joined) = admins.join_next().await {
        joined.expect("an admin's invitations");
    }
    assert_eq!(done.load(Ordering::SeqCst), INVITATIONS);

    let patience = Patience::new(120, "every message sent");
    while scalar(db, "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").await != 0 {
        patience.wait().await;
    }
    let invited = scalar(db, "SELECT COUNT(*) FROM users WHERE mail_lower LIKE 'burst%'").await;
    assert_eq!(invited, INVITATIONS as i64, "every invitation was made once");
    let counts: BTreeMap<String, usize> = sink
        .count_by_recipient()
        .into_iter()
        .filter(|(to, _)| to.starts_with("burst"))
        .collect();
    assert_eq!(counts.len(), INVITATIONS, "every guest got an invitation");
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(repeated.is_empty(), "sent more than once: {repeated:?}");
    assert_eq!(sink.messages().len() - before, INVITATIONS);

    // The mail the killed instance held was sent by the other one.
    let ids: Vec<&String> = leased.iter().map(|(id, _)| id).collect();
    let mut senders = BTreeSet::new();
    for id in ids {
        let sent_by: Option<String> = sqlx::query_scalar("SELECT sent_by FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(db)
            .await
            .unwrap();
        senders.insert(sent_by.expect("recorded as sent"));
    }
    assert_eq!(senders.len(), 1, "one instance sent what both had leased: {senders:?}");
}

/// What HAProxy's `option forwardfor` sends when the client wrote its own
/// `X-Forwarded-For`: a second line under it. Every line is read, so the
/// client's address is the one the proxy saw (on both stores).
#[tokio::test]
async fn a_forwarded_for_line_added_by_the_proxy_is_read_after_the_clients_own() {
    let app = crate::common::spawn_app_with(|s| {
        s.trusted_proxies = vestibule::security::client_ip::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let client = crate::common::new_client();
    let html = app.get_with(&client, "/signin").await.text().await.unwrap();
    let token = crate::common::csrf_token(&html);
    let res = client
        .post(app.url("/signin"))
        .header("x-forwarded-for", "203.0.113.7")
        .header("x-forwarded-for", "198.51.100.20")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let recorded: Vec<Option<String>> = sqlx::query_scalar("SELECT client_ip FROM sign_in_log")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(recorded, [Some("198.51.100.20".to_owned())]);
}
