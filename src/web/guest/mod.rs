//! The guest's pages: redemption, sign-in with a code, My Apps,
//! Organizations.

pub mod federation;
pub mod invite_guest;
pub mod my_apps;
pub mod organizations;
pub mod redeem;
pub mod signin_code;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::web::error::AppError;
use crate::web::layout::{Layout, render_with};
use crate::web::session::TypedSession;

pub struct Link {
    pub label: &'static str,
    pub href: &'static str,
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
    render_with(
        &MessagePage {
            layout: Layout::anonymous(heading, session),
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
    message_page(
        session,
        StatusCode::GONE,
        "This invitation link is not valid",
        "The link may be incomplete, or the invitation no longer exists. Ask the person who invited you for a new invitation.",
        None,
    )
}
