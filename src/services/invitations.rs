//! Invite external user: one transaction writes the guest, the invitation
//! (only its ticket's HMAC), the invitation email and its Cc copy in the
//! outbox, and the audit entries. The email is always sent; "Send invite
//! message" only adds the personal message and the Cc recipient.

use crate::app::AppState;
use crate::domain::collaboration_restrictions::DomainPolicy;
use crate::domain::invite_level::{InviteLevel, Inviter};
use crate::domain::{Email, Permission, role::any_allows};
use crate::mail::invitation::InvitationMail;
use crate::security::secret::random_token;
use crate::services::Admin;
use crate::services::{FieldErrors, ServiceError, ServiceResult};
use crate::store::audit::AuditEntry;
use crate::store::invitations::NewInvitation;
use crate::store::{self, Conn, Tx};

pub use crate::services::invite_form::{
    InviteForm, MAX_ASSIGNMENTS, MAX_MESSAGE_CHARS, ValidInvite, guest_upn, validate,
};

/// The outcome of Invite: the user, and whether this submit was a repeat.
pub struct Invited {
    pub user_id: String,
    pub repeated: bool,
}

pub async fn invite(state: &AppState, admin: &Admin<'_>, form: &InviteForm) -> ServiceResult<Invited> {
    invite_with(state, admin, form, Delivery::Email)
        .await
        .map(|(invited, _)| invited)
}

/// How the invitation reaches the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The invitation email, as the portal always sends it.
    Email,
    /// No email: the caller hands the redemption link on itself (the API's
    /// `sendInvitationMessage: false`). Audited as Copy redemption URL.
    LinkOnly,
}

/// Invite, returning the new ticket too (None for a repeated form): the
/// API answers it as `inviteRedeemUrl`.
pub async fn invite_with(
    state: &AppState,
    admin: &Admin<'_>,
    form: &InviteForm,
    delivery: Delivery,
) -> ServiceResult<(Invited, Option<String>)> {
    if !any_allows(admin.roles, Permission::InviteGuests) {
        return Err(ServiceError::Denied("Your role cannot invite users.".into()));
    }
    let invite = validate(form, any_allows(admin.roles, Permission::InviteMembersOrAssignments))
        .map_err(ServiceError::Invalid)?;
    write_guest(state, admin, Inviter::Roles(admin.roles), form, &invite, delivery).await
}

/// Invite a guest, for a member or a guest whom the guest invite settings
/// admit (`inviter` says which): only the address, the display name and a
/// personal message; a guest, with no assignments. The same email and
/// rules as the wizard, audited with the inviter.
pub async fn invite_as_user(
    state: &AppState,
    user: &Admin<'_>,
    inviter: Inviter<'_>,
    form: &InviteForm,
) -> ServiceResult<Invited> {
    let form = InviteForm {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        send_invite_message: (!form.message.trim().is_empty()).then(|| "on".to_owned()),
        message: form.message.clone(),
        form_key: form.form_key.clone(),
        ..InviteForm::default()
    };
    let invite = validate(&form, false).map_err(ServiceError::Invalid)?;
    write_guest(state, user, inviter, &form, &invite, Delivery::Email)
        .await
        .map(|(invited, _)| invited)
}

/// Writes one guest after the form passed: the invite rules first, inside
/// the transaction, then everything Invite writes.
async fn write_guest(
    state: &AppState,
    admin: &Admin<'_>,
    inviter: Inviter<'_>,
    form: &InviteForm,
    invite: &ValidInvite,
    delivery: Delivery,
) -> ServiceResult<(Invited, Option<String>)> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let rules = InviteRules::read(&mut tx).await?;
    rules.admit_inviter(inviter)?;
    if let Some(refusal) = rules.address_refusal(invite.email.as_str()) {
        let mut errors = FieldErrors::default();
        errors.add("email", refusal);
        return Err(ServiceError::Invalid(errors));
    }
    if !form.form_key.is_empty() && !store::invitations::claim_form_key(&mut tx, &form.form_key, now).await? {
        let existing = store::invitations::holder_of_address(&mut tx, invite.email.normalized()).await?;
        return match existing {
            Some((user_id, _)) => Ok((
                Invited {
                    user_id,
                    repeated: true,
                },
                None,
            )),
            None => Err(ServiceError::Refused("This form was already submitted.".into())),
        };
    }
    if let Err(errors) = address_is_free(&mut tx, &invite.email).await? {
        return Err(ServiceError::Invalid(errors));
    }
    let user_id = uuid::Uuid::new_v4().to_string();
    let ticket = random_token(32);
    let mut written = write_invitation(state, &mut tx, admin, invite, &user_id, &ticket, delivery, now).await;
    if written.is_ok() {
        written = grant_assignments(&mut tx, admin, form, &user_id, now).await;
    }
    match written {
        Err(ServiceError::Store(e)) if store::is_unique_violation(&e) => {
            // Another admin invited the same address at the same moment.
            let mut errors = FieldErrors::default();
            errors.add("email", format!("{} is already in the directory.", invite.email));
            return Err(ServiceError::Invalid(errors));
        }
        other => other?,
    };
    tx.commit().await?;
    state.wake_mail();
    Ok((
        Invited {
            user_id,
            repeated: false,
        },
        Some(ticket),
    ))
}

/// The rules External collaboration settings set on every invitation: who
/// may invite (guest invite settings) and to which domains (collaboration
/// restrictions). Read from the database, not the organization cache, so a
/// change holds at once on every instance.
pub(crate) struct InviteRules {
    level: InviteLevel,
    domains: DomainPolicy,
}

impl InviteRules {
    pub(crate) async fn read(conn: &mut Conn) -> ServiceResult<InviteRules> {
        let organization = store::organization::get(conn)
            .await?
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("the organization row is missing")))?;
        Ok(InviteRules {
            level: organization.invite_level(),
            domains: organization.domain_policy(),
        })
    }

    /// Refuses an inviter the guest invite settings do not admit.
    pub(crate) fn admit_inviter(&self, inviter: Inviter<'_>) -> ServiceResult<()> {
        if self.level.admits(inviter) {
            Ok(())
        } else {
            Err(ServiceError::Denied(self.level.refusal().into()))
        }
    }

    /// Why the collaboration restrictions refuse an invitation to `address`.
    pub(crate) fn address_refusal(&self, address: &str) -> Option<String> {
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d).to_ascii_lowercase();
        (!self.domains.admits(&domain)).then(|| self.domains.refusal(&domain))
    }
}

/// The guest invite settings on a connection of their own, for ways in
/// that check once before they write (bulk invite, the API's resend).
pub async fn ensure_may_invite(state: &AppState, admin: &Admin<'_>) -> ServiceResult<()> {
    let mut conn = state.db.pool().acquire().await?;
    InviteRules::read(&mut conn)
        .await?
        .admit_inviter(Inviter::Roles(admin.roles))
}

/// The wizard's Assignments, granted in the invitation's transaction.
async fn grant_assignments(
    tx: &mut Tx,
    admin: &Admin<'_>,
    form: &InviteForm,
    user_id: &str,
    now: i64,
) -> ServiceResult<()> {
    for group_id in &form.group_ids {
        let group = store::groups::find(tx, group_id)
            .await?
            .ok_or_else(|| ServiceError::Refused("One of the chosen groups no longer exists.".into()))?;
        crate::services::groups::add_member_in(tx, &admin.actor, &group, user_id, now).await?;
    }
    for role_id in &form.app_role_ids {
        let role = store::applications::find_role(tx, role_id)
            .await?
            .ok_or_else(|| ServiceError::Refused("One of the chosen app roles no longer exists.".into()))?;
        let principal = crate::services::assignments::Principal::User(user_id.to_owned());
        crate::services::assignments::assign_in(tx, &admin.actor, &role.app_id, &role.id, &principal, now).await?;
    }
    Ok(())
}

/// Refuses addresses that are taken (deleted users included) or blocked.
async fn address_is_free(tx: &mut Tx, email: &Email) -> sqlx::Result<Result<(), FieldErrors>> {
    let mut errors = FieldErrors::default();
    if let Some((id, deleted)) = store::invitations::holder_of_address(tx, email.normalized()).await? {
        errors.add("email", taken_message(email, &id, deleted));
    } else if store::invitations::is_blocked(tx, email.normalized()).await? {
        errors.add("email", blocked_message(email));
    }
    Ok(if errors.is_empty() { Ok(()) } else { Err(errors) })
}

/// Why an address held by user `id` cannot be invited.
pub(crate) fn taken_message(email: &Email, id: &str, deleted: bool) -> String {
    if deleted {
        format!("{email} belongs to a deleted user, who can be restored from Deleted users.")
    } else {
        format!("{email} is already in the directory: see /admin/users/{id}.")
    }
}

/// Why a blocked address cannot be invited.
pub(crate) fn blocked_message(email: &Email) -> String {
    format!("{email} has asked not to receive invitations from this organization.")
}

#[allow(clippy::too_many_arguments)]
async fn write_invitation(
    state: &AppState,
    tx: &mut Tx,
    admin: &Admin<'_>,
    invite: &ValidInvite,
    user_id: &str,
    ticket: &str,
    delivery: Delivery,
    now: i64,
) -> ServiceResult<()> {
    let org = store::organization::get(tx).await?.ok_or(ServiceError::NotFound)?;
    let upn = guest_upn(&invite.email, &org.primary_domain);
    store::users::insert(tx, &invite.guest_row(user_id, &upn, admin.id, now)).await?;
    crate::services::groups::join_dynamic_groups(tx, &invite.rule_subject(user_id, &upn), now).await?;
    let invitation_id = uuid::Uuid::new_v4().to_string();
    let digest = state.secrets.tickets.digest(ticket);
    // A new guest has no preferred language yet: the invitation's own,
    // else the organization's; remembered for the redeem page.
    let language = invite.language.unwrap_or_else(|| org.language());
    store::invitations::insert(
        tx,
        &NewInvitation {
            language: language.code(),
            ..invite.invitation_row(&invitation_id, user_id, &digest, admin.id, now)
        },
    )
    .await?;

    if delivery == Delivery::Email {
        crate::mail::invitation::queue(
            tx,
            &state.mail_context(),
            &org,
            &InvitationMail {
                inviter_id: admin.id,
                user_id,
                to: invite.email.as_str(),
                invitee_name: invite.display_name.as_str(),
                message: invite.message.as_deref(),
                cc: invite.cc.as_ref().map(|c| c.as_str()),
                ticket,
                language: Some(language),
            },
            now,
        )
        .await?;
    }

    let audit = |activity| AuditEntry {
        activity,
        category: "UserManagement",
        target_id: Some(user_id),
        target_name: Some(invite.email.as_str()),
        details: Some(format!("userType={}", invite.user_type.as_str())),
    };
    let link_shown = AuditEntry {
        details: Some("The redemption link was returned to the application; no email was sent".into()),
        ..audit("Copy redemption URL")
    };
    let entries = match delivery {
        Delivery::Email => vec![audit("Add user"), audit("Invite external user")],
        Delivery::LinkOnly => vec![audit("Add user"), audit("Invite external user"), link_shown],
    };
    store::audit::record_all(tx, &admin.actor, &entries, now).await?;
    Ok(())
}
