//! Writing the sign-in log. A sign-in attempt adds one line, in its own
//! statement after the attempt was decided; a line that cannot be written
//! is logged and dropped, so the log never makes a sign-in fail.
//!
//! The failures the portal records, with Entra's error code where it has
//! one for the same reason (Entra's sign-in logs show them the same way).

use crate::app::AppState;
use crate::store;
use crate::store::sign_in_log::SignInEntry;
use crate::store::users::User;

/// A failure as the log shows it: (error code, reason). An empty code
/// where Entra has none for the reason.
pub type Failure = (&'static str, &'static str);

/// A wrong password, or a password for an account that has none.
pub const INVALID_PASSWORD: Failure = ("50126", "Invalid username or password.");
/// No user in the directory has the address typed.
pub const USER_NOT_FOUND: Failure = ("50034", "The user account does not exist in the directory.");
/// The right password for a user whose sign-in is blocked.
pub const ACCOUNT_DISABLED: Failure = ("50057", "The user account is disabled.");
/// Refused before the password was checked: too many wrong ones for this
/// account from this address.
pub const ACCOUNT_LOCKED: Failure = (
    "50053",
    "The account is locked: too many sign-in attempts with a wrong password.",
);
/// The right password for a guest, who signs in with a code instead.
pub const GUEST_PASSWORD: Failure = ("50126", "Guests sign in with a one-time passcode, not a password.");
/// A code that is not the one sent.
pub const INVALID_CODE: Failure = ("", "Invalid one-time passcode.");
/// No code to check against: none was sent to the address (it is not a
/// guest's), or it expired, or it was entered wrongly too many times.
pub const NO_VALID_CODE: Failure = (
    "",
    "No valid one-time passcode: none was sent, it expired, or it was entered wrongly too many times.",
);

/// Adds one line to the sign-in log. A database error is logged, never
/// returned: the sign-in it describes goes on.
pub async fn record(state: &AppState, entry: &SignInEntry<'_>) {
    state.monitoring.sign_in(result_label(entry.failure));
    if let Err(e) = write(state, entry).await {
        tracing::warn!(error = %e, "a sign-in could not be written to the sign-in log");
    }
}

async fn write(state: &AppState, entry: &SignInEntry<'_>) -> sqlx::Result<()> {
    let mut tx = state.db.begin().await?;
    store::sign_in_log::record(&mut tx, entry, state.clock.now()).await?;
    tx.commit().await
}

/// The sign-in's result as the metrics count it: `success`, the short
/// name of a failure above, or `other_failure` (an application's refusal).
pub fn result_label(failure: Option<(&str, &str)>) -> &'static str {
    let Some((_, reason)) = failure else {
        return "success";
    };
    [
        (INVALID_PASSWORD, "invalid_password"),
        (USER_NOT_FOUND, "user_not_found"),
        (ACCOUNT_DISABLED, "account_disabled"),
        (ACCOUNT_LOCKED, "account_locked"),
        (GUEST_PASSWORD, "guest_password"),
        (INVALID_CODE, "invalid_code"),
        (NO_VALID_CODE, "no_valid_code"),
    ]
    .into_iter()
    .find(|((_, known), _)| *known == reason)
    .map_or("other_failure", |(_, label)| label)
}

/// The name the log gives a user who signed in: the address they sign in
/// with (their mail, or their user principal name), which is also what a
/// failed attempt records, so one filter finds both.
pub fn user_name(user: &User) -> &str {
    user.mail.as_deref().unwrap_or(&user.user_principal_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_result_label_is_one_the_metrics_show_from_the_start() {
        let failures = [
            INVALID_PASSWORD,
            USER_NOT_FOUND,
            ACCOUNT_DISABLED,
            ACCOUNT_LOCKED,
            GUEST_PASSWORD,
            INVALID_CODE,
            NO_VALID_CODE,
            ("", "The application is disabled."),
        ];
        let mut labels: Vec<&str> = failures.iter().map(|f| result_label(Some(*f))).collect();
        labels.push(result_label(None));
        for label in &labels {
            assert!(crate::monitoring::SIGN_IN_RESULTS.contains(label), "{label}");
        }
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), crate::monitoring::SIGN_IN_RESULTS.len());
    }
}
