//! `vestibule invite-bulk` through the real binary, against the test
//! portal's database and keys. These tests wait for the child with
//! blocking calls, so they run on a multi-threaded runtime (see cli.rs).

use std::process::Stdio;
use std::time::Duration;

use super::{counts, redeem, ticket_in};
use crate::common::flows::app_with_sink;
use crate::common::flows::{HEADINGS, template};
use crate::common::{ADMIN_EMAIL, TestApp, spawn_app};

/// `vestibule invite-bulk` against the test portal's database and keys.
fn invite_bulk(app: &TestApp, csv: &str, args: &[&str]) -> std::process::Output {
    let dir = app.settings.data_dir.as_path();
    let path = dir.join(format!("bulk-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, csv).unwrap();
    crate::common::binary::vestibule(dir)
        .env("VESTIBULE_DATABASE_URL", &app.settings.database_url)
        .env("VESTIBULE_DATA_DIR", dir)
        .env("VESTIBULE_PUBLIC_URL", &app.address)
        .arg("invite-bulk")
        .arg("--csv")
        .arg(&path)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_writes_results_exits_by_outcome_and_its_links_redeem() {
    let (app, sink) = app_with_sink().await;
    let csv = template(&[
        "ada@fabrikam.example,,true,\"Hello, Ada\"",
        "admin@contoso.test,,,",
        "alan@fabrikam.example,https://myapps.microsoft.com,,",
    ]);
    let before = counts(&app).await;
    let out = invite_bulk(&app, &csv, &["--inviter", ADMIN_EMAIL, "--dry-run"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("row,email,status,reason\r\n3,ada@fabrikam.example,Valid,\r\n"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 valid, 1 failed, 3 total (dry run"));
    assert_eq!(counts(&app).await, before, "a dry run writes nothing");

    let results = app.settings.data_dir.join("results.csv");
    let out = invite_bulk(
        &app,
        &csv,
        &[
            "--inviter",
            "ADMIN@contoso.test",
            "--results",
            results.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("2 succeeded, 1 failed, 3 total"), "{stderr}");
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&results).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines[0], "row,email,status,reason");
    assert_eq!(lines[1], "3,ada@fabrikam.example,Success,");
    assert!(lines[2].starts_with("4,admin@contoso.test,Failed,admin@contoso.test is already in the directory"));
    assert_eq!(lines[3], "5,alan@fabrikam.example,Success,");
    let after = counts(&app).await;
    assert_eq!((after.0 - before.0, after.2 - before.2), (2, 2));

    // The portal's outbox worker sends what the command committed, and
    // the link works there: the command used the portal's keys.
    let mail = sink.wait_for(2, Duration::from_secs(10)).await;
    let ticket = ticket_in(&mail, "ada@fabrikam.example");
    redeem(&app, &sink, &ticket, "ada@fabrikam.example").await;

    let out = invite_bulk(
        &app,
        &template(&["grace@fabrikam.example,,,"]),
        &["--inviter", ADMIN_EMAIL],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 succeeded, 0 failed, 1 total"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_refuses_unusable_input_with_status_2_and_writes_nothing() {
    let app = spawn_app().await;
    app.create_member("inviter@contoso.test", "Inviter-passw0rd!", "guest_inviter")
        .await;
    let good = template(&["g@fabrikam.example,,,"]);
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{HEADINGS}\r\ng@fabrikam.example,,,\r\n"),
            ADMIN_EMAIL,
            "version row",
        ),
        (
            "version:v1.0\r\nRedirection url [inviteRedirectURL] Required\r\nhttps://x.example\r\n".into(),
            ADMIN_EMAIL,
            "[inviteeEmail]",
        ),
        (template(&["\"g@fabrikam.example,,,"]), ADMIN_EMAIL, "never closed"),
        (
            template(&[
                "Example:,https://myapps.microsoft.com,true,Hello",
                "g@fabrikam.example,,,",
            ]),
            ADMIN_EMAIL,
            "examples row",
        ),
        (template(&[]), ADMIN_EMAIL, "no guests"),
        (
            good.clone(),
            "nobody@contoso.test",
            "no user signs in as nobody@contoso.test",
        ),
        (good.clone(), "inviter@contoso.test", "cannot bulk invite"),
    ];
    let before = counts(&app).await;
    for (csv, inviter, message) in &cases {
        let out = invite_bulk(&app, csv, &["--inviter", inviter]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{message}: {stderr}");
        assert!(stderr.contains(message), "{message}: {stderr}");
        assert!(out.stdout.is_empty(), "{message}");
    }
    let dir = app.settings.data_dir.as_path();
    let latin1 = dir.join("latin1.csv");
    std::fs::write(
        &latin1,
        b"version:v1.0\r\nEmail [inviteeEmail]\r\nj\xf6rg@fabrikam.example\r\n",
    )
    .unwrap();
    let out = crate::common::binary::vestibule(dir)
        .env("VESTIBULE_DATABASE_URL", &app.settings.database_url)
        .args(["invite-bulk", "--inviter", ADMIN_EMAIL, "--csv"])
        .arg(&latin1)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"));
    assert_eq!(counts(&app).await, before);
}
