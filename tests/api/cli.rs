//! The `vestibule` binary itself: settings errors, commands, --help.
//!
//! These tests wait for child processes with blocking calls, so they run on
//! a multi-threaded runtime: on a single thread the blocked test would also
//! freeze the portal's background tasks (the outbox worker mid-transaction
//! holds SQLite's write lock, and the child would wait for it).

use std::io::Write;
use std::process::Stdio;

use crate::common::binary::{start_binary, terminate, vestibule};
use crate::common::{new_client, spawn_app};

#[test]
fn an_invalid_setting_stops_start_up_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = vestibule(dir.path())
        .env("VESTIBULE_BIND", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("VESTIBULE_BIND"), "{err}");
    let out = vestibule(dir.path())
        .env("VESTIBULE_PUBLIC_URL", "https://portal.example.com")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("VESTIBULE_SESSION_KEY"));
}

#[test]
fn an_unreachable_database_stops_start_up_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = vestibule(dir.path())
        .env("VESTIBULE_DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
        .env("VESTIBULE_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot open the database"), "{err}");
    assert!(!err.contains("secret"), "the password is not printed: {err}");
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["admin", "create", "--help"],
        vec!["invite-bulk", "--help"],
        vec!["backup", "--help"],
    ] {
        let out = vestibule(dir.path()).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage"), "{args:?}: {text}");
    }
}

#[test]
fn migrate_creates_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = vestibule(dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("data/vestibule.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_create_reads_the_password_from_stdin_and_the_admin_can_sign_in() {
    let app = spawn_app().await;
    let mut child = vestibule(app.settings.data_dir.as_path())
        .env("VESTIBULE_DATABASE_URL", &app.settings.database_url)
        .args([
            "admin",
            "create",
            "--email",
            "ops@contoso.test",
            "--name",
            "Ops Admin",
            "--role",
            "user_administrator",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Ops-passw0rd!\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("User Administrator"));
    let client = new_client();
    let res = app.sign_in_with(&client, "ops@contoso.test", "Ops-passw0rd!").await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get_with(&client, "/admin/users").await.status(), 200);
    assert_eq!(app.get_with(&client, "/admin/roles").await.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_create_refuses_bad_input_and_writes_nothing() {
    let app = spawn_app().await;
    let before = app.count("SELECT COUNT(*) FROM users").await;
    let cases: [(&[&str], &[u8], &str); 4] = [
        (&["--email", "not-an-email", "--name", "X"], b"Good-passw0rd\n", "@"),
        (&["--email", "x@contoso.test", "--name", "X"], b"weak\n", "8 to 256"),
        (
            &["--email", "admin@contoso.test", "--name", "X"],
            b"Good-passw0rd\n",
            "already in the directory",
        ),
        (
            &["--email", "y@contoso.test", "--name", "Y", "--role", "root"],
            b"Good-passw0rd\n",
            "unknown role",
        ),
    ];
    for (args, stdin, message) in cases {
        let mut child = vestibule(app.settings.data_dir.as_path())
            .env("VESTIBULE_DATABASE_URL", &app.settings.database_url)
            .args(["admin", "create"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A command refused by its arguments may exit before reading the
        // password: a broken pipe here is that refusal, checked below.
        if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{args:?}");
        }
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_logs_leave_out_query_strings_and_sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, lines) = start_binary(dir.path(), &[]);
    let res = reqwest::get(format!("{url}/signin?ticket=SECRET-TICKET-123"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let status = terminate(&mut child);
    assert!(status.success(), "a clean exit after SIGTERM: {status:?}");
    let log: Vec<String> = lines.iter().collect();
    let log = log.join("\n");
    assert!(log.contains("path=/signin"), "the request is logged: {log}");
    assert!(!log.contains("SECRET-TICKET-123"), "the query string is not: {log}");
    assert!(log.contains("stopped"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, lines) = start_binary(dir.path(), &[("VESTIBULE_LOG_FORMAT", "json")]);
    reqwest::get(format!("{url}/healthz")).await.unwrap();
    terminate(&mut child);
    let log: Vec<String> = lines.iter().collect();
    let request = log
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("every line is JSON"))
        .find(|v| v["path"] == "/healthz")
        .expect("the request line");
    assert_eq!(request["status"], 200);
    assert_eq!(request["method"], "GET");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_tickets_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, lines) = start_binary(
        dir.path(),
        &[("VESTIBULE_LOG", "debug"), ("VESTIBULE_MAIL_POLL_MS", "50")],
    );
    let client = new_client();
    let html = client
        .get(format!("{url}/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::common::csrf_token(&html);
    let res = client
        .post(format!("{url}/signin"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "admin@example.org"),
            ("password", "Admin-Passw0rd!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = client
        .get(format!("{url}/admin/users/invite"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::common::csrf_token(&html);
    let res = client
        .post(format!("{url}/admin/users/invite"))
        .form(&[("csrf_token", token.as_str()), ("email", "grace@fabrikam.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The development mailbox holds the email with the link.
    let mut text = String::new();
    for _ in 0..100 {
        let list = client
            .get(format!("{url}/dev/mailbox"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if let Some(id) = crate::common::attribute_after(&list, "href=\"/dev/mailbox/") {
            text = client
                .get(format!("{url}/dev/mailbox/{id}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if text.contains("ticket=") {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let start = text.find("ticket=").expect("the mailbox shows the link") + "ticket=".len();
    let ticket: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert!(ticket.len() >= 43);
    // Opening the link logs the request, but not its query string.
    client
        .get(format!("{url}/redeem?ticket={ticket}"))
        .send()
        .await
        .unwrap();
    terminate(&mut child);
    let log: Vec<String> = lines.iter().collect();
    let log = log.join("\n");
    assert!(log.contains("path=/redeem"), "the request was logged at debug level");
    assert!(!log.contains(&ticket), "the ticket is not in the log");
}
