//! Bulk invite: many guests from one file. Every row passes the wizard's
//! rules (`invite_form::validate`), appears once in the file, and names an
//! address that is neither in the directory (deleted users included) nor
//! blocked; each row gets its own result. Valid rows are written a chunk
//! per transaction, each guest exactly as Invite external user writes one
//! (user, invitation with only its ticket's HMAC, email and Cc copy in the
//! outbox, dynamic group memberships, "Add user" and "Invite external user"
//! audit entries), with one multi-row INSERT per table per chunk. A unique
//! index that refuses a row (a wizard invite of the same address committed
//! meanwhile) rolls that chunk back and invites its rows one by one, so the
//! race costs one row, not the run. "Bulk invite users - started (bulk)"
//! and "... - finished (bulk)" bracket the run in the audit log.

mod write;

pub(crate) use write::LEASE_LOST;

use std::collections::HashMap;

use crate::app::AppState;
use crate::domain::Permission;
use crate::domain::role::any_allows;
use crate::services::Admin;
use crate::services::invitations::{InviteForm, InviteRules, ValidInvite, blocked_message, taken_message, validate};
use crate::services::{ServiceError, ServiceResult};
use crate::store;

/// Most rows one bulk invite takes.
pub const MAX_ROWS: usize = 100_000;
/// Largest file one bulk invite reads.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Rows written per transaction.
pub const CHUNK_ROWS: usize = 1_000;

/// One row of the file, as typed.
#[derive(Clone, Debug, Default)]
pub struct BulkRow {
    /// Where the row is in the file (as a spreadsheet numbers rows).
    pub row: usize,
    pub email: String,
    /// Empty: the part of the address before the @, as in the wizard.
    pub display_name: String,
    /// Empty: My Apps.
    pub redirect_url: String,
    /// Whether the personal message goes into the invitation email (the
    /// email itself is always sent, as from the wizard).
    pub send_message: bool,
    pub message: String,
    /// What the file's reader found wrong with the row (a value of the
    /// wrong kind); the row fails with it.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowStatus {
    Invited {
        user_id: String,
    },
    /// A dry run found nothing against the row.
    Valid,
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct RowResult {
    pub row: usize,
    pub email: String,
    pub status: RowStatus,
    /// A failed row's complaints, each about one column of the file (by
    /// its property name, as in `[inviteeEmail]`).
    pub errors: Vec<CellError>,
}

/// One complaint about one cell of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellError {
    /// The column's property name, as in its heading: `inviteeEmail`, …
    pub column: &'static str,
    pub message: String,
}

impl CellError {
    fn new(column: &'static str, message: impl Into<String>) -> Self {
        Self {
            column,
            message: message.into(),
        }
    }
}

/// The file's column a field of the wizard's form comes from.
fn column_of(field: &str) -> &'static str {
    use crate::services::bulk_template::columns;
    match field {
        "display_name" => columns::NAME,
        "message" => columns::MESSAGE,
        "redirect_url" => columns::REDIRECT,
        _ => columns::EMAIL,
    }
}

impl RowResult {
    /// "Success", "Valid" (dry run) or "Failed", as the results file says.
    pub fn status_label(&self) -> &'static str {
        match self.status {
            RowStatus::Invited { .. } => "Success",
            RowStatus::Valid => "Valid",
            RowStatus::Failed(_) => "Failed",
        }
    }

    pub fn reason(&self) -> &str {
        match &self.status {
            RowStatus::Failed(reason) => reason,
            _ => "",
        }
    }

    pub fn succeeded(&self) -> bool {
        !matches!(self.status, RowStatus::Failed(_))
    }
}

/// Every row's result, in the file's order.
#[derive(Debug)]
pub struct BulkReport {
    pub rows: Vec<RowResult>,
    pub dry_run: bool,
}

impl BulkReport {
    pub fn succeeded(&self) -> usize {
        self.rows.iter().filter(|r| r.succeeded()).count()
    }

    pub fn failed(&self) -> usize {
        self.total() - self.succeeded()
    }

    pub fn total(&self) -> usize {
        self.rows.len()
    }
}

#[derive(Clone, Debug)]
pub struct BulkOptions {
    /// Rows per transaction.
    pub chunk_rows: usize,
    /// Check every row, write nothing.
    pub dry_run: bool,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            chunk_rows: CHUNK_ROWS,
            dry_run: false,
        }
    }
}

/// A row that passed the checks that need no database.
struct Ready {
    index: usize,
    invite: ValidInvite,
}

pub async fn bulk_invite(
    state: &AppState,
    admin: &Admin<'_>,
    rows: &[BulkRow],
    options: &BulkOptions,
) -> ServiceResult<BulkReport> {
    if !any_allows(admin.roles, Permission::BulkInvite) {
        return Err(ServiceError::Denied(
            "Bulk invite needs a Global Administrator or a User Administrator.".into(),
        ));
    }
    crate::services::invitations::ensure_may_invite(state, admin).await?;
    if rows.is_empty() {
        return Err(ServiceError::Refused(
            "The file has no guests to invite: list one per row under the headings.".into(),
        ));
    }
    if rows.len() > MAX_ROWS {
        return Err(ServiceError::Refused(format!(
            "The file has {} rows; one bulk invite takes at most {MAX_ROWS}: split it into several files.",
            rows.len()
        )));
    }
    let (mut statuses, ready, mut cells) = check_rows(admin, rows);
    if options.dry_run {
        check_directory(state, &ready, options.chunk_rows.max(1), &mut statuses).await?;
    } else {
        write::write_all(
            state,
            admin,
            rows.len(),
            ready,
            options.chunk_rows.max(1),
            &mut statuses,
        )
        .await?;
    }
    let rows = rows
        .iter()
        .zip(statuses)
        .zip(cells.iter_mut())
        .map(|((row, status), cells)| {
            let status = status.unwrap_or(RowStatus::Valid);
            if let (RowStatus::Failed(reason), true) = (&status, cells.is_empty()) {
                // Found in the directory, or refused when written.
                cells.push(CellError::new(column_of("email"), reason.clone()));
            }
            RowResult {
                row: row.row,
                email: row.email.trim().to_owned(),
                status,
                errors: std::mem::take(cells),
            }
        })
        .collect();
    Ok(BulkReport {
        rows,
        dry_run: options.dry_run,
    })
}

/// The wizard's rules and duplicates within the file. A repeated address
/// fails from its second row on.
/// Also each failed row's complaints by column.
type Checked = (Vec<Option<RowStatus>>, Vec<Ready>, Vec<Vec<CellError>>);

fn check_rows(admin: &Admin<'_>, rows: &[BulkRow]) -> Checked {
    let may_invite_members = any_allows(admin.roles, Permission::InviteMembersOrAssignments);
    let mut statuses = vec![None; rows.len()];
    let mut cells: Vec<Vec<CellError>> = vec![Vec::new(); rows.len()];
    let mut ready = Vec::with_capacity(rows.len());
    let mut first_row: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let form = InviteForm {
            email: row.email.clone(),
            display_name: row.display_name.clone(),
            send_invite_message: row.send_message.then(|| "on".to_owned()),
            message: row.message.clone(),
            redirect_url: row.redirect_url.clone(),
            ..Default::default()
        };
        match (validate(&form, may_invite_members), &row.error) {
            (Err(errors), error) => {
                // Without a name the name comes from the address, whose
                // own message says what is wrong.
                let derived_name = row.display_name.trim().is_empty();
                let kept = || {
                    errors
                        .0
                        .iter()
                        .filter(|(field, _)| !(derived_name && *field == "display_name"))
                };
                cells[index] = error
                    .iter()
                    .map(|m| CellError::new(crate::services::bulk_template::columns::SEND, m.clone()))
                    .chain(kept().map(|(field, m)| CellError::new(column_of(field), m.clone())))
                    .collect();
                let reason: Vec<&str> = error
                    .iter()
                    .map(String::as_str)
                    .chain(
                        errors
                            .0
                            .iter()
                            .filter(|(field, _)| !(derived_name && *field == "display_name"))
                            .map(|(_, m)| m.as_str()),
                    )
                    .collect();
                statuses[index] = Some(RowStatus::Failed(reason.join(" ")));
            }
            (Ok(_), Some(error)) => {
                cells[index] = vec![CellError::new(
                    crate::services::bulk_template::columns::SEND,
                    error.clone(),
                )];
                statuses[index] = Some(RowStatus::Failed(error.clone()));
            }
            (Ok(invite), None) => match first_row.get(invite.email.normalized()) {
                Some(first) => {
                    let reason = format!("{} is already on row {first} of this file.", invite.email);
                    cells[index] = vec![CellError::new(column_of("email"), reason.clone())];
                    statuses[index] = Some(RowStatus::Failed(reason));
                }
                None => {
                    first_row.insert(invite.email.normalized().to_owned(), row.row);
                    ready.push(Ready { index, invite });
                }
            },
        }
    }
    (statuses, ready, cells)
}

/// The dry run's directory checks, read-only, a chunk at a time.
async fn check_directory(
    state: &AppState,
    ready: &[Ready],
    chunk_rows: usize,
    statuses: &mut [Option<RowStatus>],
) -> ServiceResult<()> {
    let mut conn = state.db.pool().acquire().await?;
    for chunk in ready.chunks(chunk_rows) {
        let rows: Vec<&Ready> = chunk.iter().collect();
        let refused = refusals(&mut conn, &rows).await?;
        for r in chunk {
            statuses[r.index] = Some(match refused.get(&r.index) {
                Some(reason) => RowStatus::Failed(reason.clone()),
                None => RowStatus::Valid,
            });
        }
    }
    Ok(())
}

/// Rows whose address is taken, blocked, or refused by the collaboration
/// restrictions (read again for every chunk, so a change made during a
/// long run holds from the next chunk on), by index, with the reason.
async fn refusals(conn: &mut store::Conn, rows: &[&Ready]) -> ServiceResult<HashMap<usize, String>> {
    let rules = InviteRules::read(conn).await?;
    let addresses: Vec<&str> = rows.iter().map(|r| r.invite.email.normalized()).collect();
    let holders = store::invitations::holders_of_addresses(conn, &addresses).await?;
    let blocked = store::invitations::blocked_among(conn, &addresses).await?;
    let mut refused = HashMap::new();
    for r in rows {
        let email = &r.invite.email;
        if let Some(refusal) = rules.address_refusal(email.as_str()) {
            refused.insert(r.index, refusal);
        } else if let Some((id, deleted)) = holders.get(email.normalized()) {
            refused.insert(r.index, taken_message(email, id, *deleted));
        } else if blocked.contains(email.normalized()) {
            refused.insert(r.index, blocked_message(email));
        }
    }
    Ok(refused)
}

/// Where a bulk invite job's transactions record their rows' results: the
/// job's rows table, guarded by the worker's lease (`store::bulk_jobs`).
pub struct JobLedger<'a> {
    pub job_id: &'a str,
    /// The worker's lease owner id.
    pub owner: &'a str,
    /// How long each recorded transaction extends the lease, in seconds.
    pub lease_secs: i64,
    /// The file's rows, which results are indexes into.
    pub rows: &'a [BulkRow],
}

impl JobLedger<'_> {
    /// Records `results` (by index into the file's rows) in `tx`; false
    /// when the lease is no longer this worker's: roll back then.
    pub(crate) async fn record(
        &self,
        tx: &mut store::Conn,
        results: &[(usize, RowStatus)],
        now: i64,
    ) -> sqlx::Result<bool> {
        let rows: Vec<store::bulk_jobs::JobRow> = results
            .iter()
            .map(|(index, status)| {
                let result = RowResult {
                    row: self.rows[*index].row,
                    email: self.rows[*index].email.trim().to_owned(),
                    status: status.clone(),
                    errors: Vec::new(),
                };
                store::bulk_jobs::JobRow {
                    row_index: *index as i64,
                    row_number: result.row as i64,
                    status: result.status_label().to_owned(),
                    reason: result.reason().to_owned(),
                    email: result.email,
                }
            })
            .collect();
        store::bulk_jobs::record_rows(tx, self.job_id, self.owner, &rows, now + self.lease_secs).await
    }
}

/// How far one call of `write_job` goes.
#[derive(Clone, Debug)]
pub struct JobOptions {
    pub chunk_rows: usize,
    /// Stop after this many chunks, as a worker that dies there would.
    pub max_chunks: Option<usize>,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            chunk_rows: CHUNK_ROWS,
            max_chunks: None,
        }
    }
}

/// Writes the rows of a job that no earlier run recorded (`recorded`, by
/// index), each chunk's results in its transaction. When every row is
/// written, returns the results no transaction recorded yet (rows that
/// failed the checks that need no database), for the transaction that
/// finishes the job; `None` when it stopped after `max_chunks`. The run's
/// brackets in the audit log are the job's (`services::bulk_jobs`).
pub(crate) async fn write_job(
    state: &AppState,
    admin: &Admin<'_>,
    ledger: &JobLedger<'_>,
    recorded: &std::collections::HashSet<usize>,
    options: &JobOptions,
) -> ServiceResult<Option<Vec<(usize, RowStatus)>>> {
    let (mut statuses, mut ready, _) = check_rows(admin, ledger.rows);
    let unrecorded_failures: Vec<(usize, RowStatus)> = statuses
        .iter()
        .enumerate()
        .filter(|(index, _)| !recorded.contains(index))
        .filter_map(|(index, status)| status.clone().map(|s| (index, s)))
        .collect();
    ready.retain(|r| !recorded.contains(&r.index));
    let done = write::write_job_chunks(
        state,
        admin,
        ledger,
        ready,
        options.chunk_rows.max(1),
        options.max_chunks,
        &mut statuses,
    )
    .await?;
    Ok(done.then_some(unrecorded_failures))
}
