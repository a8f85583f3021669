//! The B2B collaboration box: Resend invitation (pending guests), Reset
//! redemption status (accepted guests) and Copy redemption URL. Only the
//! ticket's digest is stored, so each issues a fresh ticket and the older
//! link then says it was replaced by a newer one. Each passes the reach rule
//! (`domain::user_action`): only a Global Administrator re-invites a user
//! who holds a directory role, since a new link signs its holder in as them.

use crate::app::AppState;
use crate::domain::user_action::UserAction;
use crate::domain::{Email, ExternalUserState};
use crate::mail::invitation::InvitationMail;
use crate::security::secret::random_token;
use crate::services::Admin;
use crate::services::users::check_reach;
use crate::services::{FieldErrors, ServiceError, ServiceResult};
use crate::store::audit::AuditEntry;
use crate::store::invitations::{InvitationRow, NewInvitation};
use crate::store::users::User;
use crate::store::{self, Tx};

/// The invited user and their newest invitation, when the admin may do
/// `action` to them.
async fn invited(
    tx: &mut Tx,
    admin: &Admin<'_>,
    action: UserAction,
    user_id: &str,
) -> ServiceResult<(User, InvitationRow)> {
    let user = store::users::find_active(tx, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_reach(tx, admin, action, &user).await?;
    if user.creation_type.as_deref() != Some("Invitation") {
        return Err(ServiceError::Refused(
            "This user was not invited: there is no invitation to work with.".into(),
        ));
    }
    let invitation = store::invitations::latest_for_user(tx, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((user, invitation))
}

/// Replaces the user's pending links with a new invitation and returns its
/// ticket. `redirect_url` is what the new link leads to.
#[allow(clippy::too_many_arguments)]
async fn reissue(
    state: &AppState,
    tx: &mut Tx,
    admin: &Admin<'_>,
    user: &User,
    previous: &InvitationRow,
    to: &str,
    redirect_url: Option<&str>,
    now: i64,
) -> ServiceResult<String> {
    // Every new link is an invitation: the collaboration restrictions hold.
    let rules = crate::services::invitations::InviteRules::read(tx).await?;
    if let Some(refusal) = rules.address_refusal(to) {
        return Err(ServiceError::Refused(refusal));
    }
    store::invitations::replace_pending(tx, &user.id, now).await?;
    let ticket = random_token(32);
    store::invitations::insert(
        tx,
        &NewInvitation {
            id: &uuid::Uuid::new_v4().to_string(),
            user_id: &user.id,
            ticket_digest: &state.secrets.tickets.digest(&ticket),
            invited_email: to,
            redirect_url,
            send_invite_message: previous.send_invite_message != 0,
            message: previous.message.as_deref(),
            cc_recipient: previous.cc_recipient.as_deref(),
            language: &previous.language,
            invited_by: Some(admin.id),
            now,
        },
    )
    .await?;
    Ok(ticket)
}

/// Queues the invitation email again, with the first invitation's message
/// and Cc, for the new ticket.
#[allow(clippy::too_many_arguments)]
async fn queue_again(
    state: &AppState,
    tx: &mut Tx,
    inviter_id: &str,
    user: &User,
    previous: &InvitationRow,
    to: &str,
    ticket: &str,
    now: i64,
) -> ServiceResult<()> {
    let org = store::organization::get(tx).await?.ok_or(ServiceError::NotFound)?;
    // A resend names no message language: the guest's preferred language,
    // else the one the last invitation was sent in, else the organization's.
    let language = crate::services::languages::for_user(tx, &user.id, &org).await?;
    let mail = InvitationMail {
        inviter_id,
        user_id: &user.id,
        to,
        invitee_name: &user.display_name,
        message: previous.message.as_deref(),
        cc: previous.cc_recipient.as_deref(),
        ticket,
        language: Some(language),
    };
    Ok(crate::mail::invitation::queue(tx, &state.mail_context(), &org, &mail, now).await?)
}

async fn audit(
    tx: &mut Tx,
    admin: &Admin<'_>,
    activity: &str,
    user: &User,
    details: &str,
    now: i64,
) -> sqlx::Result<()> {
    store::audit::record(
        tx,
        &admin.actor,
        &AuditEntry {
            activity,
            category: "UserManagement",
            target_id: Some(&user.id),
            target_name: Some(&user.user_principal_name),
            details: Some(details.to_owned()),
        },
        now,
    )
    .await
}

/// Claims the form's one-time key; false when this form already acted.
async fn first_submit(tx: &mut Tx, form_key: &str, now: i64) -> sqlx::Result<bool> {
    if form_key.is_empty() {
        return Ok(true);
    }
    store::invitations::claim_form_key(tx, form_key, now).await
}

/// Resend invitation: pending guests only; a new email with the same
/// message and Cc, leading to My Apps (a link that led to one app now
/// leads to My Apps, as in Entra).
pub async fn resend(state: &AppState, admin: &Admin<'_>, user_id: &str, form_key: &str) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !first_submit(&mut tx, form_key, now).await? {
        return Ok(());
    }
    let (user, previous) = invited(&mut tx, admin, UserAction::ResendInvitation, user_id).await?;
    // Counted after the form key and the reach rule, so neither a double
    // submit nor a refused attempt uses up a turn.
    if state.limits.resend_per_user.check(user_id).await.is_err() {
        return Err(ServiceError::Refused(
            "This invitation was just resent. Wait a minute before sending it again.".into(),
        ));
    }
    if user.external_user_state != Some(ExternalUserState::PendingAcceptance) {
        return Err(ServiceError::Refused(
            "The guest has already accepted: use Reset redemption status instead.".into(),
        ));
    }
    let to = user.mail.clone().unwrap_or(previous.invited_email.clone());
    let ticket = reissue(state, &mut tx, admin, &user, &previous, &to, None, now).await?;
    queue_again(state, &mut tx, admin.id, &user, &previous, &to, &ticket, now).await?;
    audit(
        &mut tx,
        admin,
        "Invite external user",
        &user,
        "Resend invitation: the earlier link was replaced",
        now,
    )
    .await?;
    tx.commit().await?;
    state.wake_mail();
    Ok(())
}

/// Reset redemption status: an accepted guest goes back to Pending
/// acceptance with a new ticket (optionally at a new address), keeping the
/// same user, groups and app assignments.
pub async fn reset_redemption(
    state: &AppState,
    admin: &Admin<'_>,
    user_id: &str,
    new_email: &str,
    form_key: &str,
) -> ServiceResult<()> {
    reset_redemption_with(state, admin, user_id, new_email, form_key, true)
        .await
        .map(|_| ())
}

/// Reset redemption status, with or without the email (the API's
/// `sendInvitationMessage`); the new ticket, None for a repeated form.
pub async fn reset_redemption_with(
    state: &AppState,
    admin: &Admin<'_>,
    user_id: &str,
    new_email: &str,
    form_key: &str,
    send_email: bool,
) -> ServiceResult<Option<String>> {
    let new_email = match new_email.trim() {
        "" => None,
        text => Some(Email::parse(text).map_err(|e| {
            let mut errors = FieldErrors::default();
            errors.add("email", e);
            ServiceError::Invalid(errors)
        })?),
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !first_submit(&mut tx, form_key, now).await? {
        return Ok(None);
    }
    let (user, previous) = invited(&mut tx, admin, UserAction::ResetRedemption, user_id).await?;
    if user.external_user_state != Some(ExternalUserState::Accepted) {
        return Err(ServiceError::Refused(
            "The guest has not accepted yet: use Resend invitation instead.".into(),
        ));
    }
    if let Some(email) = &new_email {
        let taken = store::invitations::holder_of_address(&mut tx, email.normalized()).await?;
        if taken.is_some_and(|(id, _)| id != user.id) {
            let mut errors = FieldErrors::default();
            errors.add("email", format!("{email} is already in the directory."));
            return Err(ServiceError::Invalid(errors));
        }
        if store::invitations::is_blocked(&mut tx, email.normalized()).await? {
            let mut errors = FieldErrors::default();
            errors.add(
                "email",
                format!("{email} has asked not to receive invitations from this organization."),
            );
            return Err(ServiceError::Invalid(errors));
        }
    }
    let to = match &new_email {
        Some(email) => email.as_str().to_owned(),
        None => user.mail.clone().unwrap_or(previous.invited_email.clone()),
    };
    match store::users::reset_to_pending(&mut tx, &user.id, new_email.as_ref(), now).await {
        Err(e) if store::is_unique_violation(&e) => {
            let mut errors = FieldErrors::default();
            errors.add("email", format!("{to} is already in the directory."));
            return Err(ServiceError::Invalid(errors));
        }
        other => other?,
    }
    store::consents::clear(&mut tx, &user.id).await?;
    // The guest proves the address again, and may link another account.
    store::identity_providers::unlink_user(&mut tx, &user.id).await?;
    store::invitations::replace_all(&mut tx, &user.id, now).await?;
    crate::services::groups::refresh_user(&mut tx, &user.id, now).await?;
    let ticket = reissue(
        state,
        &mut tx,
        admin,
        &user,
        &previous,
        &to,
        previous.redirect_url.as_deref(),
        now,
    )
    .await?;
    if send_email {
        queue_again(state, &mut tx, admin.id, &user, &previous, &to, &ticket, now).await?;
    }
    let details = match &new_email {
        Some(email) => format!("New address: {email}"),
        None => "Same address".to_owned(),
    };
    audit(
        &mut tx,
        admin,
        "Invite external user with reset invitation status",
        &user,
        &details,
        now,
    )
    .await?;
    tx.commit().await?;
    state.wake_mail();
    Ok(Some(ticket))
}

/// The API's invitation of an address that is already a pending guest:
/// a new ticket (Entra's way to resend through the API), emailed or only
/// returned to the caller, audited as Resend invitation or as Copy
/// redemption URL.
pub async fn reinvite_pending(
    state: &AppState,
    admin: &Admin<'_>,
    user_id: &str,
    send_email: bool,
) -> ServiceResult<String> {
    let action = if send_email {
        UserAction::ResendInvitation
    } else {
        UserAction::CopyRedemptionUrl
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (user, previous) = invited(&mut tx, admin, action, user_id).await?;
    if user.external_user_state != Some(ExternalUserState::PendingAcceptance) {
        return Err(ServiceError::Refused(
            "The guest has already accepted: reset their redemption status instead.".into(),
        ));
    }
    if send_email && state.limits.resend_per_user.check(user_id).await.is_err() {
        return Err(ServiceError::Refused(
            "This invitation was just resent. Wait a minute before sending it again.".into(),
        ));
    }
    let to = user.mail.clone().unwrap_or(previous.invited_email.clone());
    let ticket = reissue(state, &mut tx, admin, &user, &previous, &to, None, now).await?;
    if send_email {
        queue_again(state, &mut tx, admin.id, &user, &previous, &to, &ticket, now).await?;
        audit(
            &mut tx,
            admin,
            "Invite external user",
            &user,
            "Resend invitation: the earlier link was replaced",
            now,
        )
        .await?;
    } else {
        audit(
            &mut tx,
            admin,
            "Copy redemption URL",
            &user,
            "A new link was returned to the application; the earlier link was replaced",
            now,
        )
        .await?;
    }
    tx.commit().await?;
    state.wake_mail();
    Ok(ticket)
}

/// Copy redemption URL: a fresh link shown once to the admin; the emailed
/// link stops working. Pending guests only.
pub async fn copy_redemption_url(state: &AppState, admin: &Admin<'_>, user_id: &str) -> ServiceResult<String> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (user, previous) = invited(&mut tx, admin, UserAction::CopyRedemptionUrl, user_id).await?;
    if user.external_user_state != Some(ExternalUserState::PendingAcceptance) {
        return Err(ServiceError::Refused(
            "The guest has already accepted: there is no redemption link to copy.".into(),
        ));
    }
    let to = user.mail.clone().unwrap_or(previous.invited_email.clone());
    let ticket = reissue(
        state,
        &mut tx,
        admin,
        &user,
        &previous,
        &to,
        previous.redirect_url.as_deref(),
        now,
    )
    .await?;
    audit(
        &mut tx,
        admin,
        "Copy redemption URL",
        &user,
        "A new link was shown; the emailed link was replaced",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(format!("{}/redeem?ticket={ticket}", state.public_url))
}
