//! The admin shell's landing route.

use actix_web::HttpResponse;

use crate::domain::Permission;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::AdminPortal;
use crate::web::layout::see_other;

/// `/admin`: the first section this admin may open.
pub async fn overview(admin: Authorized<AdminPortal>) -> HttpResponse {
    let target = if admin.may(Permission::ReadUsers) {
        "/admin/users"
    } else {
        "/myapps"
    };
    see_other(target)
}
