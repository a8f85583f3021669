//! The guest's side: opening the link (never a change), proving the
//! invited address with a one-time passcode, accepting on Review
//! permissions, signing in later with a code, and leaving.

use crate::app::AppState;
use crate::domain::UserType;
use crate::domain::redirect::RedirectUrl;
use crate::security::secret::{constant_time_eq, random_below};
use crate::services::{ServiceError, ServiceResult};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::codes::{NewCode, Purpose};
use crate::store::invitations::TicketRow;
use crate::store::organization::Organization;
use crate::store::users::User;
use crate::store::{self, Conn, Tx};

/// How long a one-time passcode works.
pub const CODE_LIFETIME_SECS: i64 = 30 * 60;
/// Attempts allowed on one code, the right one included: after four
/// wrong ones the fifth attempt is the last.
pub const CODE_MAX_ATTEMPTS: i64 = 5;

/// What a redemption link leads to.
pub enum Ticket {
    /// Unknown, or its user was deleted: one answer for both.
    Invalid,
    /// A newer link replaced this one.
    Replaced,
    /// Already accepted: sign in instead.
    Accepted,
    /// Still pending, but the collaboration restrictions no longer admit
    /// the invited address's domain: nothing may change.
    DomainClosed {
        domain: String,
    },
    Pending(Box<TicketRow>),
}

/// Looks the ticket up by its digest. Reads only.
pub async fn look_up(state: &AppState, ticket: &str) -> ServiceResult<Ticket> {
    if ticket.is_empty() || ticket.len() > 200 {
        return Ok(Ticket::Invalid);
    }
    let digest = state.secrets.tickets.digest(ticket);
    let mut conn = state.db.pool().acquire().await?;
    let row = store::invitations::find_by_digest(&mut conn, &digest).await?;
    admit_domain(&mut conn, classify(row)).await
}

/// The same, by invitation id (kept in the session between steps).
pub async fn look_up_id(state: &AppState, id: &str) -> ServiceResult<Ticket> {
    let mut conn = state.db.pool().acquire().await?;
    let row = store::invitations::find(&mut conn, id).await?;
    admit_domain(&mut conn, classify(row)).await
}

/// A pending ticket whose address the collaboration restrictions no
/// longer admit becomes `DomainClosed`. Read from the database, not the
/// organization cache, so a new restriction holds at once.
async fn admit_domain(conn: &mut Conn, ticket: Ticket) -> ServiceResult<Ticket> {
    let Ticket::Pending(row) = ticket else {
        return Ok(ticket);
    };
    let org = store::organization::get(conn).await?.ok_or(ServiceError::NotFound)?;
    Ok(match closed_domain(&org, &row.invited_email) {
        Some(domain) => Ticket::DomainClosed { domain },
        None => Ticket::Pending(row),
    })
}

/// The invited address's domain when the collaboration restrictions do not
/// admit it.
fn closed_domain(org: &Organization, invited_email: &str) -> Option<String> {
    let domain = invited_email
        .rsplit_once('@')
        .map_or("", |(_, d)| d)
        .to_ascii_lowercase();
    (!org.domain_policy().admits(&domain)).then_some(domain)
}

/// What the guest reads when their domain is no longer accepted.
pub fn domain_closed_message(org_name: &str, domain: &str) -> String {
    format!(
        "{org_name} no longer accepts guests from {domain}, so this invitation can't be accepted. Nothing was changed. Contact the person who invited you."
    )
}

fn classify(row: Option<TicketRow>) -> Ticket {
    match row {
        None => Ticket::Invalid,
        Some(r) if r.user_deleted_at.is_some() => Ticket::Invalid,
        Some(r) if r.status == "replaced" => Ticket::Replaced,
        Some(r) if r.status == "redeemed" || r.user_state.as_deref() == Some("Accepted") => Ticket::Accepted,
        Some(r) => Ticket::Pending(Box::new(r)),
    }
}

/// Makes a code for the address, stores its digest and queues the email
/// ahead of bulk mail.
pub async fn send_code(state: &AppState, purpose: Purpose, address: &str, user_id: &str) -> ServiceResult<()> {
    let mut tx = state.db.begin().await?;
    write_code(state, &mut tx, purpose, address, user_id).await?;
    tx.commit().await?;
    state.wake_mail();
    Ok(())
}

/// `send_code` inside the caller's transaction; wake the mail worker
/// after the commit.
pub(crate) async fn write_code(
    state: &AppState,
    tx: &mut Tx,
    purpose: Purpose,
    address: &str,
    user_id: &str,
) -> ServiceResult<()> {
    let org = crate::services::organization::current(state).await?;
    let code = format!("{:08}", random_below(100_000_000));
    let now = state.clock.now();
    let lower = address.trim().to_lowercase();
    store::codes::insert(
        tx,
        &NewCode {
            purpose,
            address_lower: &lower,
            user_id: Some(user_id),
            code_digest: &state.secrets.codes.digest(&code),
            now,
            expires_at: now + CODE_LIFETIME_SECS,
        },
    )
    .await?;
    let language = crate::services::languages::for_user(tx, user_id, &org).await?;
    let mail = crate::mail::code::compose(&state.mail_context(), &org, address, user_id, &code, language)?;
    crate::mail::queue(tx, &mail, now).await?;
    Ok(())
}

/// What checking a code found.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right: the code is used up; the user it was for.
    Right(String),
    Wrong,
    /// Too many wrong attempts, expired, or never sent: a new code is needed.
    NeedNew,
}

/// Checks a code. Every check counts as an attempt before the code is
/// compared, in the statement that finds the code, so at most
/// `CODE_MAX_ATTEMPTS` guesses are ever compared with one code, however
/// many arrive at once.
pub async fn check_code(state: &AppState, purpose: Purpose, address: &str, code: &str) -> ServiceResult<CodeCheck> {
    let lower = address.trim().to_lowercase();
    let now = state.clock.now();
    let given: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let mut tx = state.db.begin().await?;
    let Some(row) = store::codes::count_attempt(&mut tx, purpose, &lower, now, CODE_MAX_ATTEMPTS).await? else {
        return Ok(CodeCheck::NeedNew);
    };
    let right = given.len() <= 16 && constant_time_eq(&state.secrets.codes.digest(&given), &row.code_digest);
    if !right {
        tx.commit().await?;
        return Ok(if row.attempts >= CODE_MAX_ATTEMPTS {
            CodeCheck::NeedNew
        } else {
            CodeCheck::Wrong
        });
    }
    if !store::codes::mark_used(&mut tx, &row.id, now).await? {
        return Ok(CodeCheck::NeedNew);
    }
    tx.commit().await?;
    Ok(row.user_id.map(CodeCheck::Right).unwrap_or(CodeCheck::NeedNew))
}

/// A live guest who signs in with codes, by address.
pub(crate) async fn guest_by_address(conn: &mut Conn, address: &str) -> ServiceResult<Option<User>> {
    let user = store::users::find_by_sign_in_name(conn, address).await?;
    Ok(user.filter(|u| u.account_enabled && u.creation_type.as_deref() == Some("Invitation")))
}

/// Whether the guest must (again) accept on Review permissions: never
/// accepted, or the terms of use changed since.
pub async fn consent_needed(state: &AppState, user: &User, org: &Organization) -> ServiceResult<bool> {
    if user.external_user_state != Some(crate::domain::ExternalUserState::Accepted) {
        return Ok(true);
    }
    let mut conn = state.db.pool().acquire().await?;
    let version = store::consents::latest_terms_version(&mut conn, &user.id).await?;
    Ok(match version {
        None => true,
        Some(v) => org.terms_of_use.is_some() && v < org.terms_version,
    })
}

/// Accept on Review permissions: one transaction sets Accepted and its
/// time, records the consent and writes the audit entry. Returns the user
/// (with their current epoch) and where to go next.
pub async fn accept(
    state: &AppState,
    user_id: &str,
    invitation_id: Option<&str>,
    client_ip: Option<String>,
) -> ServiceResult<(User, Option<RedirectUrl>)> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let org = store::organization::get(&mut tx).await?.ok_or(ServiceError::NotFound)?;
    let user = store::users::find_active(&mut tx, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !user.account_enabled {
        return Err(ServiceError::NotFound);
    }
    let pending = user.external_user_state == Some(crate::domain::ExternalUserState::PendingAcceptance);
    let mut redirect = None;
    if pending {
        let Some(invitation_id) = invitation_id else {
            return Err(ServiceError::Refused(
                "This invitation can no longer be accepted.".into(),
            ));
        };
        let row = store::invitations::find(&mut tx, invitation_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        // Collaboration restrictions hold at redemption too, for pending guests.
        if let Some(domain) = closed_domain(&org, &row.invited_email) {
            return Err(ServiceError::Denied(domain_closed_message(&org.name, &domain)));
        }
        if row.user_id != user.id || !store::invitations::mark_redeemed(&mut tx, invitation_id, now).await? {
            return Err(ServiceError::Refused(
                "This invitation link was replaced or used already.".into(),
            ));
        }
        store::users::mark_accepted(&mut tx, &user.id, now).await?;
        crate::services::groups::refresh_user(&mut tx, &user.id, now).await?;
        // Checked again here, not only when the invitation was made.
        redirect = row.redirect_url.as_deref().and_then(|u| RedirectUrl::parse(u).ok());
    }
    store::consents::record(&mut tx, &user.id, org.terms_version, now).await?;
    let actor = Actor {
        id: Some(user.id.clone()),
        name: Some(user.user_principal_name.clone()),
        client_ip,
    };
    store::audit::record(
        &mut tx,
        &actor,
        &AuditEntry {
            activity: if pending {
                "Redeem external user invite"
            } else {
                "Consent to terms of use"
            },
            category: "UserManagement",
            target_id: Some(&user.id),
            target_name: Some(&user.user_principal_name),
            details: Some(format!("termsVersion={}", org.terms_version)),
        },
        now,
    )
    .await?;
    let user = store::users::find_active(&mut tx, &user.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok((user, redirect))
}

/// Leave organization: the guest deletes themselves (softly, restorable by
/// an admin), which ends every session of theirs.
pub async fn leave(state: &AppState, user: &User, client_ip: Option<String>) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let org = store::organization::get(&mut tx).await?.ok_or(ServiceError::NotFound)?;
    if !org.lets_guests_leave() || user.user_type != UserType::Guest {
        return Err(ServiceError::Denied(
            "Leaving is not available here: ask an administrator.".into(),
        ));
    }
    if !store::users::soft_delete(&mut tx, &user.id, now).await? {
        return Err(ServiceError::NotFound);
    }
    let actor = Actor {
        id: Some(user.id.clone()),
        name: Some(user.user_principal_name.clone()),
        client_ip,
    };
    store::audit::record(
        &mut tx,
        &actor,
        &AuditEntry {
            activity: "Leave organization",
            category: "UserManagement",
            target_id: Some(&user.id),
            target_name: Some(&user.user_principal_name),
            details: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
