//! The admin portal. Every handler names the permission it needs in its
//! extractor, so a route without a role check does not compile into it.

pub mod apps;
pub mod assignments;
pub mod audit;
pub mod audit_export;
pub mod b2b;
pub mod deleted_users;
pub mod directory;
pub mod group_members;
pub mod groups;
pub mod invite;
pub mod picker;
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
        // Before "/users/{id}", which would otherwise take "deleted" for an id.
        .route("/users/deleted", web::get().to(deleted_users::deleted_users))
        .route(
            "/users/deleted/{id}/restore",
            web::get().to(deleted_users::restore_form),
        )
        .route(
            "/users/deleted/{id}/restore",
            web::post().to(deleted_users::restore_user),
        )
        .route(
            "/users/deleted/{id}/delete",
            web::get().to(deleted_users::delete_permanently_form),
        )
        .route(
            "/users/deleted/{id}/delete",
            web::post().to(deleted_users::delete_permanently),
        )
        .route("/users/{id}", web::get().to(users::user_profile))
        .route("/users/{id}/edit", web::get().to(users::edit_form))
        .route("/users/{id}/edit", web::post().to(users::edit_user))
        .route("/users/{id}/reset-password", web::post().to(users::reset_password))
        .route("/users/{id}/delete", web::get().to(users::delete_form))
        .route("/users/{id}/delete", web::post().to(users::delete_user))
        .route("/users/{id}/resend", web::post().to(b2b::resend))
        .route("/users/{id}/reset-redemption", web::get().to(b2b::reset_form))
        .route("/users/{id}/reset-redemption", web::post().to(b2b::reset))
        .route("/users/{id}/redemption-url", web::get().to(b2b::redemption_url_form))
        .route("/users/{id}/redemption-url", web::post().to(b2b::create_redemption_url))
        .route("/apps/{id}/assignments", web::get().to(assignments::users_and_groups))
        .route(
            "/apps/{id}/assignments/add",
            web::get().to(assignments::add_assignment_form),
        )
        .route("/apps/{id}/assignments/add", web::post().to(assignments::assign))
        .route(
            "/apps/{id}/assignments/{aid}/edit",
            web::get().to(assignments::edit_form),
        )
        .route(
            "/apps/{id}/assignments/{aid}/edit",
            web::post().to(assignments::change_role),
        )
        .route(
            "/apps/{id}/assignments/{aid}/remove",
            web::post().to(assignments::remove),
        )
        .route("/groups", web::get().to(groups::all_groups))
        .route("/groups/new", web::get().to(groups::new_group_form))
        .route("/groups/new", web::post().to(groups::create_group))
        .route("/groups/new/validate", web::post().to(groups::validate_new_rule))
        .route("/groups/{id}", web::get().to(groups::group_page))
        .route("/groups/{id}/edit", web::get().to(groups::edit_form))
        .route("/groups/{id}/edit", web::post().to(groups::update_group))
        .route(
            "/groups/{id}/edit/validate",
            web::post().to(groups::validate_edited_rule),
        )
        .route("/groups/{id}/delete", web::get().to(groups::delete_form))
        .route("/groups/{id}/delete", web::post().to(groups::delete_group))
        .route("/groups/{id}/members", web::get().to(group_members::members))
        .route(
            "/groups/{id}/members/add",
            web::get().to(group_members::add_members_form),
        )
        .route("/groups/{id}/members/add", web::post().to(group_members::add_members))
        .route(
            "/groups/{id}/members/remove",
            web::post().to(group_members::remove_member),
        )
        .route("/apps", web::get().to(apps::all_apps))
        .route("/apps/new", web::get().to(apps::new_app_form))
        .route("/apps/new", web::post().to(apps::create_custom_app))
        .route("/apps/new/{key}", web::get().to(apps::gallery_create_form))
        .route("/apps/new/{key}", web::post().to(apps::create_gallery_app))
        .route("/apps/{id}", web::get().to(apps::app_properties))
        .route("/apps/{id}", web::post().to(apps::save_properties))
        .route("/apps/{id}/delete", web::get().to(apps::delete_form))
        .route("/apps/{id}/delete", web::post().to(apps::delete_app))
        .route("/apps/{id}/roles", web::get().to(apps::roles_page))
        .route("/apps/{id}/roles", web::post().to(apps::add_role))
        .route("/apps/{id}/roles/{role_id}", web::get().to(apps::edit_role_form))
        .route("/apps/{id}/roles/{role_id}", web::post().to(apps::save_role))
        .route(
            "/apps/{id}/roles/{role_id}/enabled",
            web::post().to(apps::set_role_enabled),
        )
        .route("/settings", web::get().to(settings::settings_index))
        .route("/settings/organization", web::get().to(settings::organization_form))
        .route("/settings/organization", web::post().to(settings::save_organization))
        .route("/settings/collaboration", web::get().to(settings::collaboration_form))
        .route("/settings/collaboration", web::post().to(settings::save_collaboration))
        .route("/audit", web::get().to(audit::audit_logs))
        .route("/audit/export.csv", web::get().to(audit_export::export_audit_csv))
        .route("/roles", web::get().to(roles::roles_page))
        .route("/roles/add", web::post().to(roles::add_role))
        .route("/roles/remove", web::post().to(roles::remove_role));
}
