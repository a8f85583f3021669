//! schemathesis against the API's own OpenAPI document: the document a
//! running portal serves at `/v1.0/openapi.json`, with that portal's ids
//! as examples of its path parameters, drives generated requests — valid
//! ones, and ones that break the schemas — to every operation, as an
//! application holding every permission. The run fails on any 5xx
//! (`not_a_server_error`), on any status the document does not list for
//! the operation, and on any answer whose body or content type it does not
//! allow. Bounded in examples per operation and in time, with a fixed seed so a failure
//! can be run again (VESTIBULE_SCHEMATHESIS_SEED picks another, and
//! VESTIBULE_SCHEMATHESIS_REPORT=folder keeps what it sent).
//!
//! Skipped unless scripts/test installed schemathesis into `.venv`, and
//! required when it did (VESTIBULE_REQUIRE_CLIENTS=1).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vestibule::domain::UserType;

use crate::common::clients::repository;
use crate::common::directory::Invited;
use crate::common::{TestApp, gallery_app, spawn_app_with, system_admin};

/// Generated requests per operation and phase.
const MAX_EXAMPLES: &str = "30";
/// The whole run's budget, in seconds.
const MAX_TIME: &str = "60";
const SEED: &str = "20260615";

/// Every permission an application can hold.
const EVERY_PERMISSION: &[&str] = &[
    "User.Invite.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Application.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "AuditLog.Read.All",
];

/// `.venv/bin/st`, when schemathesis is installed there.
fn schemathesis() -> Option<std::path::PathBuf> {
    let st = repository().join(".venv/bin/st");
    let runs = Command::new(&st)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if runs {
        return Some(st);
    }
    assert!(
        std::env::var("VESTIBULE_REQUIRE_CLIENTS").as_deref() != Ok("1"),
        "{} does not run, and VESTIBULE_REQUIRE_CLIENTS=1: run scripts/test (or scripts/venv)",
        st.display()
    );
    eprintln!(
        "skipped: {} does not run; scripts/venv installs schemathesis",
        st.display()
    );
    None
}

/// The rows the generated requests can reach by id: a pending guest in a
/// group and assigned to an app, and a deleted guest.
struct Targets {
    guest: String,
    deleted: String,
    group: String,
    app: String,
    assignment: String,
    /// The calling application's client ID, for `(appId='…')`.
    client_id: String,
}

async fn targets(app: &TestApp, client_id: &str) -> Targets {
    let guest = app
        .invited_user("wanda@fabrikam.test", UserType::Guest, Invited::Pending)
        .await;
    let deleted = app
        .invited_user("xena@fabrikam.test", UserType::Guest, Invited::Accepted)
        .await;
    app.soft_delete(&deleted).await;
    let group = vestibule::services::groups::create_group(
        &app.state,
        &system_admin(),
        &vestibule::services::groups::GroupForm {
            display_name: "Partners".into(),
            membership_type: "Assigned".into(),
            ..Default::default()
        },
    )
    .await
    .expect("a group");
    let (application, app_role) = gallery_app(app, "docusign", "DocuSign").await;
    let now = app.clock.now();
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::groups::add_member(&mut conn, &group, &guest, now)
        .await
        .unwrap();
    vestibule::store::assignments::insert(&mut conn, &application.id, &app_role, "User", &guest, now)
        .await
        .unwrap();
    drop(conn);
    let assignment = sqlx::query_scalar("SELECT id FROM app_role_assignments WHERE principal_id = $1")
        .bind(&guest)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    Targets {
        guest,
        deleted,
        group,
        app: application.id,
        assignment,
        client_id: client_id.to_owned(),
    }
}

/// The served document with this portal's ids as the examples of its path
/// parameters, so that schemathesis's first requests find real rows and
/// their answers (200, 204) are checked as well as the refusals.
fn with_examples(mut document: Value, targets: &Targets) -> Value {
    let paths = document["paths"].as_object_mut().expect("paths");
    for (path, item) in paths.iter_mut() {
        let Some(parameters) = item.get_mut("parameters").and_then(Value::as_array_mut) else {
            continue;
        };
        for parameter in parameters.iter_mut() {
            let name = parameter["$ref"]
                .as_str()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default();
            let example = match name {
                "id" if path.starts_with("/v1.0/users/") => &targets.guest,
                "id" if path.starts_with("/v1.0/groups/") => &targets.group,
                "id" if path.starts_with("/v1.0/servicePrincipals/") => &targets.app,
                "id" if path.starts_with("/v1.0/directory/deletedItems/") => &targets.deleted,
                "member_id" => &targets.guest,
                "assignment_id" => &targets.assignment,
                "app_id" => &targets.client_id,
                _ => continue,
            };
            *parameter = json!({"name": name, "in": "path", "required": true,
                "schema": {"type": "string", "example": example}});
        }
    }
    document
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_the_document_does_not_allow() {
    let Some(st) = schemathesis() else { return };
    // The limit per application would answer 429 to most of the run.
    let app = spawn_app_with(|s| s.api_limit_per_app = 1_000_000).await;
    let client = app.api_client(EVERY_PERMISSION).await;
    let targets = targets(&app, &client.client_id).await;
    let token = app.api_token(&client).await;
    let served: Value = app
        .client
        .get(app.url("/v1.0/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let document = folder.path().join("openapi.json");
    std::fs::write(&document, with_examples(served, &targets).to_string()).unwrap();
    let seed = std::env::var("VESTIBULE_SCHEMATHESIS_SEED").unwrap_or_else(|_| SEED.to_owned());
    let mut args: Vec<String> = vec![
        "run".into(),
        document.display().to_string(),
        "--url".into(),
        app.address.clone(),
        "--checks".into(),
        "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance".into(),
        "--phases".into(),
        "examples,coverage,fuzzing".into(),
        "--max-examples".into(),
        MAX_EXAMPLES.into(),
        "--max-time".into(),
        MAX_TIME.into(),
        "--seed".into(),
        seed.clone(),
        "--workers".into(),
        "1".into(),
        "--request-timeout".into(),
        "20".into(),
        "--header".into(),
        format!("Authorization: Bearer {token}"),
    ];
    // VESTIBULE_SCHEMATHESIS_REPORT=folder keeps every request and answer
    // of the run there (HAR), to see what it sent.
    if let Ok(folder) = std::env::var("VESTIBULE_SCHEMATHESIS_REPORT") {
        args.extend(["--report".into(), "har".into(), "--report-dir".into(), folder]);
    }
    let started = Instant::now();
    // Run in the temporary folder, where it keeps its example database.
    let workdir = folder.path().to_owned();
    // The portal answers on this test's runtime while schemathesis runs.
    let output = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .args(&args)
            .env("NO_COLOR", "1")
            .env("COLUMNS", "160")
            .current_dir(workdir)
            .output()
            .expect("schemathesis starts")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!(
        "schemathesis (seed {seed}) ran {:.0?}:\n{stdout}\n{stderr}",
        started.elapsed()
    );
    assert!(
        output.status.success(),
        "schemathesis found failures (seed {seed}); its output is above"
    );
    assert!(
        stdout.contains("passed") && !stdout.contains("No operations"),
        "schemathesis tested nothing"
    );
    assert!(started.elapsed() < Duration::from_secs(300));
}
