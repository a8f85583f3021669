//! Writing a bulk invite: chunks prepared on the blocking pool (ids,
//! ticket digests, composed emails) while the previous chunk is written,
//! each chunk in one transaction with one multi-row INSERT per table.

use std::ops::Range;
use std::sync::Arc;

use super::{JobLedger, Ready, RowStatus, refusals};
use crate::app::AppState;
use crate::mail::invitation::{InvitationMail, InvitationSender};
use crate::security::secret::{DigestKey, random_token};
use crate::services::Admin;
use crate::services::groups::DynamicRules;
use crate::services::invitations::{ValidInvite, guest_upn};
use crate::services::{ServiceError, ServiceResult};
use crate::store::audit::AuditEntry;
use crate::store::invitations::NewInvitation;
use crate::store::outbox::OutgoingMail;
use crate::store::users::NewUser;
use crate::store::{self, Tx};

/// What every chunk of one run shares.
struct Run<'a, 'b> {
    state: &'a AppState,
    admin: &'a Admin<'b>,
    /// A job's: records each transaction's results in it.
    ledger: Option<&'a JobLedger<'a>>,
}

pub(super) async fn write_all(
    state: &AppState,
    admin: &Admin<'_>,
    total: usize,
    ready: Vec<Ready>,
    chunk_rows: usize,
    statuses: &mut [Option<RowStatus>],
) -> ServiceResult<()> {
    let run = Run {
        state,
        admin,
        ledger: None,
    };
    let sender = load_sender(state, admin).await?;
    let checkpoint = record_bracket(
        &run,
        "Bulk invite users - started (bulk)",
        format!("total={total}"),
        Some(BULK_CHECKPOINT_PAGES),
    )
    .await?;
    let outcome = write_chunks(&run, sender, ready, chunk_rows, None, statuses)
        .await
        .map(drop);
    let succeeded = statuses
        .iter()
        .filter(|s| matches!(s, Some(RowStatus::Invited { .. })))
        .count();
    let failed = statuses
        .iter()
        .filter(|s| matches!(s, Some(RowStatus::Failed(_))))
        .count();
    let mut details = format!("succeeded={succeeded}; failed={failed}; total={total}");
    if outcome.is_err() {
        details.push_str("; stopped by a store error");
    }
    let finished = record_bracket(&run, "Bulk invite users - finished (bulk)", details, checkpoint).await;
    outcome?;
    finished.map(drop)
}

/// Writes a job's ready rows, a chunk per transaction, each chunk's
/// results recorded by `ledger` in its transaction; at most `max_chunks`
/// chunks. True when every row was written.
pub(super) async fn write_job_chunks(
    state: &AppState,
    admin: &Admin<'_>,
    ledger: &JobLedger<'_>,
    ready: Vec<Ready>,
    chunk_rows: usize,
    max_chunks: Option<usize>,
    statuses: &mut [Option<RowStatus>],
) -> ServiceResult<bool> {
    let run = Run {
        state,
        admin,
        ledger: Some(ledger),
    };
    let sender = load_sender(state, admin).await?;
    write_chunks(&run, sender, ready, chunk_rows, max_chunks, statuses).await
}

/// The organization's primary domain and the inviter's invitation sender.
async fn load_sender(state: &AppState, admin: &Admin<'_>) -> ServiceResult<(String, InvitationSender)> {
    let mut conn = state.db.pool().acquire().await?;
    let org = store::organization::get(&mut conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let sender = InvitationSender::load(&mut conn, &state.mail_context(), &org, admin.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((org.primary_domain, sender))
}

/// The chunks of `ready`, in order; true when all were written.
async fn write_chunks(
    run: &Run<'_, '_>,
    (org_domain, sender): (String, InvitationSender),
    ready: Vec<Ready>,
    chunk_rows: usize,
    max_chunks: Option<usize>,
    statuses: &mut [Option<RowStatus>],
) -> ServiceResult<bool> {
    let (state, admin) = (run.state, run.admin);
    let preparer = Preparer {
        ready: Arc::new(ready),
        sender: Arc::new(sender),
        org_domain: Arc::from(org_domain.as_str()),
        inviter_id: Arc::from(admin.id),
        tickets: state.secrets.tickets.clone(),
    };
    let mut chunks: Vec<Range<usize>> = (0..preparer.ready.len())
        .step_by(chunk_rows)
        .map(|start| start..(start + chunk_rows).min(preparer.ready.len()))
        .collect();
    let all = chunks.len();
    if let Some(max) = max_chunks {
        chunks.truncate(max);
    }
    let mut rules = DynamicRules::default();
    // The next chunk's emails are composed while this chunk is written.
    let mut next = chunks.first().map(|r| preparer.spawn(r.clone()));
    for i in 0..chunks.len() {
        let Some(pending) = next.take() else { break };
        let prepared = match pending.await {
            Ok(prepared) => prepared,
            Err(e) => Err(ServiceError::Internal(e.into())),
        };
        next = chunks.get(i + 1).map(|r| preparer.spawn(r.clone()));
        for (index, status) in commit_chunk(run, &mut rules, &preparer, prepared?).await? {
            statuses[index] = Some(status);
        }
    }
    Ok(chunks.len() == all)
}

/// Pages of SQLite's write-ahead log between checkpoints while a bulk
/// invite writes (about 40 MB, where SQLite's default is 4 MB): a chunk
/// rewrites index pages all over the users and audit indexes, and copying
/// them back after every chunk cost a tenth of the run.
const BULK_CHECKPOINT_PAGES: i64 = 10_000;

/// Writes the audit entry that starts or finishes the run, and sets the
/// writer's checkpoint interval to `checkpoint_pages` (SQLite), returning
/// the one it replaced.
async fn record_bracket(
    run: &Run<'_, '_>,
    activity: &str,
    details: String,
    checkpoint_pages: Option<i64>,
) -> ServiceResult<Option<i64>> {
    let mut tx = run.state.db.begin().await?;
    let previous = match checkpoint_pages {
        Some(pages) => store::bulk::wal_autocheckpoint(&mut tx, pages).await?,
        None => None,
    };
    let entry = AuditEntry {
        activity,
        category: "UserManagement",
        target_id: None,
        target_name: None,
        details: Some(details),
    };
    store::audit::record(&mut tx, &run.admin.actor, &entry, run.state.clock.now()).await?;
    tx.commit().await?;
    Ok(previous)
}

/// One guest's rows, made before the transaction that writes them: ids,
/// the ticket's digest (the ticket itself only ever goes into the email)
/// and the composed emails.
struct Prepared {
    /// Into the run's ready rows.
    ready: usize,
    user_id: String,
    upn: String,
    invitation_id: String,
    ticket_digest: String,
    mails: Vec<OutgoingMail>,
}

/// Prepares chunks on the blocking pool: composing an email (templates,
/// MIME encoding) costs as much as writing its rows, and the two overlap.
#[derive(Clone)]
struct Preparer {
    ready: Arc<Vec<Ready>>,
    sender: Arc<InvitationSender>,
    org_domain: Arc<str>,
    inviter_id: Arc<str>,
    tickets: DigestKey,
}

impl Preparer {
    fn spawn(&self, range: Range<usize>) -> tokio::task::JoinHandle<ServiceResult<Vec<Prepared>>> {
        let preparer = self.clone();
        tokio::task::spawn_blocking(move || range.map(|index| preparer.prepare(index)).collect())
    }

    fn prepare(&self, index: usize) -> ServiceResult<Prepared> {
        let invite = &self.ready[index].invite;
        // Time-ordered ids: the new rows go to the end of the id indexes
        // instead of rewriting pages all over them.
        let user_id = uuid::Uuid::now_v7().to_string();
        let ticket = random_token(32);
        let mails = self.sender.compose(&InvitationMail {
            inviter_id: &self.inviter_id,
            user_id: &user_id,
            to: invite.email.as_str(),
            invitee_name: invite.display_name.as_str(),
            message: invite.message.as_deref(),
            cc: invite.cc.as_ref().map(|c| c.as_str()),
            ticket: &ticket,
            language: invite.language,
        })?;
        Ok(Prepared {
            ready: index,
            upn: guest_upn(&invite.email, &self.org_domain),
            invitation_id: uuid::Uuid::now_v7().to_string(),
            ticket_digest: self.tickets.digest(&ticket),
            user_id,
            mails,
        })
    }
}

/// Writes a chunk in one transaction; if a unique index refuses a row,
/// prepares its rows again (the emails went into the failed statement) and
/// writes them one transaction each.
async fn commit_chunk(
    run: &Run<'_, '_>,
    rules: &mut DynamicRules,
    preparer: &Preparer,
    mut chunk: Vec<Prepared>,
) -> ServiceResult<Vec<(usize, RowStatus)>> {
    let ready = &preparer.ready;
    if let Some(results) = commit_rows(run, rules, ready, &mut chunk).await? {
        return Ok(results);
    }
    let mut results = Vec::with_capacity(chunk.len());
    for index in chunk.iter().map(|p| p.ready) {
        let mut one = [preparer.prepare(index)?];
        match commit_rows(run, rules, ready, &mut one).await? {
            Some(written) => results.extend(written),
            None => {
                let failed = (
                    ready[index].index,
                    RowStatus::Failed(format!("{} is already in the directory.", ready[index].invite.email)),
                );
                if let Some(ledger) = run.ledger {
                    record_alone(run.state, ledger, std::slice::from_ref(&failed)).await?;
                }
                results.push(failed);
            }
        }
    }
    Ok(results)
}

/// Why a job's worker stopped: another worker holds the job now.
pub(crate) const LEASE_LOST: &str = "Another worker took over the bulk invite job.";

/// Records results that no invitation goes with, in a transaction of
/// their own.
async fn record_alone(state: &AppState, ledger: &JobLedger<'_>, results: &[(usize, RowStatus)]) -> ServiceResult<()> {
    let mut tx = state.db.begin().await?;
    if !ledger.record(&mut tx, results, state.clock.now()).await? {
        tx.rollback().await?;
        return Err(ServiceError::Refused(LEASE_LOST.into()));
    }
    tx.commit().await?;
    Ok(())
}

/// `None` when a unique index refused a row: nothing was written.
async fn commit_rows(
    run: &Run<'_, '_>,
    rules: &mut DynamicRules,
    ready: &[Ready],
    rows: &mut [Prepared],
) -> ServiceResult<Option<Vec<(usize, RowStatus)>>> {
    let state = run.state;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    match write_rows(run, &mut tx, rules, ready, rows, now).await {
        Ok(results) => {
            if let Some(ledger) = run.ledger
                && !ledger.record(&mut tx, &results, now).await?
            {
                tx.rollback().await?;
                return Err(ServiceError::Refused(LEASE_LOST.into()));
            }
            tx.commit().await?;
            state.wake_mail();
            Ok(Some(results))
        }
        Err(ServiceError::Store(e)) if store::is_unique_violation(&e) => {
            tx.rollback().await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Checks the chunk's addresses against the directory once more, now that
/// the transaction holds them, and writes the rows of the others.
async fn write_rows(
    run: &Run<'_, '_>,
    tx: &mut Tx,
    rules: &mut DynamicRules,
    ready: &[Ready],
    rows: &mut [Prepared],
    now: i64,
) -> ServiceResult<Vec<(usize, RowStatus)>> {
    let admin = run.admin;
    let chunk: Vec<&Ready> = rows.iter().map(|p| &ready[p.ready]).collect();
    let refused = refusals(tx, &chunk).await?;
    rules.refresh(tx).await?;
    // The emails are moved into their statement, not copied.
    let mails: Vec<_> = rows
        .iter_mut()
        .filter(|p| !refused.contains_key(&ready[p.ready].index))
        .flat_map(|p| std::mem::take(&mut p.mails))
        .collect();
    let mut results = Vec::with_capacity(rows.len());
    let mut written: Vec<(&Prepared, &ValidInvite)> = Vec::with_capacity(rows.len());
    for p in rows.iter() {
        let r = &ready[p.ready];
        match refused.get(&r.index) {
            Some(reason) => results.push((r.index, RowStatus::Failed(reason.clone()))),
            None => {
                results.push((
                    r.index,
                    RowStatus::Invited {
                        user_id: p.user_id.clone(),
                    },
                ));
                written.push((p, &r.invite));
            }
        }
    }
    let users: Vec<NewUser<'_>> = written
        .iter()
        .map(|(p, invite)| invite.guest_row(&p.user_id, &p.upn, admin.id, now))
        .collect();
    store::users::insert_many(tx, &users).await?;
    if !rules.is_empty() {
        let mut members: Vec<(String, &str)> = Vec::new();
        for (p, invite) in &written {
            let subject = invite.rule_subject(&p.user_id, &p.upn);
            members.extend(rules.matching(&subject).map(|g| (g.to_owned(), p.user_id.as_str())));
        }
        let members: Vec<(&str, &str)> = members.iter().map(|(g, u)| (g.as_str(), *u)).collect();
        store::groups::add_members_many(tx, &members, now).await?;
    }
    let invitations: Vec<NewInvitation<'_>> = written
        .iter()
        .map(|(p, invite)| invite.invitation_row(&p.invitation_id, &p.user_id, &p.ticket_digest, admin.id, now))
        .collect();
    store::invitations::insert_many(tx, &invitations).await?;
    crate::mail::queue_all(tx, mails, now).await?;
    let details: Vec<String> = written
        .iter()
        .map(|(_, invite)| format!("userType={}", invite.user_type.as_str()))
        .collect();
    let mut audit = Vec::with_capacity(written.len() * 2);
    for ((p, invite), details) in written.iter().zip(&details) {
        for activity in ["Add user", "Invite external user"] {
            audit.push(AuditEntry {
                activity,
                category: "UserManagement",
                target_id: Some(&p.user_id),
                target_name: Some(invite.email.as_str()),
                details: Some(details.clone()),
            });
        }
    }
    store::audit::record_many(tx, &admin.actor, &audit, now).await?;
    Ok(results)
}
