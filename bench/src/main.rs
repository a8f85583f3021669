//! `vestibule-bench`: load and scale measurements of the portal, and the
//! bulk seeding they build on (`vestibule-bench seed`). A package of the
//! workspace beside the product, never part of it nor of the test suite.
//!
//! It runs each store in a child process of its own (so one store's memory
//! never shows in the other's figures); the child builds a temporary
//! database, seeds it with `vestibule-bench seed` in a grandchild, starts
//! the real server in-process on a loopback port, and measures it over
//! HTTP with its own load generator, which runs on its own two threads
//! beside the server's on the same machine. `vestibule invite-bulk` is
//! measured in a grandchild too, through the product's own command line
//! (`vestibule-bench vestibule invite-bulk …`).

mod api;
mod data;
mod fixtures;
mod flows;
mod http;
mod oidc;
mod procstat;
mod report;
mod run;
mod seed;
mod smtp;

use std::path::PathBuf;
use std::process::{ExitCode, Stdio};

use clap::{Parser, Subcommand};
use vestibule::config::Settings;

#[derive(Parser)]
#[command(
    name = "vestibule-bench",
    about = "Measure speed, memory and scale against the server's own ceiling, on SQLite and, when a \
             URL is given, PostgreSQL; prints a table and writes bench-results.json. Builds its own \
             data in temporary databases.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Write realistic users, groups and applications in bulk (appends to
    /// the directory; prints how long it took).
    Seed(seed::SeedArgs),
    /// Internal: the product's command line, as the `vestibule` binary
    /// runs it (the benchmark measures `invite-bulk` this way).
    #[command(hide = true)]
    Vestibule(vestibule::cli::Cli),
}

#[derive(clap::Args, Clone, Debug)]
pub struct BenchArgs {
    /// PostgreSQL to measure too (a fresh database is created there and
    /// dropped after); default: VESTIBULE_BENCH_POSTGRES_URL, else
    /// VESTIBULE_TEST_POSTGRES_URL; without one only SQLite is measured.
    #[arg(long, value_name = "URL")]
    pub postgres_url: Option<String>,
    /// Shorter runs (2 s per figure), 10,000 bulk invitations instead of
    /// 100,000, and scale (and the API's user pages) up to 100,000 users only.
    #[arg(long)]
    pub quick: bool,
    /// Measure only these parts (comma-separated: pages, invites, bulk,
    /// mail, oidc, api, scale), e.g. to profile one of them; the table leaves the rest out.
    #[arg(long, value_delimiter = ',', value_parser = ["pages", "invites", "bulk", "mail", "oidc", "api", "scale"])]
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

// The runtime the `vestibule` binary runs on, so the server measured here
// and the product's commands run as they do there.
#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Vestibule(product)) = cli.command {
        return vestibule::cli::run(product).await;
    }
    let settings = match Settings::load(None, std::env::vars()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vestibule-bench: {e}");
            return ExitCode::from(2);
        }
    };
    vestibule::telemetry::init(&settings);
    let result = match cli.command {
        Some(Command::Seed(args)) => seed::run(settings, args).await,
        _ => measure(cli.bench).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vestibule-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Measures each store in a child process of this binary, then prints the
/// table and writes the JSON; in a child (`--store`), measures that store.
async fn measure(args: BenchArgs) -> anyhow::Result<()> {
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
        cmd.arg("--store").arg(store).arg("--part").arg(&part);
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
