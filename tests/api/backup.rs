//! `vestibule backup --to FILE`: a copy made while the portal runs, which a
//! new portal opens with the state of the moment of the copy.
//!
//! The command runs as a child process waited for with blocking calls, so
//! these tests run on a multi-threaded runtime (see `cli.rs`).

use crate::common::binary::vestibule;
use crate::common::{spawn_app, spawn_app_with};

fn backup(app: &crate::common::TestApp, to: &std::path::Path) -> std::process::Output {
    vestibule(app.settings.data_dir.as_path())
        .env("VESTIBULE_DATABASE_URL", &app.settings.database_url)
        .args(["backup", "--to"])
        .arg(to)
        .output()
        .unwrap()
}

async fn user_count(db: &vestibule::store::Db, email: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE mail = $1")
        .bind(email)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_made_while_the_portal_runs_restores_the_state_of_its_moment() {
    let app = spawn_app().await;
    if app.settings.is_postgres() {
        return; // see the PostgreSQL test below
    }
    app.create_member("before@contoso.test", "Before-Passw0rd!", "").await;
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("vestibule-backup.db");

    let out = backup(&app, &target);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("backed up") && said.contains("vestibule-backup.db"),
        "{said}"
    );

    // Written after the backup, by the portal that kept running.
    app.create_member("after@contoso.test", "After-Passw0rd!", "").await;
    app.sign_in_as_admin().await;
    assert_eq!(app.get("/admin/users").await.status(), 200);

    // A second backup to the same file is refused, and the first one is kept.
    let before = std::fs::read(&target).unwrap();
    let out = backup(&app, &target);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already exists") && err.contains("vestibule-backup.db"),
        "{err}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), before, "the old backup is untouched");

    // Restore: the copy put in place of a new portal's database.
    let restored_dir = tempfile::tempdir().unwrap();
    let restored_file = restored_dir.path().join("restored.db");
    std::fs::copy(&target, &restored_file).unwrap();
    let restored_url = format!("sqlite://{}?mode=rwc", restored_file.display());
    // The same server key: the signing keys in the copy are sealed with it.
    let key = std::fs::read_to_string(app.settings.data_dir.join("session.key")).unwrap();
    let restored = spawn_app_with(|s| {
        s.database_url = restored_url;
        s.session_key = Some(key.trim().to_owned());
    })
    .await;
    assert_eq!(user_count(&restored.db, "before@contoso.test").await, 1);
    assert_eq!(user_count(&restored.db, "after@contoso.test").await, 0);
    assert_eq!(restored.db.pending_migrations().await.unwrap(), Vec::<i64>::new());
    assert_eq!(
        restored.count("SELECT COUNT(*) FROM _sqlx_migrations").await,
        app.count("SELECT COUNT(*) FROM _sqlx_migrations").await,
        "the copy holds every migration: starting on it applied none"
    );
    let res = restored.get("/readyz").await;
    assert_eq!(res.text().await.unwrap(), "ready");
    // The administrator of the backup signs in to the restored portal.
    restored.sign_in_as_admin().await;
    let page = restored.get("/admin/users").await.text().await.unwrap();
    assert!(
        page.contains("before@contoso.test"),
        "the restored directory lists the earlier user"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_of_a_missing_database_or_postgresql_says_what_to_do() {
    let app = spawn_app().await;
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("copy.db");
    if app.settings.is_postgres() {
        let out = backup(&app, &target);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("pg_dump"), "{err}");
        assert!(!target.exists());
        return;
    }
    let out = vestibule(folder.path())
        .env(
            "VESTIBULE_DATABASE_URL",
            format!("sqlite://{}/none.db?mode=rwc", folder.path().display()),
        )
        .args(["backup", "--to"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no database at"), "{err}");
    assert!(
        !folder.path().join("none.db").exists(),
        "the command does not create an empty database"
    );
    assert!(!target.exists());
}
