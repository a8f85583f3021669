//! The Invite external user form: its fields as typed (repeated ones
//! included) and the rules they must pass before anything is written.

use crate::domain::language::Language;
use crate::domain::redirect::RedirectUrl;
use crate::domain::user::parse_company_name;
use crate::domain::{DisplayName, Email, ExternalUserState, UserType};
use crate::services::FieldErrors;
use crate::store::groups::RuleSubject;
use crate::store::invitations::NewInvitation;
use crate::store::users::NewUser;

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
    /// The invitation message's language (a tag); empty follows the
    /// guest's preferred language, then the organization's.
    #[serde(default)]
    pub language: String,
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
                "language" => form.language = value,
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
    /// The language chosen for the invitation, if any.
    pub language: Option<Language>,
}

/// What an invitation writes for its guest, the same for the wizard and for
/// Bulk invite.
impl ValidInvite {
    /// The guest's user row: pending acceptance, invited by `inviter`.
    pub fn guest_row<'a>(&'a self, id: &'a str, upn: &'a str, inviter: &'a str, now: i64) -> NewUser<'a> {
        NewUser {
            id,
            display_name: &self.display_name,
            mail: Some(&self.email),
            user_principal_name: upn,
            user_type: self.user_type,
            creation_type: Some("Invitation"),
            external_user_state: Some(ExternalUserState::PendingAcceptance),
            company_name: self.company_name.as_deref(),
            password_hash: None,
            must_change_password: false,
            invited_by: Some(inviter),
            now,
        }
    }

    /// The guest as dynamic membership rules see it, equal to what
    /// `guest_row` stores.
    pub fn rule_subject(&self, id: &str, upn: &str) -> RuleSubject {
        RuleSubject {
            id: id.to_owned(),
            display_name: self.display_name.to_string(),
            mail: Some(self.email.as_str().to_owned()),
            user_principal_name: upn.to_owned(),
            user_type: self.user_type.as_str().to_owned(),
            company_name: self.company_name.clone(),
            account_enabled: 1,
            external_user_state: Some(ExternalUserState::PendingAcceptance.as_str().to_owned()),
        }
    }

    /// The invitation row, holding only the ticket's digest.
    pub fn invitation_row<'a>(
        &'a self,
        id: &'a str,
        user_id: &'a str,
        ticket_digest: &'a str,
        inviter: &'a str,
        now: i64,
    ) -> NewInvitation<'a> {
        NewInvitation {
            id,
            user_id,
            ticket_digest,
            invited_email: self.email.as_str(),
            redirect_url: self.redirect_url.as_ref().map(|r| r.as_str()),
            send_invite_message: self.send_message,
            message: self.message.as_deref(),
            cc_recipient: self.cc.as_ref().map(|c| c.as_str()),
            language: self.language.map(Language::code).unwrap_or(""),
            invited_by: Some(inviter),
            now,
        }
    }
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
    let language = if form.language.trim().is_empty() {
        Some(None)
    } else {
        errors.check("language", Language::parse(&form.language).map(Some))
    };
    match (email, display_name, user_type, company_name, redirect_url, language) {
        (Some(email), Some(display_name), Some(user_type), Some(company_name), Some(redirect_url), Some(language))
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
                language,
            })
        }
        _ => Err(errors),
    }
}

/// The guest's user principal name: `local_domain#EXT#@orgdomain`.
pub fn guest_upn(email: &Email, org_domain: &str) -> String {
    format!("{}#EXT#@{}", email.normalized().replace('@', "_"), org_domain)
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
