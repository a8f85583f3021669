//! Bulk invite: the service on a filled-in template, and (in `command`)
//! `vestibule invite-bulk` through the real binary.

mod command;
mod page;

use std::time::Duration;

use vestibule::domain::{Email, Role};
use vestibule::services::Admin;
use vestibule::services::ServiceError;
use vestibule::services::bulk_invite::{BulkOptions, BulkReport, BulkRow, RowStatus, bulk_invite};
use vestibule::store::audit::Actor;

use crate::common::flows::app_with_sink;
use crate::common::flows::bulk_invite_as as run_as;
use crate::common::{ADMIN_EMAIL, TestApp, assert_redirect_to, new_client, spawn_app};

async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = $1")
        .bind(email.to_lowercase())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn run(app: &TestApp, rows: &[&str], options: BulkOptions) -> BulkReport {
    run_as(app, ADMIN_EMAIL, &[Role::GlobalAdministrator], rows, options)
        .await
        .expect("the bulk invite runs")
}

fn chunks_of(n: usize) -> BulkOptions {
    BulkOptions {
        chunk_rows: n,
        ..BulkOptions::default()
    }
}

/// (users, invitations, outbox, audit entries)
async fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM users").await,
        app.count("SELECT COUNT(*) FROM invitations").await,
        app.count("SELECT COUNT(*) FROM outbox").await,
        app.count("SELECT COUNT(*) FROM audit_log").await,
    )
}

async fn activity_count(app: &TestApp, activity: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE activity = $1")
        .bind(activity)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn finished_details(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT details FROM audit_log WHERE activity = 'Bulk invite users - finished (bulk)'")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// The ticket in the newest email to `to`.
fn ticket_in(app_mail: &[crate::common::smtp::Received], to: &str) -> String {
    let mail = app_mail
        .iter()
        .rev()
        .find(|m| m.to == [to.to_string()])
        .expect("an email");
    let text = mail.text().unwrap();
    let start = text.find("ticket=").expect("a redemption link") + "ticket=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The guest proves the address, accepts, and lands on My Apps.
async fn redeem(app: &TestApp, sink: &crate::common::smtp::SmtpSink, ticket: &str, email: &str) {
    let guest = new_client();
    crate::common::flows::prove_address(app, sink, &guest, ticket, email).await;
    let res = app.submit_with(&guest, "/redeem/consent", "/redeem/accept", &[]).await;
    assert_redirect_to(&res, "/myapps");
}

#[tokio::test]
async fn a_file_of_valid_rows_invites_every_guest_as_the_wizard_does() {
    let (app, sink) = app_with_sink().await;
    let group = vestibule::services::groups::create_group(
        &app.state,
        &crate::common::system_admin(),
        &vestibule::services::groups::GroupForm {
            display_name: "All guests".into(),
            membership_type: "DynamicUser".into(),
            membership_rule: "user.userType -eq \"Guest\"".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let before = counts(&app).await;
    let rows: Vec<String> = (1..=7)
        .map(|i| format!("guest{i}@fabrikam.example,,true,\"Welcome, guest {i}\""))
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    // Chunks of 3: two full transactions and one of a single row.
    let report = run(&app, &rows, chunks_of(3)).await;
    assert_eq!((report.succeeded(), report.failed(), report.total()), (7, 0, 7));
    assert_eq!(report.rows[0].row, 3, "rows are numbered as in the file");
    assert!(matches!(report.rows[6].status, RowStatus::Invited { .. }));

    let after = counts(&app).await;
    assert_eq!(after.0 - before.0, 7, "users");
    assert_eq!(after.1 - before.1, 7, "invitations");
    assert_eq!(after.2 - before.2, 7, "outbox");
    assert_eq!(after.3 - before.3, 7 * 2 + 2, "audit entries");
    assert_eq!(activity_count(&app, "Add user").await, 7 + 1, "and the first admin's");
    assert_eq!(activity_count(&app, "Invite external user").await, 7);
    assert_eq!(activity_count(&app, "Bulk invite users - started (bulk)").await, 1);
    assert_eq!(finished_details(&app).await, "succeeded=7; failed=0; total=7");
    let admin_id = user_id(&app, ADMIN_EMAIL).await;
    let (state, upn, invited_by): (String, String, String) =
        sqlx::query_as("SELECT external_user_state, user_principal_name, invited_by FROM users WHERE mail_lower = $1")
            .bind("guest4@fabrikam.example")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(state, "PendingAcceptance");
    assert_eq!(upn, "guest4_fabrikam.example#EXT#@contoso.test");
    assert_eq!(invited_by, admin_id);
    let digests: Vec<String> = sqlx::query_scalar("SELECT ticket_digest FROM invitations WHERE status = 'pending'")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(digests.len(), 7);
    assert!(digests.iter().all(|d| d.len() == 64), "only an HMAC is stored");
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE group_id = $1")
        .bind(&group)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(members, 7, "the dynamic group picked every new guest up");

    let mail = sink.wait_for(7, Duration::from_secs(10)).await;
    let first = mail.iter().find(|m| m.to == ["guest1@fabrikam.example"]).unwrap();
    assert_eq!(
        first.subject(),
        "Administrator invited you to access applications within their organization"
    );
    assert!(first.text().unwrap().contains("Welcome, guest 1"));
    let ticket = ticket_in(&mail, "guest5@fabrikam.example");
    redeem(&app, &sink, &ticket, "guest5@fabrikam.example").await;
    let (state,): (String,) = sqlx::query_as("SELECT external_user_state FROM users WHERE mail_lower = $1")
        .bind("guest5@fabrikam.example")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(state, "Accepted");
}

#[tokio::test]
async fn a_mixed_file_fails_exactly_the_bad_rows_with_their_reasons() {
    let app = spawn_app().await;
    let hasher = vestibule::security::password::PasswordHasherService::new(app.settings.password_cost).unwrap();
    let gone = vestibule::services::accounts::create_admin(
        &app.db,
        &hasher,
        &app.clock,
        "gone@contoso.test",
        "Gone",
        "Gone-passw0rd!",
        Role::GuestInviter,
    )
    .await
    .unwrap();
    let admin_id = user_id(&app, ADMIN_EMAIL).await;
    let admin = Admin {
        actor: Actor::system("test"),
        id: &admin_id,
        roles: &[Role::GlobalAdministrator],
    };
    vestibule::services::users::delete_user(&app.state, &admin, &gone.id)
        .await
        .unwrap();
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::invitations::block(&mut conn, "blocked@fabrikam.example", 0)
        .await
        .unwrap();
    drop(conn);
    let long = "x".repeat(2001);
    let long_row = format!("long@fabrikam.example,,true,{long}");
    let before = counts(&app).await;
    let report = run(
        &app,
        &[
            "ok.one@fabrikam.example,,,",
            "not-an-address,,,",
            "ok.two@fabrikam.example,https://apps.fabrikam.example,false,",
            "OK.One@Fabrikam.example,,,",
            "admin@contoso.test,,,",
            "gone@contoso.test,,,",
            "blocked@fabrikam.example,,,",
            &long_row,
            "flag@fabrikam.example,,maybe,",
            "redirect@fabrikam.example,javascript:alert(1),,",
        ],
        chunks_of(3),
    )
    .await;
    let outcome: Vec<(usize, &str, &str)> = report
        .rows
        .iter()
        .map(|r| (r.row, r.status_label(), r.reason()))
        .collect();
    let expect = [
        (3, "Success", ""),
        (4, "Failed", "needs an @ and a domain"),
        (5, "Success", ""),
        (6, "Failed", "is already on row 3 of this file"),
        (7, "Failed", "is already in the directory: see /admin/users/"),
        (8, "Failed", "belongs to a deleted user"),
        (9, "Failed", "has asked not to receive invitations"),
        (10, "Failed", "at most 2000 characters"),
        (11, "Failed", "must be true or false"),
        (12, "Failed", "Enter a full http:// or https:// address"),
    ];
    assert_eq!(outcome.len(), expect.len());
    for ((row, status, reason), (want_row, want_status, want_reason)) in outcome.iter().zip(expect) {
        assert_eq!((*row, *status), (want_row, want_status), "{reason}");
        assert!(reason.contains(want_reason), "row {row}: {reason}");
    }
    assert_eq!(
        report.rows[3].reason(),
        "OK.One@Fabrikam.example is already on row 3 of this file."
    );
    assert!(
        !report.rows[1].reason().contains("display name"),
        "{}",
        report.rows[1].reason()
    );
    let after = counts(&app).await;
    assert_eq!(
        (
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2,
            after.3 - before.3
        ),
        (2, 2, 2, 2 * 2 + 2),
        "only the two good rows are written"
    );
    assert_eq!(finished_details(&app).await, "succeeded=2; failed=8; total=10");
    for failed in [
        "long@fabrikam.example",
        "flag@fabrikam.example",
        "redirect@fabrikam.example",
    ] {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE recipient = $1")
            .bind(failed)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(n, 0, "{failed}");
    }
    let redirect: Option<String> =
        sqlx::query_scalar("SELECT redirect_url FROM invitations WHERE invited_email = 'ok.two@fabrikam.example'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(redirect.as_deref(), Some("https://apps.fabrikam.example"));
}

#[tokio::test]
async fn a_dry_run_checks_every_row_and_writes_nothing() {
    let app = spawn_app().await;
    let before = counts(&app).await;
    let report = run(
        &app,
        &["new@fabrikam.example,,,", "admin@contoso.test,,,", "bad,,,"],
        BulkOptions {
            dry_run: true,
            chunk_rows: 2,
        },
    )
    .await;
    let labels: Vec<&str> = report.rows.iter().map(|r| r.status_label()).collect();
    assert_eq!(labels, ["Valid", "Failed", "Failed"]);
    assert!(report.rows[1].reason().contains("already in the directory"));
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn roles_that_may_not_bulk_invite_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    app.create_member("inviter@contoso.test", "Inviter-passw0rd!", "guest_inviter")
        .await;
    app.create_member("helpdesk@contoso.test", "Helpdesk-passw0rd!", "helpdesk_administrator")
        .await;
    app.create_member("useradmin@contoso.test", "Useradmin-passw0rd!", "user_administrator")
        .await;
    let before = counts(&app).await;
    for (email, role) in [
        ("inviter@contoso.test", Role::GuestInviter),
        ("helpdesk@contoso.test", Role::HelpdeskAdministrator),
    ] {
        let refused = run_as(&app, email, &[role], &["g@fabrikam.example,,,"], BulkOptions::default()).await;
        assert!(matches!(refused, Err(ServiceError::Denied(_))), "{email}");
    }
    assert_eq!(counts(&app).await, before);
    let report = run_as(
        &app,
        "useradmin@contoso.test",
        &[Role::UserAdministrator],
        &["g@fabrikam.example,,,"],
        BulkOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.succeeded(), 1, "a User Administrator may");
}

#[tokio::test]
async fn a_unique_index_race_costs_one_row_not_its_chunk() {
    let app = spawn_app().await;
    // Another invite already took the guest principal name that row 4
    // will get, under another address: the address check passes and the
    // unique index refuses the insert, as when a concurrent wizard invite
    // commits between the check and the write.
    let email = Email::parse("elsewhere@northwind.example").unwrap();
    let name = vestibule::domain::DisplayName::parse("Taken").unwrap();
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::users::insert(
        &mut conn,
        &vestibule::store::users::NewUser {
            id: &uuid::Uuid::new_v4().to_string(),
            display_name: &name,
            mail: Some(&email),
            user_principal_name: "race_fabrikam.example#EXT#@contoso.test",
            user_type: vestibule::domain::UserType::Guest,
            creation_type: Some("Invitation"),
            external_user_state: None,
            company_name: None,
            password_hash: None,
            must_change_password: false,
            invited_by: None,
            now: 0,
        },
    )
    .await
    .unwrap();
    drop(conn);
    let before = counts(&app).await;
    let report = run(
        &app,
        &[
            "first@fabrikam.example,,,",
            "race@fabrikam.example,,,",
            "third@fabrikam.example,,,",
            "fourth@fabrikam.example,,,",
        ],
        chunks_of(3),
    )
    .await;
    let labels: Vec<&str> = report.rows.iter().map(|r| r.status_label()).collect();
    assert_eq!(labels, ["Success", "Failed", "Success", "Success"]);
    assert_eq!(
        report.rows[1].reason(),
        "race@fabrikam.example is already in the directory."
    );
    let after = counts(&app).await;
    assert_eq!(
        (
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2,
            after.3 - before.3
        ),
        (3, 3, 3, 3 * 2 + 2)
    );
}

#[tokio::test]
async fn more_rows_than_one_bulk_invite_takes_are_refused() {
    let app = spawn_app().await;
    let id = user_id(&app, ADMIN_EMAIL).await;
    let admin = Admin {
        actor: Actor::system("test"),
        id: &id,
        roles: &[Role::GlobalAdministrator],
    };
    let rows = vec![BulkRow::default(); vestibule::services::bulk_invite::MAX_ROWS + 1];
    let refused = bulk_invite(&app.state, &admin, &rows, &BulkOptions::default()).await;
    assert!(
        matches!(&refused, Err(ServiceError::Refused(m)) if m.contains("at most 100000")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_directory_check_of_a_chunk_searches_the_address_indexes() {
    let app = spawn_app().await;
    // With statistics of a populated directory, SQLite scans the table for
    // `mail_lower IN (…) OR upn_lower IN (…)` once the lists are long.
    app.populate_directory(3000).await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    let postgres = conn.backend_name() == "PostgreSQL";
    if !postgres {
        // This connection reads the statistics the bulk load gathered.
        sqlx::query("ANALYZE sqlite_schema").execute(&mut *conn).await.unwrap();
    }
    if postgres {
        // A near-empty table makes a scan look cheap; ask whether the
        // indexes can serve the query at all.
        for setting in ["enable_seqscan", "enable_bitmapscan"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("SET {setting} = off")))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
    // 300 addresses against 3,000 users: the proportion at which the OR
    // of two lists already scanned (a chunk of 1,000 against 10,000 users
    // does too); each list alone is still searched.
    let plan = vestibule::store::invitations::explain_holders(&mut conn, 300)
        .await
        .unwrap();
    for index in ["users_mail_lower_key", "users_upn_lower_key"] {
        assert!(plan.contains(index), "{index}: {plan}");
    }
    assert!(!plan.contains("SCAN users") && !plan.contains("Seq Scan"), "{plan}");
}
