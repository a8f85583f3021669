//! Invite external user: one transaction writes the guest, the invitation
//! (only its ticket's HMAC), the invitation email and its Cc copy in the
//! outbox, and the audit entries. The email is always sent; "Send invite
//! message" only adds the personal message and the Cc recipient.

use crate::app::AppState;
use crate::domain::{Email, Permission, role::any_allows};
use crate::mail::invitation::InvitationEmail;
use crate::security::secret::random_token;
use crate::services::users::Admin;
use crate::services::{FieldErrors, ServiceError, ServiceResult};
use crate::store::audit::AuditEntry;
use crate::store::organization::Organization;
use crate::store::outbox::OutgoingMail;
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
    if !any_allows(admin.roles, Permission::InviteGuests) {
        return Err(ServiceError::Denied("Your role cannot invite users.".into()));
    }
    let invite = validate(form, any_allows(admin.roles, Permission::InviteMembersOrAssignments))
        .map_err(ServiceError::Invalid)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !form.form_key.is_empty() && !store::invitations::claim_form_key(&mut tx, &form.form_key, now).await? {
        let existing = store::invitations::holder_of_address(&mut tx, invite.email.normalized()).await?;
        return match existing {
            Some((user_id, _)) => Ok(Invited {
                user_id,
                repeated: true,
            }),
            None => Err(ServiceError::Refused("This form was already submitted.".into())),
        };
    }
    if let Err(errors) = address_is_free(&mut tx, &invite.email).await? {
        return Err(ServiceError::Invalid(errors));
    }
    let user_id = uuid::Uuid::new_v4().to_string();
    let ticket = random_token(32);
    let mut written = write_invitation(state, &mut tx, admin, &invite, &user_id, &ticket, now).await;
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
    Ok(Invited {
        user_id,
        repeated: false,
    })
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

async fn write_invitation(
    state: &AppState,
    tx: &mut Tx,
    admin: &Admin<'_>,
    invite: &ValidInvite,
    user_id: &str,
    ticket: &str,
    now: i64,
) -> ServiceResult<()> {
    let org = store::organization::get(tx).await?.ok_or(ServiceError::NotFound)?;
    let upn = guest_upn(&invite.email, &org.primary_domain);
    store::users::insert(tx, &invite.guest_row(user_id, &upn, admin.id, now)).await?;
    crate::services::groups::join_dynamic_groups(tx, &invite.rule_subject(user_id, &upn), now).await?;
    let invitation_id = uuid::Uuid::new_v4().to_string();
    let digest = state.secrets.tickets.digest(ticket);
    store::invitations::insert(
        tx,
        &invite.invitation_row(&invitation_id, user_id, &digest, admin.id, now),
    )
    .await?;

    queue_invitation_email(
        state,
        tx,
        &org,
        &InvitationMail {
            inviter_id: admin.id,
            user_id,
            to: invite.email.as_str(),
            invitee_name: invite.display_name.as_str(),
            message: invite.message.as_deref(),
            cc: invite.cc.as_ref().map(|c| c.as_str()),
            ticket,
        },
        now,
    )
    .await?;

    let audit = |activity| AuditEntry {
        activity,
        category: "UserManagement",
        target_id: Some(user_id),
        target_name: Some(invite.email.as_str()),
        details: Some(format!("userType={}", invite.user_type.as_str())),
    };
    store::audit::record_all(
        tx,
        &admin.actor,
        &[audit("Add user"), audit("Invite external user")],
        now,
    )
    .await?;
    Ok(())
}

/// What the invitation email says, for a first invitation, a resend or a
/// reset.
pub struct InvitationMail<'a> {
    pub inviter_id: &'a str,
    pub user_id: &'a str,
    pub to: &'a str,
    pub invitee_name: &'a str,
    pub message: Option<&'a str>,
    pub cc: Option<&'a str>,
    pub ticket: &'a str,
}

/// Queues the invitation email (and its Cc copy) in the caller's
/// transaction. The body carries the ticket, so it is wiped once sent.
pub async fn queue_invitation_email(
    state: &AppState,
    tx: &mut Tx,
    org: &Organization,
    mail: &InvitationMail<'_>,
    now: i64,
) -> ServiceResult<()> {
    let sender = InvitationSender::load(state, tx, org, mail.inviter_id).await?;
    for message in sender.compose(mail)? {
        store::outbox::enqueue(tx, &message.as_new_mail(), now).await?;
    }
    Ok(())
}

/// What every invitation from one inviter has in common: the organization,
/// the inviter, the sender and the subject. Loaded once, it composes any
/// number of emails (Bulk invite composes thousands).
pub struct InvitationSender {
    public_url: String,
    block_links: crate::security::secret::DigestKey,
    org_name: String,
    org_domain: String,
    privacy_url: Option<String>,
    inviter_name: String,
    inviter_email: String,
    from_name: String,
    from: String,
    subject: String,
}

impl InvitationSender {
    /// Reads the inviter, who must still be in the directory.
    pub async fn load(state: &AppState, conn: &mut Conn, org: &Organization, inviter_id: &str) -> ServiceResult<Self> {
        let inviter = store::users::find_active(conn, inviter_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let inviter_email = inviter.mail.unwrap_or(inviter.user_principal_name);
        Ok(Self {
            public_url: state.public_url.clone(),
            block_links: state.secrets.block_links.clone(),
            subject: format!(
                "{} invited you to access applications within their organization",
                inviter.display_name
            ),
            org_name: org.name.clone(),
            org_domain: org.primary_domain.clone(),
            privacy_url: org.privacy_statement_url.clone(),
            inviter_name: inviter.display_name,
            inviter_email,
            from_name: format!("{} Invitations", org.name),
            from: crate::mail::sender_address(&state.settings),
        })
    }

    /// The invitation email, and the Cc copy when there is a Cc recipient.
    pub fn compose(&self, mail: &InvitationMail<'_>) -> ServiceResult<Vec<OutgoingMail>> {
        let email = InvitationEmail {
            subject: self.subject.clone(),
            org_name: self.org_name.clone(),
            org_domain: self.org_domain.clone(),
            inviter_name: self.inviter_name.clone(),
            inviter_email: self.inviter_email.clone(),
            invitee_name: mail.invitee_name.to_owned(),
            invitee_email: mail.to.to_owned(),
            message: mail.message.map(str::to_owned),
            accept_url: format!("{}/redeem?ticket={}", self.public_url, mail.ticket),
            privacy_url: self.privacy_url.clone(),
            block_url: crate::services::block_invitations::signed_block_link(
                &self.public_url,
                &self.block_links,
                &mail.to.to_lowercase(),
            ),
        };
        let mut out = Vec::with_capacity(2);
        let (text, html) = email.render().map_err(anyhow::Error::from)?;
        out.push(self.message(
            "invitation",
            mail,
            mail.to,
            email.subject.clone(),
            text,
            html,
            Some(&email.block_url),
            true,
        )?);
        if let Some(cc) = mail.cc {
            let (text, html) = email.render_cc().map_err(anyhow::Error::from)?;
            let subject = format!("Copy: {}", email.subject);
            out.push(self.message("invitation_cc", mail, cc, subject, text, html, None, false)?);
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        kind: &'static str,
        mail: &InvitationMail<'_>,
        to: &str,
        subject: String,
        text: String,
        html: String,
        list_unsubscribe: Option<&str>,
        carries_secret: bool,
    ) -> ServiceResult<OutgoingMail> {
        let message_id = crate::mail::new_message_id(&self.org_domain);
        let message = crate::mail::build_message(
            &self.from_name,
            &self.from,
            Some(&self.inviter_email),
            to,
            &subject,
            text,
            html,
            list_unsubscribe,
            &message_id,
        )?;
        Ok(OutgoingMail {
            kind,
            user_id: mail.user_id.to_owned(),
            recipient: to.to_owned(),
            subject,
            message_id,
            body: crate::mail::message_text(&message),
            carries_secret,
        })
    }
}
