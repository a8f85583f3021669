//! Invite external user: one transaction writes the guest, the invitation
//! (only its ticket's HMAC), the invitation email and its Cc copy in the
//! outbox, and the audit entries. The email is always sent; "Send invite
//! message" only adds the personal message and the Cc recipient.

use crate::domain::redirect::RedirectUrl;
use crate::domain::user::parse_company_name;
use crate::domain::{DisplayName, Email, ExternalUserState, Permission, UserType, role::any_allows};
use crate::mail::invitation::InvitationEmail;
use crate::security::secret::random_token;
use crate::services::users::Admin;
use crate::services::{FieldErrors, ServiceError, ServiceResult};
use crate::store::audit::AuditEntry;
use crate::store::invitations::NewInvitation;
use crate::store::users::NewUser;
use crate::store::{self, Tx};
use crate::web::state::AppState;

pub const MAX_MESSAGE_CHARS: usize = 2000;

/// The wizard's fields, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    pub send_invite_message: Option<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub cc_recipient: String,
    #[serde(default)]
    pub user_type: String,
    #[serde(default)]
    pub company_name: String,
    #[serde(default)]
    pub redirect_url: String,
    /// One per opening of the form: a double submit acts once.
    #[serde(default)]
    pub form_key: String,
    /// Assignments: groups to join at once.
    #[serde(skip)]
    pub group_ids: Vec<String>,
    /// Assignments: app roles to hold at once.
    #[serde(skip)]
    pub app_role_ids: Vec<String>,
}

/// Most groups and app roles one invitation may grant.
pub const MAX_ASSIGNMENTS: usize = 20;

impl InviteForm {
    /// The form from its fields, repeated ones (the assignments) included.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = InviteForm::default();
        for (key, value) in pairs {
            let value = value.clone();
            match key.as_str() {
                "email" => form.email = value,
                "display_name" => form.display_name = value,
                "send_invite_message" => form.send_invite_message = Some(value),
                "message" => form.message = value,
                "cc_recipient" => form.cc_recipient = value,
                "user_type" => form.user_type = value,
                "company_name" => form.company_name = value,
                "redirect_url" => form.redirect_url = value,
                "form_key" => form.form_key = value,
                "group_ids" if !value.is_empty() && !form.group_ids.contains(&value) => form.group_ids.push(value),
                "app_role_ids" if !value.is_empty() && !form.app_role_ids.contains(&value) => {
                    form.app_role_ids.push(value)
                }
                _ => {}
            }
        }
        form
    }
}

/// An invitation that passed every check.
#[derive(Debug)]
pub struct ValidInvite {
    pub email: Email,
    pub display_name: DisplayName,
    pub send_message: bool,
    pub message: Option<String>,
    pub cc: Option<Email>,
    pub user_type: UserType,
    pub company_name: Option<String>,
    pub redirect_url: Option<RedirectUrl>,
}

/// Checks the fields; `may_invite_members` is false for Guest Inviters.
pub fn validate(form: &InviteForm, may_invite_members: bool) -> Result<ValidInvite, FieldErrors> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let display_name = match (form.display_name.trim().is_empty(), &email) {
        (true, Some(e)) => errors.check("display_name", DisplayName::parse(e.local_part())),
        _ => errors.check("display_name", DisplayName::parse(&form.display_name)),
    };
    let send_message = form.send_invite_message.is_some();
    let message = form.message.trim();
    if message.chars().count() > MAX_MESSAGE_CHARS {
        errors.add(
            "message",
            format!("A message has at most {MAX_MESSAGE_CHARS} characters."),
        );
    }
    let cc = if form.cc_recipient.trim().is_empty() {
        None
    } else if form.cc_recipient.contains([',', ';']) {
        errors.add("cc_recipient", "Enter one Cc recipient at most.");
        None
    } else {
        errors.check("cc_recipient", Email::parse(&form.cc_recipient))
    };
    if let (Some(cc), Some(e)) = (&cc, &email)
        && cc.normalized() == e.normalized()
    {
        errors.add(
            "cc_recipient",
            "The Cc recipient must be someone other than the invited person.",
        );
    }
    let user_type = match form.user_type.as_str() {
        "" | "Guest" => Some(UserType::Guest),
        "Member" if may_invite_members => Some(UserType::Member),
        "Member" => {
            errors.add("user_type", "Your role can invite guests only.");
            None
        }
        _ => {
            errors.add("user_type", "Choose Guest or Member.");
            None
        }
    };
    let company_name = errors.check("company_name", parse_company_name(&form.company_name));
    let assignments = form.group_ids.len() + form.app_role_ids.len();
    if assignments > 0 && !may_invite_members {
        errors.add(
            "assignments",
            "Your role cannot add groups or applications when inviting.",
        );
    } else if assignments > MAX_ASSIGNMENTS {
        errors.add(
            "assignments",
            format!("Choose at most {MAX_ASSIGNMENTS} groups and applications."),
        );
    }
    let redirect_url = if form.redirect_url.trim().is_empty() {
        Some(None)
    } else {
        errors.check("redirect_url", RedirectUrl::parse(&form.redirect_url).map(Some))
    };
    match (email, display_name, user_type, company_name, redirect_url) {
        (Some(email), Some(display_name), Some(user_type), Some(company_name), Some(redirect_url))
            if errors.is_empty() =>
        {
            Ok(ValidInvite {
                email,
                display_name,
                send_message,
                message: (send_message && !message.is_empty()).then(|| message.to_owned()),
                cc: if send_message { cc } else { None },
                user_type,
                company_name,
                redirect_url,
            })
        }
        _ => Err(errors),
    }
}

/// The guest's user principal name: `local_domain#EXT#@orgdomain`.
pub fn guest_upn(email: &Email, org_domain: &str) -> String {
    format!("{}#EXT#@{}", email.normalized().replace('@', "_"), org_domain)
}

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
        let message = if deleted {
            format!("{email} belongs to a deleted user, who can be restored from Deleted users.")
        } else {
            format!("{email} is already in the directory: see /admin/users/{id}.")
        };
        errors.add("email", message);
    } else if store::invitations::is_blocked(tx, email.normalized()).await? {
        errors.add(
            "email",
            format!("{email} has asked not to receive invitations from this organization."),
        );
    }
    Ok(if errors.is_empty() { Ok(()) } else { Err(errors) })
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
    let inviter = store::users::find_active(tx, admin.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let upn = guest_upn(&invite.email, &org.primary_domain);
    store::users::insert(
        tx,
        &NewUser {
            id: user_id,
            display_name: &invite.display_name,
            mail: Some(&invite.email),
            user_principal_name: &upn,
            user_type: invite.user_type,
            creation_type: Some("Invitation"),
            external_user_state: Some(ExternalUserState::PendingAcceptance),
            company_name: invite.company_name.as_deref(),
            password_hash: None,
            must_change_password: false,
            now,
        },
    )
    .await?;
    store::users::set_invited_by(tx, user_id, admin.id).await?;
    crate::services::groups::refresh_user(tx, user_id, now).await?;
    store::invitations::insert(
        tx,
        &NewInvitation {
            id: &uuid::Uuid::new_v4().to_string(),
            user_id,
            ticket_digest: &state.secrets.tickets.digest(ticket),
            invited_email: invite.email.as_str(),
            redirect_url: invite.redirect_url.as_ref().map(|r| r.as_str()),
            send_invite_message: invite.send_message,
            message: invite.message.as_deref(),
            cc_recipient: invite.cc.as_ref().map(|c| c.as_str()),
            language: "en",
            invited_by: Some(admin.id),
            now,
        },
    )
    .await?;

    let inviter_email = inviter
        .mail
        .clone()
        .unwrap_or_else(|| inviter.user_principal_name.clone());
    let email = InvitationEmail {
        subject: format!(
            "{} invited you to access applications within their organization",
            inviter.display_name
        ),
        org_name: org.name.clone(),
        org_domain: org.primary_domain.clone(),
        inviter_name: inviter.display_name.clone(),
        inviter_email: inviter_email.clone(),
        invitee_name: invite.display_name.to_string(),
        invitee_email: invite.email.to_string(),
        message: invite.message.clone(),
        accept_url: format!("{}/redeem?ticket={ticket}", state.public_url),
        privacy_url: org.privacy_statement_url.clone(),
        block_url: crate::services::blocking::block_link(state, invite.email.normalized()),
    };
    let from_name = format!("{} Invitations", org.name);
    let from = crate::mail::sender_address(&state.settings);
    let (text, html) = email.render().map_err(anyhow::Error::from)?;
    let message_id = crate::mail::new_message_id(&org.primary_domain);
    let message = crate::mail::build_message(
        &from_name,
        &from,
        Some(&inviter_email),
        invite.email.as_str(),
        &email.subject,
        text,
        html,
        Some(&email.block_url),
        &message_id,
    )?;
    crate::mail::queue(
        tx,
        "invitation",
        Some(user_id),
        &message,
        invite.email.as_str(),
        &email.subject,
        &message_id,
        true,
        0,
        now,
    )
    .await?;
    if let Some(cc) = &invite.cc {
        let (text, html) = email.render_cc().map_err(anyhow::Error::from)?;
        let cc_id = crate::mail::new_message_id(&org.primary_domain);
        let subject = format!("Copy: {}", email.subject);
        let message = crate::mail::build_message(
            &from_name,
            &from,
            Some(&inviter_email),
            cc.as_str(),
            &subject,
            text,
            html,
            None,
            &cc_id,
        )?;
        crate::mail::queue(
            tx,
            "invitation_cc",
            Some(user_id),
            &message,
            cc.as_str(),
            &subject,
            &cc_id,
            false,
            0,
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
    store::audit::record(tx, &admin.actor, &audit("Add user"), now).await?;
    store::audit::record(tx, &admin.actor, &audit("Invite external user"), now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_principal_names_follow_entra() {
        let email = Email::parse("Grace.Hopper@Fabrikam.example").unwrap();
        assert_eq!(
            guest_upn(&email, "contoso.test"),
            "grace.hopper_fabrikam.example#EXT#@contoso.test"
        );
    }

    #[test]
    fn the_message_and_cc_count_only_with_send_invite_message() {
        let mut form = InviteForm {
            email: "g@fabrikam.example".into(),
            message: "Hello".into(),
            cc_recipient: "boss@fabrikam.example".into(),
            ..Default::default()
        };
        let valid = validate(&form, false).unwrap();
        assert!(valid.message.is_none() && valid.cc.is_none());
        assert_eq!(valid.display_name.as_str(), "g");
        form.send_invite_message = Some("on".into());
        let valid = validate(&form, false).unwrap();
        assert_eq!(valid.message.as_deref(), Some("Hello"));
        assert!(valid.cc.is_some());
    }

    #[test]
    fn guest_inviters_cannot_invite_members() {
        let form = InviteForm {
            email: "g@fabrikam.example".into(),
            user_type: "Member".into(),
            ..Default::default()
        };
        assert!(validate(&form, false).unwrap_err().get("user_type").is_some());
        assert!(validate(&form, true).is_ok());
    }
}
