//! The admin portal. Every handler names the permission it needs in its
//! extractor, so a route without a role check does not compile into it.

pub mod audit;
pub mod directory;
pub mod invite;
pub mod roles;
pub mod sections;
pub mod settings;
pub mod users;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(sections::overview))
        .route("/", web::get().to(sections::overview))
        .route("/users", web::get().to(directory::all_users))
        .route("/users/invite", web::get().to(invite::invite_form))
        .route("/users/invite", web::post().to(invite::invite_user))
        .route("/users/invite/review", web::post().to(invite::review_invite))
        .route("/users/invite/edit", web::post().to(invite::edit_invite))
        .route("/users/new", web::get().to(users::new_user_form))
        .route("/users/new", web::post().to(users::create_user))
        .route("/users/{id}", web::get().to(users::user_profile))
        .route("/users/{id}/edit", web::get().to(users::edit_form))
        .route("/users/{id}/edit", web::post().to(users::edit_user))
        .route("/users/{id}/reset-password", web::post().to(users::reset_password))
        .route("/users/{id}/delete", web::get().to(users::delete_form))
        .route("/users/{id}/delete", web::post().to(users::delete_user))
        .route("/groups", web::get().to(sections::all_groups))
        .route("/apps", web::get().to(sections::enterprise_apps))
        .route("/settings", web::get().to(settings::settings_index))
        .route("/settings/organization", web::get().to(settings::organization_form))
        .route("/settings/organization", web::post().to(settings::save_organization))
        .route("/settings/collaboration", web::get().to(settings::collaboration_form))
        .route("/settings/collaboration", web::post().to(settings::save_collaboration))
        .route("/audit", web::get().to(audit::audit_logs))
        .route("/roles", web::get().to(roles::roles_page))
        .route("/roles/add", web::post().to(roles::add_role))
        .route("/roles/remove", web::post().to(roles::remove_role));
}
