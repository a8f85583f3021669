//! An online copy of a SQLite database (`vestibule backup`).
//!
//! `VACUUM INTO` reads one consistent snapshot, as any reader does, so the
//! portal goes on reading and writing while it runs; what commits during
//! the copy is not in it. The copy is a plain database file that opens on
//! its own (no `-wal` file beside it).

use std::path::Path;

use sqlx::Connection;

use super::{Backend, Db};

/// Writes a copy of the database to `target`, which must not exist yet,
/// then checks that the copy opens and is sound.
pub async fn sqlite_copy(db: &Db, target: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(db.backend() == Backend::Sqlite, "VACUUM INTO copies SQLite only");
    let target_text = target
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup's path {} is not UTF-8", target.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target_text)
        .execute(db.pool())
        .await
        .map_err(|e| anyhow::anyhow!("cannot write the backup to {}: {e}", target.display()))?;
    // A plain read-only connection: the pool's set-up would switch the
    // copy to WAL, which writes to it.
    let mut copy = sqlx::AnyConnection::connect(&format!("sqlite://{target_text}?mode=ro")).await?;
    let check: String = sqlx::query_scalar("PRAGMA quick_check").fetch_one(&mut copy).await?;
    copy.close().await?;
    anyhow::ensure!(
        check == "ok",
        "the backup at {} does not pass SQLite's check: {check}",
        target.display()
    );
    Ok(())
}

/// The file a `sqlite:` URL names, or `None` for an in-memory database.
pub fn sqlite_file(url: &str) -> Option<&Path> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| Path::new(path))
}
