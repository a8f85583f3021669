//! Sign in, sign out, and changing one's own password.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::services::ServiceError;
use crate::services::accounts::{self, PasswordCheck};
use crate::services::sign_in_log::{self, Failure};
use crate::store::sign_in_log::SignInEntry;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::SignedIn;
use crate::web::guest::page_language;
use crate::web::language::AcceptLanguage;
use crate::web::layout::{Layout, render_with, see_other};
use crate::web::middleware::ClientIp;
use crate::web::oidc::forms_may_reach;
use crate::web::session::{FlashKind, TypedSession};

#[derive(Template)]
#[template(path = "auth/signin.html")]
struct SignInPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
    /// The address to fill in (an application's `login_hint`).
    login_hint: Option<String>,
}

pub async fn signin_form(
    state: web::Data<AppState>,
    session: TypedSession,
    accept: AcceptLanguage,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, AppError> {
    if query.signed_out.is_some() {
        session.flash(FlashKind::Success, "You have signed out.");
    }
    let next = query.next.clone().filter(|n| is_local_path(n)).unwrap_or_default();
    let language = page_language(&state, accept, None).await?;
    let page = SignInPage {
        layout: Layout::anonymous(&crate::i18n::text(language, "signin-title"), &session).in_language(language),
        email: query.login_hint.as_deref().unwrap_or("").chars().take(254).collect(),
        next: next.clone(),
        error: None,
    };
    // Signing in for an application goes on to it from this page's form.
    forms_may_reach(&state, Some(&next), render_with(&page, StatusCode::OK)?).await
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn signin(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: TypedSession,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> Result<HttpResponse, AppError> {
    let next = if is_local_path(&form.next) {
        form.next.clone()
    } else {
        String::new()
    };
    let language = page_language(&state, AcceptLanguage::of(&req), None).await?;
    let again = async |error: &str, status: StatusCode| {
        let page = SignInPage {
            layout: Layout::anonymous(&crate::i18n::text(language, "signin-title"), &session).in_language(language),
            email: form.email.chars().take(254).collect(),
            next: next.clone(),
            error: Some(error.to_owned()),
        };
        forms_may_reach(&state, Some(&next), render_with(&page, status)?).await
    };
    if form.email.trim().is_empty() || form.password.is_empty() {
        return again("Enter your email and password.", StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // Wrong passwords count against the account, but lock out only the
    // addresses they came from (see `SignInFailures`).
    let account: String = form.email.trim().to_lowercase().chars().take(254).collect();
    let client = req.extensions().get::<ClientIp>().map(|c| c.0);
    let client_ip = client.map(|ip| ip.to_string());
    let typed: String = form.email.trim().chars().take(254).collect();
    if let Err(wait) = state.limits.signin_failures.check(&account, client).await {
        tracing::warn!("sign-in failure limit reached for an account from this address");
        let entry = failed_attempt(None, &typed, sign_in_log::ACCOUNT_LOCKED, client_ip.as_deref());
        sign_in_log::record(&state, &entry).await;
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    // Every refusal gets the same answer: the reason is for the sign-in log.
    let refusal = match accounts::check_password(&state.db, &state.hasher, &form.email, &form.password).await? {
        PasswordCheck::SignedIn(user) => Ok(user),
        PasswordCheck::UnknownUser => Err((None, sign_in_log::USER_NOT_FOUND)),
        PasswordCheck::WrongPassword(u) => Err((Some(u.id), sign_in_log::INVALID_PASSWORD)),
        PasswordCheck::Blocked(u) => Err((Some(u.id), sign_in_log::ACCOUNT_DISABLED)),
        PasswordCheck::Guest(u) => Err((Some(u.id), sign_in_log::GUEST_PASSWORD)),
    };
    let user = match refusal {
        Ok(user) => user,
        Err((user_id, failure)) => {
            state.limits.signin_failures.record(&account, client).await;
            let entry = failed_attempt(user_id.as_deref(), &typed, failure, client_ip.as_deref());
            sign_in_log::record(&state, &entry).await;
            return again("Your email or password is incorrect.", StatusCode::UNAUTHORIZED).await;
        }
    };
    session.sign_in(&user.id, user.session_epoch, state.clock.now(), None)?;
    sign_in_log::record(
        &state,
        &SignInEntry {
            user_id: Some(&user.id),
            user_name: Some(sign_in_log::user_name(&user)),
            client_ip: client_ip.as_deref(),
            ..Default::default()
        },
    )
    .await;
    tracing::info!(user = %user.id, "signed in");
    let target = if user.must_change_password {
        "/account/password"
    } else if is_local_path(&form.next) {
        form.next.as_str()
    } else {
        "/"
    };
    Ok(see_other(target))
}

/// A refused sign-in as the sign-in log records it: under the address typed.
fn failed_attempt<'a>(
    user_id: Option<&'a str>,
    typed: &'a str,
    failure: Failure,
    client_ip: Option<&'a str>,
) -> SignInEntry<'a> {
    SignInEntry {
        user_id,
        user_name: Some(typed),
        failure: Some(failure),
        client_ip,
        ..Default::default()
    }
}

#[derive(Deserialize)]
pub struct NoFields {}

/// Sign out. The cookie store keeps nothing on the server, so a copy of
/// the cookie would outlive a purge: signing out also bumps the user's
/// session epoch, which ends this session everywhere it was copied (and the
/// user's other sessions with it). A session that has already ended just
/// goes to Sign in.
pub async fn signout(
    state: web::Data<AppState>,
    session: TypedSession,
    form: Result<CsrfForm<NoFields>, AppError>,
) -> Result<HttpResponse, AppError> {
    match form {
        Ok(_) => {
            if let Some(who) = session.user() {
                accounts::sign_out(&state.db, &who.id, who.epoch).await?;
            }
        }
        Err(AppError::CsrfRejected) if session.user().is_none() => {}
        Err(e) => return Err(e),
    }
    session.sign_out();
    Ok(see_other("/signin?signed_out=1"))
}

#[derive(Template)]
#[template(path = "auth/change_password.html")]
struct ChangePasswordPage {
    layout: Layout,
    forced: bool,
    error: Option<String>,
}

pub async fn change_password_form(SignedIn(user): SignedIn) -> Result<HttpResponse, AppError> {
    let page = ChangePasswordPage {
        layout: Layout::signed_in("Change password", &user, crate::web::layout::Section::None),
        forced: user.user.must_change_password,
        error: None,
    };
    render_with(&page, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
    CsrfForm(form): CsrfForm<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let again = |error: String| {
        let page = ChangePasswordPage {
            layout: Layout::signed_in("Change password", &user, crate::web::layout::Section::None),
            forced: user.user.must_change_password,
            error: Some(error),
        };
        render_with(&page, StatusCode::UNPROCESSABLE_ENTITY)
    };
    if form.new_password != form.confirm_password {
        return again("The new password and its confirmation do not match.".into());
    }
    let result = accounts::change_password(
        &state.db,
        &state.hasher,
        &state.clock,
        &user.actor(),
        &user.user,
        &form.current_password,
        &form.new_password,
    )
    .await;
    match result {
        Ok(epoch) => {
            user.session.set_epoch(epoch)?;
            user.session.flash(FlashKind::Success, "Your password was changed.");
            Ok(see_other("/"))
        }
        Err(ServiceError::Refused(message)) => again(message),
        Err(e) => Err(e.into()),
    }
}

/// Only paths on this site are followed after sign-in: never another host
/// (`//host`, `/\host`, or a scheme).
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.contains(['\\', '\r', '\n', '\t'])
        && path.len() <= 2048
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/admin/users?x=1"));
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "admin",
            "/a\\b",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }
}
