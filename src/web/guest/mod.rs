//! The guest's pages: redemption, sign-in with a code, My Apps,
//! Organizations.

pub mod consent;
pub mod federation;
pub mod invite_guest;
pub mod my_apps;
pub mod organizations;
pub mod redeem;
pub mod signin_code;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::app::AppState;
use crate::domain::language::Language;
use crate::web::error::AppError;
use crate::web::language::AcceptLanguage;
use crate::web::layout::{Layout, render_with};
use crate::web::session::TypedSession;

pub struct Link {
    pub label: String,
    pub href: &'static str,
}

/// A guest page's language: the browser's, else the invitation's (when the
/// page belongs to one), else the organization's.
pub async fn page_language(
    state: &AppState,
    accept: AcceptLanguage,
    invitation: Option<&str>,
) -> Result<Language, AppError> {
    if let Some(language) = accept.0.or_else(|| invitation.and_then(Language::from_tag)) {
        return Ok(language);
    }
    Ok(crate::services::organization::current(state).await?.language())
}

#[derive(Template)]
#[template(path = "guest/message.html")]
struct MessagePage {
    layout: Layout,
    heading: String,
    message: String,
    link: Option<Link>,
}

/// A page with one message (and a way on), for the guest's dead ends.
pub fn message_page(
    session: &TypedSession,
    status: StatusCode,
    heading: &str,
    message: &str,
    link: Option<Link>,
) -> Result<HttpResponse, AppError> {
    message_page_in(session, status, Language::English, heading, message, link)
}

/// `message_page` in the guest's language (the text already in it).
pub fn message_page_in(
    session: &TypedSession,
    status: StatusCode,
    language: Language,
    heading: &str,
    message: &str,
    link: Option<Link>,
) -> Result<HttpResponse, AppError> {
    render_with(
        &MessagePage {
            layout: Layout::anonymous(heading, session).in_language(language),
            heading: heading.to_owned(),
            message: message.to_owned(),
            link,
        },
        status,
    )
}

/// The one answer for a link that is unknown or whose user was deleted:
/// it must not say which.
pub fn invalid_link(session: &TypedSession) -> Result<HttpResponse, AppError> {
    invalid_link_in(session, Language::English)
}

pub fn invalid_link_in(session: &TypedSession, language: Language) -> Result<HttpResponse, AppError> {
    message_page_in(
        session,
        StatusCode::GONE,
        language,
        &crate::i18n::text(language, "guest-invalid-link-title"),
        &crate::i18n::text(language, "guest-invalid-link"),
        None,
    )
}
