//! A fresh PostgreSQL database per test, cloned from a template that is
//! migrated once per set of migrations (its name carries their digest), so
//! a test pays for a clone, not for the migrations.

use sqlx::{AnyConnection, Connection, Executor};

/// Hash of the PostgreSQL migrations, so a changed migration makes a new template.
fn migrations_digest() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    let mut hash: u64 = 0xcbf29ce484222325;
    for path in names {
        for byte in std::fs::read(&path).unwrap() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x100000001b3);
        }
    }
    format!("{hash:016x}")
}

/// `base` with its database name replaced.
pub fn with_database(base: &str, name: &str) -> String {
    let (before_query, query) = match base.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (base, None),
    };
    let cut = before_query.rfind('/').expect("a database URL has a path");
    let mut url = format!("{}/{}", &before_query[..cut], name);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

pub async fn fresh_database(base: &str) -> String {
    sqlx::any::install_default_drivers();
    let template = format!("vestibule_tpl_{}", migrations_digest());
    let mut admin = AnyConnection::connect(base)
        .await
        .expect("connect to VESTIBULE_TEST_POSTGRES_URL");
    admin.execute("SELECT pg_advisory_lock(726100)").await.unwrap();
    let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(&template)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    if exists == 0 {
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {template}")))
            .await
            .unwrap();
        let db = vestibule::store::Db::connect(&with_database(base, &template), 1)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        db.close().await;
    }
    admin.execute("SELECT pg_advisory_unlock(726100)").await.unwrap();
    let name = format!("vestibule_test_{}", uuid::Uuid::new_v4().simple());
    let mut attempts = 0;
    loop {
        let created = admin
            .execute(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {name} TEMPLATE {template}"
            )))
            .await;
        match created {
            Ok(_) => break,
            // Another test is cloning the same template at this instant.
            Err(e) if attempts < 50 && e.to_string().contains("being accessed by other users") => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cloning the template database: {e}"),
        }
    }
    admin.close().await.ok();
    with_database(base, &name)
}
