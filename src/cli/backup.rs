//! `vestibule backup --to FILE`: a consistent copy of a SQLite database,
//! made while the portal runs. PostgreSQL has its own tool for this
//! (`pg_dump`), which the message names.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::Settings;
use crate::store::{self, Db};

#[derive(Args)]
pub struct BackupArgs {
    /// The file to write; it must not exist yet.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

/// What PostgreSQL operators run instead; the README shows the restore.
pub const PG_DUMP_ADVICE: &str = "the database is PostgreSQL: back it up with pg_dump, for example \
     `pg_dump --format=custom --file=vestibule.dump \"$VESTIBULE_DATABASE_URL\"` (restore with \
     `pg_restore --clean --if-exists --dbname=\"$VESTIBULE_DATABASE_URL\" vestibule.dump`)";

pub async fn run(settings: Settings, args: BackupArgs) -> anyhow::Result<()> {
    if settings.is_postgres() {
        anyhow::bail!(PG_DUMP_ADVICE);
    }
    let source = store::backup::sqlite_file(&settings.database_url)
        .ok_or_else(|| anyhow::anyhow!("the database is in memory: there is no file to back up"))?;
    if !source.exists() {
        anyhow::bail!(
            "no database at {} (VESTIBULE_DATABASE_URL): there is nothing to back up",
            source.display()
        );
    }
    refuse_existing(&args.to)?;
    let db = Db::connect(&settings.database_url, 1).await?;
    let result = store::backup::sqlite_copy(&db, &args.to).await;
    db.close().await;
    result?;
    let size = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
    println!("backed up {} to {} ({size} bytes)", source.display(), args.to.display());
    Ok(())
}

/// A backup never replaces a file: an older backup there may be the one
/// that is needed.
fn refuse_existing(target: &Path) -> anyhow::Result<()> {
    if target.exists() {
        anyhow::bail!(
            "{} already exists: a backup never overwrites a file; choose a new name, or move the old file away \
             first",
            target.display()
        );
    }
    Ok(())
}
