//! The admin shell's sections. All groups and Enterprise applications
//! say what is coming until their own work lands.

use actix_web::HttpResponse;
use askama::Template;

use crate::domain::Permission;
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::{AdminPortal, ManageApps, ManageGroups};
use crate::web::layout::{Layout, Section, render, see_other};

#[derive(Template)]
#[template(path = "admin/coming.html")]
struct ComingPage {
    layout: Layout,
    summary: &'static str,
    coming: &'static str,
}

/// `/admin`: the first section this admin may open.
pub async fn overview(admin: Authorized<AdminPortal>) -> HttpResponse {
    let target = if admin.may(Permission::ReadUsers) {
        "/admin/users"
    } else {
        "/myapps"
    };
    see_other(target)
}

pub async fn all_groups(admin: Authorized<ManageGroups>) -> Result<HttpResponse, AppError> {
    render(&ComingPage {
        layout: Layout::signed_in("All groups", &admin, Section::Groups),
        summary: "Assigned and dynamic groups of users.",
        coming: "New group, members and dynamic membership rules arrive with groups and applications.",
    })
}

pub async fn enterprise_apps(admin: Authorized<ManageApps>) -> Result<HttpResponse, AppError> {
    render(&ComingPage {
        layout: Layout::signed_in("Enterprise applications", &admin, Section::Apps),
        summary: "The applications the organization shares, their app roles and assignments.",
        coming: "The gallery, app roles and Users and groups arrive with groups and applications.",
    })
}
