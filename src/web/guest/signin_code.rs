//! Returning guests sign in with a code sent to their address. The pages
//! never tell which addresses exist or what kind of user they belong to:
//! every address gets the same answer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::language::Language;
use crate::i18n::Tr;
use crate::services::redemption::{self, CodeCheck};
use crate::services::sign_in_log;
use crate::store::codes::Purpose;
use crate::store::sign_in_log::SignInEntry;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::guest::consent::signed_in;
use crate::web::guest::page_language;
use crate::web::guest::redeem::{EnterCodePage, NEW_CODE_NEEDED, WRONG_CODE};
use crate::web::language::AcceptLanguage;
use crate::web::layout::{Layout, render_with, see_other};
use crate::web::middleware::client_ip;
use crate::web::oidc::forms_may_reach;
use crate::web::session::TypedSession;

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    /// Where the Sign in page was to lead (an application's sign-in request).
    #[serde(default)]
    next: String,
}

fn code_page(session: &TypedSession, address: &str, error: Option<&str>, language: Language) -> EnterCodePage {
    let t = Tr::text(language);
    EnterCodePage {
        layout: Layout::anonymous(&t.get("code-page-title"), session).in_language(language),
        intro: t.arg("code-page-signin-sent", "address", address),
        error: error.map(|key| t.get(key)),
        action: "/signin/code/verify",
        submit_label: t.get("code-page-sign-in"),
        resend_action: Some("/signin/code"),
        resend_address: Some(address.to_owned()),
    }
}

/// Email me a sign-in code.
pub async fn request_code(
    state: web::Data<AppState>,
    session: TypedSession,
    accept: AcceptLanguage,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let address: String = form.email.trim().chars().take(254).collect();
    if address.is_empty() {
        return Ok(see_other("/signin"));
    }
    if let Err(wait) = state.limits.code_per_address.check(&address.to_lowercase()).await {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    if crate::web::auth::is_local_path(&form.next) && form.next != "/myapps" {
        session.set_return_to(&form.next)?;
    }
    // Home-realm discovery: a federated domain signs in at its provider.
    if let Some(to_provider) = crate::web::guest::federation::start_sign_in(&state, &session, &address).await? {
        return Ok(to_provider);
    }
    // The same work for every address: whether it is a guest's is found
    // out after the answer.
    crate::services::sign_in_codes::request(&state, &address).await?;
    session.set_code_address(&address)?;
    let language = page_language(&state, accept, None).await?;
    let page = render_with(&code_page(&session, &address, None, language), StatusCode::OK)?;
    forms_may_reach(&state, session.return_to().as_deref(), page).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn verify_code(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: TypedSession,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some(address) = session.code_address() else {
        return Ok(see_other("/signin"));
    };
    let client_ip = client_ip(&req);
    let (error, failure) = match redemption::check_code(&state, Purpose::SignIn, &address, &form.code).await? {
        CodeCheck::Right(user_id) => {
            return signed_in(&state, &session, &address, &user_id, client_ip.as_deref()).await;
        }
        CodeCheck::Wrong => (WRONG_CODE, sign_in_log::INVALID_CODE),
        CodeCheck::NeedNew => (NEW_CODE_NEEDED, sign_in_log::NO_VALID_CODE),
    };
    let entry = SignInEntry {
        user_name: Some(&address),
        failure: Some(failure),
        client_ip: client_ip.as_deref(),
        ..Default::default()
    };
    sign_in_log::record(&state, &entry).await;
    let language = page_language(&state, AcceptLanguage::of(&req), None).await?;
    let page = render_with(
        &code_page(&session, &address, Some(error), language),
        StatusCode::UNPROCESSABLE_ENTITY,
    )?;
    forms_may_reach(&state, session.return_to().as_deref(), page).await
}
