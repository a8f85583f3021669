//! `vestibule invite-bulk`: Bulk invite from the command line, with Entra's
//! bulk invite template as input and a results file as output.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::Permission;
use crate::domain::role::any_allows;
use crate::services::Admin;
use crate::services::bulk_invite::{self, BulkOptions, BulkReport, MAX_FILE_BYTES, MAX_ROWS};
use crate::services::{ServiceError, bulk_template};
use crate::store::audit::Actor;

const ABOUT: &str = "Invite guests in bulk from Entra's bulk invite template (CSV).

The file keeps the template's first two rows: row 1 is the version row, version:v1.0; row 2 the \
headings, each with its property in brackets: Email address to invite [inviteeEmail] Required, \
Redirection url [inviteRedirectURL], Send invitation message (true or false) [sendEmail], \
Customized invitation message [customizedMessageBody], and optionally Name of invitee \
[inviteeName]. Columns may come in any order; others are ignored. Remove the template's examples \
row and list one guest per row from row 3 on, at most 100,000 rows and 20 MB.

Each row passes the rules of Invite external user. Unlike Entra, the redirect URL is optional: \
empty (or Entra's https://myapps.microsoft.com) leads to My Apps. The invitation email is always \
sent, as from the wizard; sendEmail (true when empty) decides whether the customized message goes \
in it. A running portal's outbox worker sends the emails.

Writes one result per row (row, email, status, reason) as CSV to --results or standard output, and \
a summary to standard error. Exit status: 0 when every row succeeded, 1 when some failed, 2 when \
the file or the inviter cannot be used (nothing is written then).";

#[derive(clap::Args)]
#[command(about = "Invite guests in bulk from Entra's bulk invite template (CSV)", long_about = ABOUT)]
pub struct InviteBulkArgs {
    /// The filled-in bulk invite template.
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    /// The inviting admin's sign-in address: a Global Administrator or a User Administrator.
    #[arg(long, value_name = "ADMIN_EMAIL")]
    pub inviter: String,
    /// Where to write the per-row results (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Check every row, against the rules and the directory, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Why the command stopped: input it cannot use (exit status 2), or any
/// other failure (1).
enum Stop {
    Unusable(String),
    Failed(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Failed(e.into())
    }
}

pub async fn run(settings: Settings, args: InviteBulkArgs) -> ExitCode {
    match invite(settings, &args).await {
        Ok(report) => {
            let summary = if report.dry_run {
                format!(
                    "{} valid, {} failed, {} total (dry run: nothing was written)",
                    report.succeeded(),
                    report.failed(),
                    report.total()
                )
            } else {
                format!(
                    "{} succeeded, {} failed, {} total",
                    report.succeeded(),
                    report.failed(),
                    report.total()
                )
            };
            eprintln!("{summary}");
            if report.failed() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(Stop::Unusable(message)) => {
            eprintln!("vestibule: {message}");
            ExitCode::from(2)
        }
        Err(Stop::Failed(e)) => {
            eprintln!("vestibule: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn invite(settings: Settings, args: &InviteBulkArgs) -> Result<BulkReport, Stop> {
    let rows = read_file(args)?;
    let state = crate::startup::command_state(settings, Clock::system()).await?;
    let result = invite_rows(&state, args, &rows).await;
    state.db.close().await;
    let report = result?;
    let results = bulk_template::results_csv(&report.rows);
    match &args.results {
        Some(path) => std::fs::write(path, results)
            .map_err(|e| anyhow::anyhow!("cannot write the results to {}: {e}", path.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(results.as_bytes())?;
        }
    }
    Ok(report)
}

fn read_file(args: &InviteBulkArgs) -> Result<Vec<bulk_invite::BulkRow>, Stop> {
    let path = args.csv.display();
    let unusable = |m: String| Stop::Unusable(m);
    let size = std::fs::metadata(&args.csv)
        .map_err(|e| unusable(format!("cannot read {path}: {e}")))?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(unusable(format!(
            "{path} is larger than {} MB: split it into files of at most {MAX_ROWS} guests.",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = std::fs::read(&args.csv).map_err(|e| unusable(format!("cannot read {path}: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|_| unusable(format!("{path} is not UTF-8 text: save it as CSV UTF-8.")))?;
    bulk_template::read(&text).map_err(|m| unusable(format!("{path}: {m}")))
}

async fn invite_rows(
    state: &crate::app::AppState,
    args: &InviteBulkArgs,
    rows: &[bulk_invite::BulkRow],
) -> Result<BulkReport, Stop> {
    let mut conn = state.db.pool().acquire().await?;
    let inviter = crate::store::users::find_by_sign_in_name(&mut conn, &args.inviter)
        .await?
        .ok_or_else(|| Stop::Unusable(format!("no user signs in as {}.", args.inviter)))?;
    if !inviter.account_enabled {
        return Err(Stop::Unusable(format!("{}'s sign-in is blocked.", args.inviter)));
    }
    let roles = crate::store::roles::roles_of(&mut conn, &inviter.id).await?;
    drop(conn);
    if !any_allows(&roles, Permission::BulkInvite) {
        return Err(Stop::Unusable(format!(
            "{} cannot bulk invite: that needs a Global Administrator or a User Administrator.",
            args.inviter
        )));
    }
    let admin = Admin {
        actor: Actor {
            id: Some(inviter.id.clone()),
            name: Some(inviter.user_principal_name.clone()),
            client_ip: None,
        },
        id: &inviter.id,
        roles: &roles,
    };
    let options = BulkOptions {
        dry_run: args.dry_run,
        ..BulkOptions::default()
    };
    bulk_invite::bulk_invite(state, &admin, rows, &options)
        .await
        .map_err(|e| match e {
            ServiceError::Denied(m) | ServiceError::Refused(m) => Stop::Unusable(m),
            other => Stop::Failed(other.into()),
        })
}
