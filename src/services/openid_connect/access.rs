//! Who may sign in to an application, with Entra's error codes and
//! wording. Checked at authorize, and again at every refresh and UserInfo
//! call, so removing an assignment, blocking or deleting the user ends the
//! application's access too.

use crate::domain::ExternalUserState;
use crate::store::Conn;
use crate::store::single_sign_on::SsoConfig;
use crate::store::users::User;

/// Why a user may not sign in to an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Entra's code, like "AADSTS50105".
    pub code: &'static str,
    /// What the user reads.
    pub message: String,
    /// The sign-in log's failure reason.
    pub reason: &'static str,
}

impl Refusal {
    /// The number alone, as the sign-in log shows it ("50105").
    pub fn number(&self) -> &'static str {
        self.code.trim_start_matches("AADSTS")
    }
}

pub fn app_disabled(app: &SsoConfig) -> Refusal {
    Refusal {
        code: "AADSTS7000112",
        message: format!(
            "AADSTS7000112: Application '{}'({}) is disabled.",
            app.client_id.as_deref().unwrap_or(&app.app_id),
            app.display_name
        ),
        reason: "Application is disabled",
    }
}

pub fn user_blocked(user: &User) -> Refusal {
    Refusal {
        code: "AADSTS50057",
        message: format!(
            "AADSTS50057: The user account is disabled. The account {} has been disabled by an administrator.",
            user.user_principal_name
        ),
        reason: "User account is disabled",
    }
}

pub fn user_gone() -> Refusal {
    Refusal {
        code: "AADSTS50034",
        message: "AADSTS50034: The user account does not exist in this directory.".into(),
        reason: "User account does not exist",
    }
}

pub fn invitation_pending(user: &User) -> Refusal {
    Refusal {
        code: "AADSTS90072",
        message: format!(
            "AADSTS90072: The invitation for {} has not been accepted yet. Open the invitation email and accept it, \
             then try again.",
            user.mail.as_deref().unwrap_or(&user.user_principal_name)
        ),
        reason: "Invitation is pending acceptance",
    }
}

pub fn not_assigned(app: &SsoConfig, user: &User) -> Refusal {
    Refusal {
        code: "AADSTS50105",
        message: format!(
            "AADSTS50105: Your administrator has configured the application {} ('{}') to block users unless they \
             are specifically granted ('assigned') access to the application. The signed in user '{}' is blocked \
             because they are not a direct member of a group with access, nor had access directly assigned by an \
             administrator. Please contact your administrator to assign access to this application.",
            app.display_name,
            app.client_id.as_deref().unwrap_or(&app.app_id),
            user.user_principal_name
        ),
        reason: "User is not assigned to the application (EntitlementGrantsNotFound)",
    }
}

/// Whether `user` (None: deleted or never there) may sign in to `app` now.
pub async fn check(conn: &mut Conn, app: &SsoConfig, user: Option<&User>) -> sqlx::Result<Result<(), Refusal>> {
    let Some(user) = user.filter(|u| u.deleted_at.is_none()) else {
        return Ok(Err(user_gone()));
    };
    if !app.enabled {
        return Ok(Err(app_disabled(app)));
    }
    if !user.account_enabled {
        return Ok(Err(user_blocked(user)));
    }
    if user.external_user_state == Some(ExternalUserState::PendingAcceptance) {
        return Ok(Err(invitation_pending(user)));
    }
    if app.assignment_required && !crate::store::oidc::is_assigned(conn, &user.id, &app.app_id).await? {
        return Ok(Err(not_assigned(app, user)));
    }
    Ok(Ok(()))
}
