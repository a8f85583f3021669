//! The command line: `serve` (the default), `migrate`, `admin create`,
//! `invite-bulk`, `keys rotate` and `backup`.

mod backup;
mod invite_bulk;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::Role;
use crate::security::password::PasswordHasherService;
use crate::startup::Application;
use crate::store::Db;

#[derive(Parser)]
#[command(name = "vestibule", version, about = "A self-hosted guest-access portal")]
pub struct Cli {
    /// A TOML file of settings (the same keys as VESTIBULE_* in lower case).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    InviteBulk(invite_bulk::InviteBulkArgs),
    /// Manage the keys that sign ID and access tokens.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Copy a SQLite database to a new file while the portal runs (on
    /// PostgreSQL, use pg_dump).
    Backup(backup::BackupArgs),
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Add a new signing key for each algorithm; the old ones stay published
    /// until the tokens they signed have expired.
    Rotate,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a member with a directory role; the password is read from standard input.
    Create {
        /// The sign-in address.
        #[arg(long)]
        email: String,
        /// The display name.
        #[arg(long)]
        name: String,
        /// The directory role: global_administrator, user_administrator,
        /// helpdesk_administrator or guest_inviter.
        #[arg(long, default_value = "global_administrator")]
        role: String,
    },
}

pub async fn run(cli: Cli) -> ExitCode {
    let settings = match Settings::load(cli.config.as_deref(), std::env::vars()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vestibule: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&settings);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(settings).await,
        Command::Admin {
            command: AdminCommand::Create { email, name, role },
        } => create_admin(settings, &email, &name, &role).await,
        Command::InviteBulk(args) => return invite_bulk::run(settings, args).await,
        Command::Keys {
            command: KeysCommand::Rotate,
        } => rotate_keys(settings).await,
        Command::Backup(args) => backup::run(settings, args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vestibule: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    if let Some(warning) = settings.mail_warning() {
        tracing::warn!("{warning}");
    }
    if !settings.session_cookie_secure() {
        tracing::warn!(
            public_url = %settings.public_url(),
            "VESTIBULE_ALLOW_INSECURE_PUBLIC_URL: the portal is reached over plain http, and its session cookie \
             travels in clear text; use https for anything but a lab"
        );
    }
    let app = Application::build(settings, Clock::system()).await?;
    let signin_url = format!("{}/signin", app.public_url());
    if let Some(admin) = &app.first_admin {
        // The one secret Vestibule ever prints: on stdout, never in the log.
        println!("\nVestibule created the first Global Administrator.");
        println!("  Sign in at {signin_url}");
        println!("  Email:     {}", admin.email);
        if let Some(password) = &admin.generated_password {
            println!("  Password:  {password}");
            println!("  This password works once: you will choose a new one at first sign-in.\n");
        } else {
            println!("  Password:  the one given in VESTIBULE_ADMIN_PASSWORD\n");
        }
    }
    tracing::info!(url = %signin_url, "Vestibule is listening");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn rotate_keys(settings: Settings) -> anyhow::Result<()> {
    let state = crate::startup::command_state(settings, Clock::system()).await?;
    for kid in crate::services::signing_keys::rotate(&state).await? {
        println!("added signing key {kid}");
    }
    println!("running instances sign with the new keys within a minute; the old keys stay published for a day");
    state.db.close().await;
    Ok(())
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url, 2).await?;
    db.migrate().await?;
    db.close().await;
    println!(
        "migrations applied to {}",
        crate::store::redact_url(&settings.database_url)
    );
    Ok(())
}

async fn create_admin(settings: Settings, email: &str, name: &str, role: &str) -> anyhow::Result<()> {
    let role = Role::from_key(role).ok_or_else(|| {
        anyhow::anyhow!("unknown role {role:?}: use global_administrator, user_administrator, helpdesk_administrator or guest_inviter")
    })?;
    let password = read_password()?;
    let db = Db::connect(&settings.database_url, 2).await?;
    db.migrate().await?;
    let hasher = PasswordHasherService::new(settings.password_cost)?;
    let clock = Clock::system();
    crate::services::accounts::bootstrap_organization(&db, &settings, &clock).await?;
    let user = crate::services::accounts::create_admin(&db, &hasher, &clock, email, name, &password, role)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    db.close().await;
    println!(
        "created {} ({}) as {}",
        user.display_name,
        user.user_principal_name,
        role.label()
    );
    Ok(())
}

/// The password from standard input: typed without echo at a terminal, or
/// the first line of a pipe. Never from the command line, where other users
/// of the machine could read it.
fn read_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        anyhow::bail!("no password on standard input");
    }
    Ok(password)
}
