//! The start page: where `/` sends a signed-in user.

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::domain::Permission;
use crate::web::extractors::CurrentUser;

/// `/`: admins land on All users, everyone else on My Apps.
pub async fn start_page(user: CurrentUser) -> HttpResponse {
    let target = if user.may(Permission::ReadUsers) {
        "/admin/users"
    } else {
        "/myapps"
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish()
}
