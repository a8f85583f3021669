//! The admin portal. Every handler names the permission it needs in its
//! extractor, so a route without a role check does not compile into it.

pub mod audit;
pub mod roles;
pub mod sections;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(sections::overview))
        .route("/", web::get().to(sections::overview))
        .route("/users", web::get().to(sections::all_users))
        .route("/groups", web::get().to(sections::all_groups))
        .route("/apps", web::get().to(sections::enterprise_apps))
        .route("/settings", web::get().to(sections::settings))
        .route("/audit", web::get().to(audit::audit_logs))
        .route("/roles", web::get().to(roles::roles_page))
        .route("/roles/add", web::post().to(roles::add_role))
        .route("/roles/remove", web::post().to(roles::remove_role));
}
