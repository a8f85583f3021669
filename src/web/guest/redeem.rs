//! Redemption: `GET /redeem?ticket=…` only shows a page (mail scanners and
//! link previews must not use invitations up); every step after it is a
//! POST with CSRF, and the invitation in progress is kept in the session.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::language::Language;
use crate::i18n::Tr;
use crate::services::identity_providers::federation;
use crate::services::redemption::{self, CodeCheck, Ticket};
use crate::store::codes::Purpose;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::guest::{invalid_link, invalid_link_in, message_page, message_page_in, page_language};
use crate::web::language::AcceptLanguage;
use crate::web::layout::{Layout, render, render_with, see_other};
use crate::web::session::{Redemption, TypedSession};

#[derive(Deserialize)]
pub struct TicketQuery {
    #[serde(default)]
    ticket: String,
}

#[derive(Template)]
#[template(path = "guest/redeem.html")]
struct RedeemPage {
    layout: Layout,
    org_name: String,
    org_domain: String,
    inviter: String,
    address: String,
    needs_code: bool,
    /// When the invitation was sent, as the guest's language writes dates.
    sent_on: String,
    /// The identity provider serving the invited domain: (name, required).
    provider: Option<(String, bool)>,
    /// False when the provider is required.
    code_offered: bool,
}

pub async fn redeem_page(
    state: web::Data<AppState>,
    session: TypedSession,
    accept: AcceptLanguage,
    query: web::Query<TicketQuery>,
) -> Result<HttpResponse, AppError> {
    match redemption::look_up(&state, &query.ticket).await? {
        Ticket::Invalid => invalid_link_in(&session, page_language(&state, accept, None).await?),
        Ticket::Replaced => replaced(&session, page_language(&state, accept, None).await?),
        Ticket::Accepted => Ok(see_other("/signin?next=%2Fmyapps")),
        Ticket::DomainClosed { domain } => {
            let language = page_language(&state, accept, None).await?;
            domain_closed(&state, &session, language, &domain).await
        }
        Ticket::Pending(row) => {
            let org = crate::services::organization::current(&state).await?;
            // Only the session learns which invitation is on screen; the
            // invitation itself stays exactly as it was.
            session.set_redemption(&Redemption {
                invitation_id: Some(row.id.clone()),
                user_id: row.user_id.clone(),
                address: row.invited_email.clone(),
                verified: false,
                language: row.language.clone(),
            })?;
            let row = *row;
            let language = page_language(&state, accept, Some(&row.language)).await?;
            let t = Tr::text(language);
            let provider_row = federation::provider_for_address(&state, &row.invited_email).await?;
            // Sign in with {provider} ends at the provider: the form may go there.
            let forms_to = provider_row.as_ref().and_then(federation::authorization_origin);
            let provider = provider_row.map(|p| (p.display_name, p.required != 0));
            let inviter = match (row.inviter_name, row.inviter_email) {
                (Some(name), Some(email)) => format!("{name} ({email})"),
                (Some(name), None) => name,
                _ => t.arg("redeem-an-administrator", "org", &org.name),
            };
            let sent_on = time::OffsetDateTime::from_unix_timestamp(row.created_at)
                .map(|at| language.format_date(at))
                .unwrap_or_default();
            let page = render(&RedeemPage {
                layout: Layout::anonymous(&org.name, &session).in_language(language),
                org_name: org.name.clone(),
                org_domain: org.primary_domain.clone(),
                inviter,
                address: row.invited_email,
                needs_code: org.requires_code_at_redemption(),
                sent_on,
                code_offered: !provider.as_ref().is_some_and(|p| p.1),
                provider,
            })?;
            Ok(crate::web::oidc::let_forms_reach(page, forms_to.as_deref()))
        }
    }
}

fn replaced(session: &TypedSession, language: Language) -> Result<HttpResponse, AppError> {
    message_page_in(
        session,
        StatusCode::GONE,
        language,
        &crate::i18n::text(language, "guest-replaced-title"),
        &crate::i18n::text(language, "guest-replaced"),
        None,
    )
}

/// The redemption in the session, still pending, or the page that says why not.
pub(crate) async fn pending(
    state: &AppState,
    session: &TypedSession,
) -> Result<Result<Redemption, HttpResponse>, AppError> {
    let Some(redemption) = session.redemption() else {
        return Ok(Err(invalid_link(session)?));
    };
    let Some(invitation_id) = redemption.invitation_id.clone() else {
        // A returning guest asked to accept changed terms: no invitation.
        return Ok(Ok(redemption));
    };
    match redemption::look_up_id(state, &invitation_id).await? {
        Ticket::Pending(_) => Ok(Ok(redemption)),
        Ticket::Replaced => Ok(Err(replaced(session, Language::from_code(&redemption.language))?)),
        Ticket::Accepted => Ok(Err(see_other("/signin?next=%2Fmyapps"))),
        Ticket::Invalid => Ok(Err(invalid_link(session)?)),
        Ticket::DomainClosed { domain } => {
            let language = Language::from_code(&redemption.language);
            Ok(Err(domain_closed(state, session, language, &domain).await?))
        }
    }
}

/// The collaboration restrictions no longer admit the invited domain.
async fn domain_closed(
    state: &AppState,
    session: &TypedSession,
    language: Language,
    domain: &str,
) -> Result<HttpResponse, AppError> {
    let org = crate::services::organization::current(state).await?;
    message_page_in(
        session,
        StatusCode::FORBIDDEN,
        language,
        &crate::i18n::text(language, "guest-domain-closed-title"),
        &crate::i18n::text_with(
            language,
            "guest-domain-closed",
            &[("org", &org.name), ("domain", domain)],
        ),
        None,
    )
}

#[derive(Deserialize)]
pub struct NoFields {}

/// When the invited domain's identity provider is required, the page that
/// says the email code is not offered.
async fn provider_required(
    state: &AppState,
    session: &TypedSession,
    address: &str,
) -> Result<Option<HttpResponse>, AppError> {
    match federation::provider_for_address(state, address).await? {
        Some(p) if p.required != 0 => Ok(Some(message_page(
            session,
            StatusCode::FORBIDDEN,
            "Sign in with your identity provider",
            &format!(
                "Guests from this domain sign in with {}: the email one-time passcode is not offered. \
                 Open the invitation link again and choose Sign in with {}.",
                p.display_name, p.display_name
            ),
            None,
        )?)),
        _ => Ok(None),
    }
}

/// Send code: a one-time passcode to the invited address.
pub async fn send_code(
    state: web::Data<AppState>,
    session: TypedSession,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let redemption = match pending(&state, &session).await? {
        Ok(r) => r,
        Err(page) => return Ok(page),
    };
    if let Some(page) = provider_required(&state, &session, &redemption.address).await? {
        return Ok(page);
    }
    let key = redemption.address.to_lowercase();
    if let Err(wait) = state.limits.code_per_address.check(&key).await {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    redemption::send_code(&state, Purpose::Redeem, &redemption.address, &redemption.user_id).await?;
    Ok(see_other("/redeem/verify"))
}

#[derive(Template)]
#[template(path = "guest/enter_code.html")]
pub struct EnterCodePage {
    pub layout: Layout,
    pub intro: String,
    pub error: Option<String>,
    pub action: &'static str,
    pub submit_label: String,
    pub resend_action: Option<&'static str>,
    pub resend_address: Option<String>,
}

fn code_page(session: &TypedSession, address: &str, error: Option<&str>, language: Language) -> EnterCodePage {
    let t = Tr::text(language);
    EnterCodePage {
        layout: Layout::anonymous(&t.get("code-page-title"), session).in_language(language),
        intro: t.arg("code-page-sent", "address", address),
        error: error.map(|key| t.get(key)),
        action: "/redeem/verify",
        submit_label: t.get("code-page-verify"),
        resend_action: Some("/redeem/code"),
        resend_address: None,
    }
}

pub async fn verify_form(
    state: web::Data<AppState>,
    session: TypedSession,
    accept: AcceptLanguage,
) -> Result<HttpResponse, AppError> {
    let redemption = match pending(&state, &session).await? {
        Ok(r) => r,
        Err(page) => return Ok(page),
    };
    let language = page_language(&state, accept, Some(&redemption.language)).await?;
    render(&code_page(&session, &redemption.address, None, language))
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The messages (their keys) for a wrong code and for one that no longer works.
pub const WRONG_CODE: &str = "code-page-wrong";
pub const NEW_CODE_NEEDED: &str = "code-page-new-needed";

pub async fn verify_code(
    state: web::Data<AppState>,
    session: TypedSession,
    accept: AcceptLanguage,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let mut redemption = match pending(&state, &session).await? {
        Ok(r) => r,
        Err(page) => return Ok(page),
    };
    let error = match redemption::check_code(&state, Purpose::Redeem, &redemption.address, &form.code).await? {
        CodeCheck::Right(user_id) if user_id == redemption.user_id => {
            redemption.verified = true;
            session.set_redemption(&redemption)?;
            return Ok(see_other("/redeem/consent"));
        }
        CodeCheck::Right(_) | CodeCheck::NeedNew => NEW_CODE_NEEDED,
        CodeCheck::Wrong => WRONG_CODE,
    };
    let language = page_language(&state, accept, Some(&redemption.language)).await?;
    render_with(
        &code_page(&session, &redemption.address, Some(error), language),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// Continue without a code, when the organization turned the code off.
pub async fn continue_without_code(
    state: web::Data<AppState>,
    session: TypedSession,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let mut redemption = match pending(&state, &session).await? {
        Ok(r) => r,
        Err(page) => return Ok(page),
    };
    if let Some(page) = provider_required(&state, &session, &redemption.address).await? {
        return Ok(page);
    }
    if crate::services::organization::current(&state)
        .await?
        .requires_code_at_redemption()
    {
        return Ok(see_other("/redeem/verify"));
    }
    redemption.verified = true;
    session.set_redemption(&redemption)?;
    Ok(see_other("/redeem/consent"))
}
