//! Organizations, from the user menu: where a guest can leave.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::app::AppState;
use crate::domain::UserType;
use crate::services::redemption;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::CurrentUser;
use crate::web::guest::{Link, message_page};
use crate::web::layout::{Layout, Section, render};

#[derive(Template)]
#[template(path = "guest/organizations.html")]
struct OrganizationsPage {
    layout: Layout,
    org_name: String,
    org_domain: String,
    relation: &'static str,
    is_guest: bool,
    can_leave: bool,
}

pub async fn organizations(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let org = crate::services::organization::current(&state).await?;
    let is_guest = user.user.user_type == UserType::Guest;
    render(&OrganizationsPage {
        layout: Layout::signed_in("Organizations", &user, Section::None),
        can_leave: is_guest && org.lets_guests_leave(),
        relation: if is_guest { "guest" } else { "member" },
        is_guest,
        org_name: org.name,
        org_domain: org.primary_domain,
    })
}

#[derive(Template)]
#[template(path = "guest/leave.html")]
struct LeavePage {
    layout: Layout,
    org_name: String,
}

pub async fn leave_form(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let org = crate::services::organization::current(&state).await?;
    if user.user.user_type != UserType::Guest || !org.lets_guests_leave() {
        return Err(AppError::Denied(
            "Leaving is not available here: ask an administrator.".into(),
        ));
    }
    render(&LeavePage {
        layout: Layout::signed_in("Leave organization", &user, Section::None),
        org_name: org.name,
    })
}

#[derive(serde::Deserialize)]
pub struct NoFields {}

pub async fn leave(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    redemption::leave(&state, &user.user, crate::web::middleware::client_ip(&req)).await?;
    let org = crate::services::organization::current(&state).await?;
    user.session.sign_out();
    message_page(
        &user.session,
        StatusCode::OK,
        "You left the organization",
        &format!(
            "You no longer have access to {}. To come back you need a new invitation.",
            org.name
        ),
        Some(Link {
            label: "Go to sign in".into(),
            href: "/signin",
        }),
    )
}
