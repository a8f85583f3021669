//! Load and scale measurements (`vestibule bench`) and the bulk seeding
//! they build on (`vestibule seed`). Never part of the test suite.
//!
//! `vestibule bench` runs each store in a child process of its own (so one
//! store's memory never shows in the other's figures); the child builds a
//! temporary database, seeds it with `vestibule seed` in a grandchild,
//! starts the real server in-process on a loopback port, and measures it
//! over HTTP with the built-in load generator, which runs on its own two
//! threads beside the server's on the same machine.

pub mod data;
pub mod fixtures;
pub mod flows;
pub mod http;
pub mod procstat;
pub mod report;
pub mod run;
pub mod seed;
pub mod smtp;

use std::path::PathBuf;
use std::process::Stdio;

#[derive(clap::Args, Clone, Debug)]
pub struct BenchArgs {
    /// PostgreSQL to measure too (a fresh database is created there and
    /// dropped after); default: VESTIBULE_BENCH_POSTGRES_URL, else
    /// VESTIBULE_TEST_POSTGRES_URL; without one only SQLite is measured.
    #[arg(long, value_name = "URL")]
    pub postgres_url: Option<String>,
    /// Shorter runs (2 s per figure), 10,000 bulk invitations instead of
    /// 100,000, and scale up to 100,000 users only.
    #[arg(long)]
    pub quick: bool,
    /// Measure only these parts (comma-separated: pages, invites, bulk,
    /// mail, scale), e.g. to profile one of them; the table leaves the rest out.
    #[arg(long, value_delimiter = ',', value_parser = ["pages", "invites", "bulk", "mail", "scale"])]
    pub only: Vec<String>,
    /// Where to write the results as JSON.
    #[arg(long, value_name = "FILE", default_value = "bench-results.json")]
    pub out: PathBuf,
    /// Internal: measure one store ("sqlite" or "postgres") in this process.
    #[arg(long, hide = true)]
    pub store: Option<String>,
    /// Internal: where a child writes its store's results.
    #[arg(long, hide = true)]
    pub part: Option<PathBuf>,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(store) = args.store.clone() {
        let result = run::measure_store(&store, &args).await?;
        let part = args.part.clone().unwrap_or_else(|| PathBuf::from("bench-part.json"));
        std::fs::write(&part, serde_json::to_vec_pretty(&result)?)?;
        return Ok(());
    }
    let postgres = args
        .postgres_url
        .clone()
        .or_else(|| std::env::var("VESTIBULE_BENCH_POSTGRES_URL").ok())
        .or_else(|| std::env::var("VESTIBULE_TEST_POSTGRES_URL").ok())
        .filter(|u| !u.is_empty());
    let started = std::time::Instant::now();
    let mut stores = vec![("sqlite", None)];
    if let Some(url) = &postgres {
        stores.push(("postgres", Some(url.clone())));
    } else {
        eprintln!("bench: no PostgreSQL URL (--postgres-url or VESTIBULE_BENCH_POSTGRES_URL): SQLite only");
    }
    let mut results = Vec::new();
    for (store, url) in stores {
        eprintln!("bench: measuring {store} in a child process");
        let part = std::env::temp_dir().join(format!("vestibule-bench-{}.json", uuid::Uuid::new_v4().simple()));
        let mut cmd = tokio::process::Command::new(std::env::current_exe()?);
        cmd.arg("bench").arg("--store").arg(store).arg("--part").arg(&part);
        if args.quick {
            cmd.arg("--quick");
        }
        if !args.only.is_empty() {
            cmd.arg("--only").arg(args.only.join(","));
        }
        if let Some(url) = url {
            cmd.arg("--postgres-url").arg(url);
        }
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("VESTIBULE_LOG", "warn");
        }
        let status = cmd.stdin(Stdio::null()).status().await?;
        if !status.success() {
            anyhow::bail!("the {store} measurement failed ({status})");
        }
        let text = std::fs::read(&part)?;
        let _ = std::fs::remove_file(&part);
        results.push(serde_json::from_slice::<run::StoreResult>(&text)?);
    }
    let machine = report::Machine::detect();
    let table = report::table(&results, &machine);
    println!("{table}");
    let json = serde_json::json!({
        "machine": machine,
        "quick": args.quick,
        "seconds": started.elapsed().as_secs_f64(),
        "stores": results,
    });
    std::fs::write(&args.out, serde_json::to_vec_pretty(&json)?)?;
    eprintln!(
        "bench: wrote {} in {:.0} s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
