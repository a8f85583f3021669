//! Review permissions: the last step of a redemption, once the invited
//! address is proven (by code, or at the guest's identity provider).
//! Accept lets the guest in and signs them in under a new session id;
//! Cancel shares nothing and changes nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::app::AppState;
use crate::domain::language::Language;
use crate::i18n::Tr;
use crate::services::ServiceError;
use crate::services::redemption;
use crate::services::sign_in_log;
use crate::store::sign_in_log::SignInEntry;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::state;
use crate::web::guest::redeem::{NoFields, pending};
use crate::web::guest::{Link, invalid_link, message_page_in, page_language};
use crate::web::language::AcceptLanguage;
use crate::web::layout::{Layout, render, see_other};
use crate::web::middleware::client_ip;
use crate::web::session::{Redemption, TypedSession};

#[derive(Template)]
#[template(path = "guest/consent.html")]
struct ConsentPage {
    layout: Layout,
    org_name: String,
    org_domain: String,
    name: String,
    address: String,
    privacy_url: Option<String>,
    terms: Option<String>,
}

impl ConsentPage {
    /// "You should only accept if you trust …. Read …'s privacy statement."
    fn privacy_html(&self, url: &str) -> String {
        let t = self.layout.t;
        let link = format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{}</a>",
            crate::i18n::escape_html(url),
            t.arg("consent-privacy-statement", "org", &self.org_name)
        );
        t.with_link("consent-trust", &link, &[("org", &self.org_name)])
    }
}

/// A verified redemption, or the page to show instead.
async fn verified(state: &AppState, session: &TypedSession) -> Result<Result<Redemption, HttpResponse>, AppError> {
    Ok(match pending(state, session).await? {
        Ok(r) if r.verified => Ok(r),
        Ok(_) => Err(see_other("/redeem/verify")),
        Err(page) => Err(page),
    })
}

/// Review permissions.
pub async fn consent_page(
    state: web::Data<AppState>,
    session: TypedSession,
    accept: AcceptLanguage,
) -> Result<HttpResponse, AppError> {
    let redemption = match verified(&state, &session).await? {
        Ok(r) => r,
        Err(page) => return Ok(page),
    };
    let org = crate::services::organization::current(&state).await?;
    let mut conn = state.db.pool().acquire().await?;
    let user = crate::store::users::find_active(&mut conn, &redemption.user_id).await?;
    drop(conn);
    let Some(user) = user else {
        return invalid_link(&session);
    };
    let language = page_language(&state, accept, Some(&redemption.language)).await?;
    let page = render(&ConsentPage {
        layout: Layout::anonymous(&Tr::text(language).get("consent-title"), &session).in_language(language),
        org_name: org.name,
        org_domain: org.primary_domain,
        name: user.display_name,
        address: redemption.address,
        privacy_url: org.privacy_statement_url,
        terms: org.terms_of_use,
    })?;
    // Accept goes on to the application whose sign-in is waiting, if any.
    crate::web::oidc::forms_may_reach(&state, session.return_to().as_deref(), page).await
}

#[derive(Template)]
#[template(path = "guest/continue.html")]
struct ContinuePage {
    layout: Layout,
    org_name: String,
    url: String,
}

/// Accept: the guest is in, signed in under a new session id.
pub async fn accept(
    req: actix_web::HttpRequest,
    session: TypedSession,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let state = state(&req)?;
    let redemption = match verified(&state, &session).await? {
        Ok(r) => r,
        Err(page) => return Ok(page),
    };
    let client_ip = client_ip(&req);
    let accepted = redemption::accept(
        &state,
        &redemption.user_id,
        redemption.invitation_id.as_deref(),
        client_ip.clone(),
    )
    .await;
    let (user, redirect) = match accepted {
        Ok(done) => done,
        Err(ServiceError::Refused(_)) => return Ok(see_other("/signin?next=%2Fmyapps")),
        Err(ServiceError::NotFound) => return invalid_link(&session),
        Err(ServiceError::Denied(message)) => {
            // The collaboration restrictions closed the domain after the
            // page above was shown.
            let language = Language::from_code(&redemption.language);
            return message_page_in(
                &session,
                StatusCode::FORBIDDEN,
                language,
                &crate::i18n::text(language, "guest-domain-closed-title"),
                &message,
                None,
            );
        }
        Err(e) => return Err(e.into()),
    };
    let org = crate::services::organization::current(&state).await?;
    start_session(&state, &session, &user, &org, client_ip.as_deref()).await?;
    // A guest who came from an application's sign-in goes back to it.
    if let Some(back) = session.take_return_to() {
        return Ok(see_other(&back));
    }
    match redirect {
        None => Ok(see_other("/myapps")),
        Some(url) => {
            let sent_in = redemption.language.clone();
            let language = page_language(&state, AcceptLanguage::of(&req), Some(&sent_in)).await?;
            render(&ContinuePage {
                layout: Layout::anonymous(&Tr::text(language).get("continue-title"), &session).in_language(language),
                org_name: org.name,
                url: url.as_str().to_owned(),
            })
        }
    }
}

/// Cancel: nothing is shared, nothing changes.
pub async fn cancel(
    state: web::Data<AppState>,
    session: TypedSession,
    accept: AcceptLanguage,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let sent_in = session.redemption().map(|r| r.language).unwrap_or_default();
    let language = page_language(&state, accept, Some(&sent_in)).await?;
    session.clear_redemption();
    let t = Tr::text(language);
    message_page_in(
        &session,
        StatusCode::OK,
        language,
        &t.get("guest-cancelled-title"),
        &t.get("guest-cancelled"),
        Some(Link {
            label: t.get("guest-go-to-sign-in"),
            href: "/signin",
        }),
    )
}

/// After a proven address (a right code, or the guest's identity
/// provider): a guest who has not accepted (or must accept new
/// terms) goes through Review permissions first, and Accept records the
/// sign-in; others are signed in here.
pub(crate) async fn signed_in(
    state: &AppState,
    session: &TypedSession,
    address: &str,
    user_id: &str,
    client_ip: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let user = crate::store::users::find_active(&mut conn, user_id).await?;
    let invitation_id = crate::store::invitations::latest_id_for_user(&mut conn, user_id).await?;
    drop(conn);
    let user = match user {
        Some(u) if u.account_enabled => u,
        other => {
            let failure = match other {
                None => sign_in_log::USER_NOT_FOUND,
                Some(_) => sign_in_log::ACCOUNT_DISABLED,
            };
            let entry = SignInEntry {
                user_id: other.as_ref().map(|u| u.id.as_str()),
                user_name: Some(address),
                failure: Some(failure),
                client_ip,
                ..Default::default()
            };
            sign_in_log::record(state, &entry).await;
            return Ok(see_other("/signin"));
        }
    };
    let org = crate::services::organization::current(state).await?;
    if redemption::consent_needed(state, &user, &org).await? {
        let pending = user.external_user_state == Some(crate::domain::ExternalUserState::PendingAcceptance);
        session.set_redemption(&Redemption {
            invitation_id: if pending { invitation_id } else { None },
            user_id: user.id.clone(),
            address: address.to_owned(),
            verified: true,
            language: String::new(),
        })?;
        return Ok(see_other("/redeem/consent"));
    }
    start_session(state, session, &user, &org, client_ip).await?;
    let back = session.take_return_to();
    Ok(see_other(back.as_deref().unwrap_or("/myapps")))
}

/// Signs the guest in for the organization's guest session length, under a
/// new session id, and records the sign-in.
async fn start_session(
    state: &AppState,
    session: &TypedSession,
    user: &crate::store::users::User,
    org: &crate::store::organization::Organization,
    client_ip: Option<&str>,
) -> Result<(), AppError> {
    session.sign_in(
        &user.id,
        user.session_epoch,
        state.clock.now(),
        Some(org.guest_session_hours * 3600),
    )?;
    let entry = SignInEntry {
        user_id: Some(&user.id),
        user_name: Some(sign_in_log::user_name(user)),
        client_ip,
        ..Default::default()
    };
    sign_in_log::record(state, &entry).await;
    Ok(())
}
