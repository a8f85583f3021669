//! The Bulk invite page over HTTP: Download, Upload your csv file (checked
//! at once, nothing written), Submit (a job any instance resumes), Bulk
//! operation results and the results file.

use std::time::{Duration, Instant};

use reqwest::Client;
use vestibule::services::bulk_invite::MAX_FILE_BYTES;
use vestibule::services::bulk_template::TEMPLATE;

use super::activity_count;
use crate::common::flows::{app_with_sink, template};
use crate::common::{TestApp, csrf_token, location, new_client, spawn_app, spawn_app_without_bulk_worker};

/// Uploads `bytes` as `file_name` through the page's form, as a browser
/// would (the CSRF token of the page first, then the file).
async fn upload_with(app: &TestApp, client: &Client, file_name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let html = app
        .get_with(client, "/admin/users/bulk-invite")
        .await
        .text()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_token(&html))
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(file_name.to_owned())
                .mime_str("text/csv")
                .unwrap(),
        );
    client
        .post(app.url("/admin/users/bulk-invite"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn upload(app: &TestApp, file_name: &str, text: &str) -> reqwest::Response {
    upload_with(app, &app.client, file_name, text.as_bytes().to_vec()).await
}

/// Uploads a file that passes; the id of the validated upload.
async fn uploaded(app: &TestApp, client: &Client, text: &str) -> String {
    let res = upload_with(app, client, "guests.csv", text.as_bytes().to_vec()).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let to = location(&res);
    to.strip_prefix("/admin/users/bulk-invite/")
        .unwrap_or_else(|| panic!("the upload's own page, not {to}"))
        .to_owned()
}

/// Submit on the upload's page; the response.
async fn submit_with(app: &TestApp, client: &Client, id: &str) -> reqwest::Response {
    let page = format!("/admin/users/bulk-invite/{id}");
    app.submit_with(client, &page, &format!("{page}/submit"), &[]).await
}

/// The job's progress, as the page's script reads it.
async fn progress(app: &TestApp, id: &str) -> serde_json::Value {
    let res = app.get(&format!("/admin/users/bulk-operations/{id}/progress")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Waits (up to 60 s) until the job is done; its last progress.
async fn until_done(app: &TestApp, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let p = progress(app, id).await;
        if p["done"] == true {
            return p;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {p}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn users(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM users").await
}

#[tokio::test]
async fn a_file_goes_from_the_template_through_its_errors_to_submitted_results() {
    let (app, _sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let all_users = app.get_html("/admin/users").await;
    assert!(
        all_users.contains("Bulk operations"),
        "All users offers Bulk operations"
    );
    assert!(all_users.contains("href=\"/admin/users/bulk-invite\""));
    let page = app.get_html("/admin/users/bulk-invite").await;
    assert!(page.contains("Upload your csv file") && page.contains("Download"));

    // Download: the template the command reads, examples row included.
    let res = app.get("/admin/users/bulk-invite/template.csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let downloaded = res.text().await.unwrap();
    assert_eq!(downloaded, TEMPLATE);
    let res = upload(&app, "BulkInviteTemplate.csv", &downloaded).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("examples row"));

    // A file with an error of every kind: every error by row and column,
    // and nothing written.
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::invitations::block(&mut conn, "blocked@fabrikam.example", 0)
        .await
        .unwrap();
    drop(conn);
    let long = "x".repeat(2001);
    let long_row = format!("long@fabrikam.example,,true,{long}");
    let bad = template(&[
        "ada@fabrikam.example,,true,Welcome",
        "not-an-address,,,",
        "admin@contoso.test,,,",
        "blocked@fabrikam.example,,,",
        "redirect@fabrikam.example,javascript:alert(1),,",
        &long_row,
        "ADA@fabrikam.example,,,",
        "flag@fabrikam.example,,maybe,",
    ]);
    let before = app.snapshot().await;
    let res = upload(&app, "guests.csv", &bad).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(!html.contains("File uploaded successfully"));
    assert!(html.contains("The file has 7 errors in its 8 rows"), "{html}");
    for (row, column) in [
        (4, "inviteeEmail"),
        (5, "inviteeEmail"),
        (6, "inviteeEmail"),
        (7, "inviteRedirectURL"),
        (8, "customizedMessageBody"),
        (9, "inviteeEmail"),
        (10, "sendEmail"),
    ] {
        let cell = format!("<tr data-testid=\"error-row\"><td>{row}</td><td>[{column}]</td>");
        assert!(html.contains(&cell), "row {row}, column {column}: {html}");
    }
    assert!(html.contains("is already on row 3 of this file"));
    assert!(
        !html.contains("data-testid=\"submit\""),
        "no Submit for a file with errors"
    );
    assert!(html.contains("ada@fabrikam.example"), "the first rows are shown");
    assert_eq!(app.snapshot().await, before, "an upload with errors writes nothing");

    // Fixed and uploaded again: it passes, and still nothing is invited.
    let good = template(&[
        "ada@fabrikam.example,,true,Welcome",
        "grace@fabrikam.example,https://apps.fabrikam.example,false,",
        "alan@fabrikam.example,,,",
    ]);
    let users_before = users(&app).await;
    let id = uploaded(&app, &app.client, &good).await;
    let html = app.get_html(&format!("/admin/users/bulk-invite/{id}")).await;
    assert!(html.contains("File uploaded successfully"), "{html}");
    assert!(html.contains("grace@fabrikam.example") && html.contains("data-testid=\"submit\""));
    assert_eq!(users(&app).await, users_before, "nothing is written before Submit");
    assert_eq!(activity_count(&app, "Bulk invite users - started (bulk)").await, 0);

    // Meanwhile alan is invited by the wizard: his row fails when written.
    let res = crate::common::flows::invite(&app, &app.client, &[("email", "alan@fabrikam.example")]).await;
    assert_eq!(res.status(), 303);

    let res = submit_with(&app, &app.client, &id).await;
    assert_eq!(res.status(), 303);
    let job_page = format!("/admin/users/bulk-operations/{id}");
    assert_eq!(location(&res), job_page);
    let p = until_done(&app, &id).await;
    assert_eq!(
        (
            p["status"].as_str(),
            p["succeeded"].as_i64(),
            p["failed"].as_i64(),
            p["total"].as_i64()
        ),
        (Some("Completed"), Some(2), Some(1), Some(3))
    );
    assert_eq!(users(&app).await, users_before + 3, "ada and grace, and alan once");

    let results = app.get_html("/admin/users/bulk-operations").await;
    assert!(results.contains("# Success") && results.contains("# Failure") && results.contains("Total Requests"));
    for (testid, value) in [
        ("job-status", "Completed"),
        ("job-success", "2"),
        ("job-failure", "1"),
        ("job-total", "3"),
    ] {
        assert!(
            results.contains(&format!("<td data-testid=\"{testid}\">{value}</td>")),
            "{testid} {value}: {results}"
        );
    }
    let html = app.get_html(&job_page).await;
    assert!(html.contains(&format!("{job_page}/results.csv")), "{html}");
    let res = app.get(&format!("{job_page}/results.csv")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let alan = crate::common::flows::user_id(&app, "alan@fabrikam.example").await;
    assert_eq!(
        res.text().await.unwrap(),
        format!(
            "row,email,status,reason\r\n\
             3,ada@fabrikam.example,Success,\r\n\
             4,grace@fabrikam.example,Success,\r\n\
             5,alan@fabrikam.example,Failed,alan@fabrikam.example is already in the directory: see /admin/users/{alan}.\r\n"
        )
    );
    assert_eq!(activity_count(&app, "Bulk invite users - started (bulk)").await, 1);
    assert_eq!(activity_count(&app, "Bulk invite users - finished (bulk)").await, 1);

    // Submitted once only.
    let before = app.snapshot().await;
    let res = app
        .post_raw(
            &app.client,
            &format!("/admin/users/bulk-invite/{id}/submit"),
            &[("csrf_token", &csrf_token(&html))],
        )
        .await;
    assert_eq!(res.status(), 422, "the upload is a job now");
    assert!(res.text().await.unwrap().contains("submitted already"));
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn unusable_uploads_are_refused_with_a_message_and_write_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let before = app.snapshot().await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("logo.png", vec![0x89, b'P', b'N', b'G', 0, 0xff], "is not a CSV file"),
        ("guests.csv", vec![0xff, 0xfe, 0, b'a'], "is not CSV text"),
        ("guests.csv", Vec::new(), "The file is empty"),
        ("", Vec::new(), "Choose a CSV file"),
        (
            "guests.csv",
            b"email\r\nada@fabrikam.example\r\n".to_vec(),
            "version row",
        ),
        ("guests.csv", template(&[]).into_bytes(), "no guests to invite"),
        (
            "guests.csv",
            {
                let mut big = template(&["ada@fabrikam.example,,,"]).into_bytes();
                big.resize(MAX_FILE_BYTES + 1, b' ');
                big
            },
            "larger than 20 MB",
        ),
    ];
    for (name, bytes, message) in cases {
        let res = upload_with(&app, &app.client, name, bytes).await;
        assert_eq!(res.status(), 422, "{name}: {message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{name}: {message}: {html}");
        assert!(!html.contains("File uploaded successfully"));
    }
    assert_eq!(app.snapshot().await, before, "nothing was written");

    // Without the form's CSRF token.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(template(&["ada@fabrikam.example,,,"]).into_bytes()).file_name("guests.csv"),
    );
    let res = app
        .client
        .post(app.url("/admin/users/bulk-invite"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Nor Submit without it.
    let id = uploaded(&app, &app.client, &template(&["ada@fabrikam.example,,,"])).await;
    let before = app.snapshot().await;
    let res = app
        .post_raw(&app.client, &format!("/admin/users/bulk-invite/{id}/submit"), &[])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn only_global_and_user_administrators_bulk_invite_and_submit_needs_the_invite_level() {
    let app = spawn_app().await;
    let password = "Bulk-passw0rd!";
    for (email, role, allowed) in [
        ("inviter@contoso.test", "guest_inviter", false),
        ("helpdesk@contoso.test", "helpdesk_administrator", false),
        ("users@contoso.test", "user_administrator", true),
    ] {
        app.create_member(email, password, role).await;
        let client = new_client();
        assert_eq!(app.sign_in_with(&client, email, password).await.status(), 303);
        let all_users = app.get_with(&client, "/admin/users").await.text().await.unwrap();
        assert_eq!(all_users.contains("/admin/users/bulk-invite"), allowed, "{role}");
        for path in [
            "/admin/users/bulk-invite",
            "/admin/users/bulk-invite/template.csv",
            "/admin/users/bulk-operations",
        ] {
            let status = app.get_with(&client, path).await.status();
            assert_eq!(status == 200, allowed, "{role} {path}: {status}");
            if !allowed {
                assert_eq!(status, 403, "{role} {path}");
            }
        }
        if !allowed {
            let html = app.get_with(&client, "/admin/users").await.text().await.unwrap();
            let form = reqwest::multipart::Form::new()
                .text("csrf_token", csrf_token(&html))
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(template(&["x@fabrikam.example,,,"]).into_bytes())
                        .file_name("g.csv"),
                );
            let res = client
                .post(app.url("/admin/users/bulk-invite"))
                .multipart(form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{role} uploads");
        }
    }

    // The invite level holds at Submit: "No one in the organization can
    // invite guest users" after the upload refuses it.
    let client = new_client();
    app.sign_in_with(&client, "users@contoso.test", password).await;
    let id = uploaded(&app, &client, &template(&["ada@fabrikam.example,,,"])).await;
    sqlx::query("UPDATE organization SET allow_invites_from = 'none'")
        .execute(app.db.pool())
        .await
        .unwrap();
    app.state.organization.forget();
    let before = app.snapshot().await;
    let res = submit_with(&app, &client, &id).await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.snapshot().await, before, "nothing is written");
}

#[tokio::test]
async fn a_job_left_by_a_dead_worker_is_resumed_by_a_fresh_server_and_writes_each_row_once() {
    use vestibule::services::bulk_invite::JobOptions;
    use vestibule::services::bulk_jobs;

    // The portal the admin uses runs no bulk worker: the job waits.
    let app = spawn_app_without_bulk_worker().await;
    app.sign_in_as_admin().await;
    let rows: Vec<String> = (1..=7).map(|i| format!("guest{i}@fabrikam.example,,,")).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let users_before = users(&app).await;
    let id = uploaded(&app, &app.client, &template(&rows)).await;
    assert_eq!(submit_with(&app, &app.client, &id).await.status(), 303);
    assert_eq!(progress(&app, &id).await["status"], "Not started");

    // A worker claims it, writes its first chunk (3 rows) and dies with
    // the lease.
    let dead = "dead-worker";
    assert_eq!(
        bulk_jobs::claim(&app.state, dead).await.unwrap().as_deref(),
        Some(id.as_str())
    );
    let options = JobOptions {
        chunk_rows: 3,
        max_chunks: Some(1),
    };
    let finished = bulk_jobs::process(&app.state, &id, dead, &options).await.unwrap();
    assert!(!finished);
    let p = progress(&app, &id).await;
    assert_eq!(
        (p["status"].as_str(), p["succeeded"].as_i64()),
        (Some("In progress"), Some(3))
    );
    assert_eq!(users(&app).await, users_before + 3);
    let html = app.get_html(&format!("/admin/users/bulk-operations/{id}")).await;
    assert!(
        html.contains("Refresh") && html.contains("data-job-results hidden"),
        "{html}"
    );

    // While the dead worker's lease runs, nobody else takes the job.
    assert_eq!(bulk_jobs::claim(&app.state, "too-early").await.unwrap(), None);

    // Past the lease, a fresh server on the same database resumes it.
    app.clock.advance(bulk_jobs::LEASE.as_secs() as i64 + 1);
    let mut settings = app.settings.clone();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    let fresh = vestibule::startup::Application::build(settings, app.clock.clone())
        .await
        .expect("the fresh server starts");
    let handle = fresh.server_handle();
    tokio::spawn(fresh.run_until_stopped());
    let p = until_done(&app, &id).await;
    handle.stop(true).await;
    assert_eq!(
        (p["status"].as_str(), p["succeeded"].as_i64(), p["failed"].as_i64()),
        (Some("Completed"), Some(7), Some(0))
    );
    assert_eq!(users(&app).await, users_before + 7, "each row written once");
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT mail_lower) FROM users WHERE mail_lower LIKE 'guest%'")
            .await,
        7
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM bulk_job_rows").await, 7);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 7);
    assert_eq!(activity_count(&app, "Bulk invite users - started (bulk)").await, 1);
    assert_eq!(activity_count(&app, "Bulk invite users - finished (bulk)").await, 1);
    let csv = app
        .get(&format!("/admin/users/bulk-operations/{id}/results.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 8, "{csv}");
    assert!(csv.contains("\r\n9,guest7@fabrikam.example,Success,\r\n"));

    // The dead worker, were it to wake, writes nothing more.
    let late = bulk_jobs::process(&app.state, &id, dead, &JobOptions::default()).await;
    assert!(late.is_err(), "its lease is gone");
    assert_eq!(users(&app).await, users_before + 7);
    assert_eq!(app.count("SELECT COUNT(*) FROM bulk_job_rows").await, 7);
}

#[tokio::test]
async fn an_upload_never_submitted_is_forgotten_after_a_day() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let old = uploaded(&app, &app.client, &template(&["ada@fabrikam.example,,,"])).await;
    let recent = uploaded(&app, &app.client, &template(&["grace@fabrikam.example,,,"])).await;
    let kept_for = vestibule::services::bulk_jobs::UPLOAD_KEPT_FOR;
    // Uploaded just over a day ago, and just under.
    for (id, age) in [(&old, kept_for + 1), (&recent, kept_for - 1)] {
        sqlx::query("UPDATE bulk_jobs SET uploaded_at = uploaded_at - $1 WHERE id = $2")
            .bind(age)
            .bind(id)
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    assert_eq!(app.get(&format!("/admin/users/bulk-invite/{old}")).await.status(), 200);
    uploaded(&app, &app.client, &template(&["alan@fabrikam.example,,,"])).await;
    assert_eq!(app.get(&format!("/admin/users/bulk-invite/{old}")).await.status(), 404);
    assert_eq!(
        app.get(&format!("/admin/users/bulk-invite/{recent}")).await.status(),
        200
    );
    let res = submit_with(&app, &app.client, &recent).await;
    assert_eq!(res.status(), 303, "a recent upload is still submitted");
}

#[tokio::test]
async fn a_row_the_collaboration_restrictions_refuse_fails_in_the_preview() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    sqlx::query(
        "UPDATE organization SET invite_domain_policy = 'deny', invite_target_domains = 'fabrikam.example' \
         WHERE id = 1",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    let before = app.snapshot().await;
    let file = template(&[
        "ada@woodgrove.example,https://myapps.example/,true,Hi",
        "bob@fabrikam.example,https://myapps.example/,true,Hi",
    ]);
    let res = upload(&app, "guests.csv", &file).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(
            "Invitations to fabrikam.example are not allowed: the collaboration restrictions on External \
             collaboration settings deny invitations to this domain."
        ),
        "{html}"
    );
    assert!(!html.contains("File uploaded successfully"));
    assert_eq!(app.snapshot().await, before, "nothing is written");
}
