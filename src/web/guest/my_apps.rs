//! My Apps: the page a guest lands on after accepting, and every user's
//! list of the apps assigned to them or to their groups.

use actix_web::HttpResponse;
use askama::Template;

use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::extractors::CurrentUser;
use crate::web::language::AcceptLanguage;
use crate::web::layout::{Layout, Section, render};

#[derive(Template)]
#[template(path = "guest/my_apps.html")]
struct MyAppsPage {
    layout: Layout,
    org_name: String,
    apps: Vec<crate::store::assignments::AppTile>,
}

/// My Apps: the visible apps assigned to the user or to any of their groups.
pub async fn my_apps(
    user: CurrentUser,
    state: actix_web::web::Data<AppState>,
    accept: AcceptLanguage,
) -> Result<HttpResponse, AppError> {
    let org = crate::services::organization::current(&state).await?;
    let mut conn = state.db.pool().acquire().await?;
    let apps = crate::store::assignments::my_apps(&mut conn, &user.user.id).await?;
    drop(conn);
    let language = accept.or(org.language());
    let mut layout =
        Layout::signed_in(&crate::i18n::text(language, "page-my-apps"), &user, Section::MyApps).in_language(language);
    layout.may_invite_guests = super::invite_guest::may_invite(&state, &user).await?;
    render(&MyAppsPage {
        layout,
        org_name: org.name,
        apps,
    })
}
