//! The start page and My Apps.

use actix_web::HttpResponse;
use actix_web::http::header;
use askama::Template;

use crate::domain::Permission;
use crate::web::error::AppError;
use crate::web::extractors::CurrentUser;
use crate::web::layout::{Layout, Section, render};

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

#[derive(Template)]
#[template(path = "guest/my_apps.html")]
struct MyAppsPage {
    layout: Layout,
}

pub async fn my_apps(user: CurrentUser) -> Result<HttpResponse, AppError> {
    render(&MyAppsPage {
        layout: Layout::signed_in("My Apps", &user, Section::MyApps),
    })
}
