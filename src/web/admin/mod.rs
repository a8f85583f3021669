//! The admin portal. Every handler names the permission it needs in its
//! extractor, so a route without a role check does not compile into it.

pub mod all_users;
pub mod apps;
pub mod assignments;
pub mod audit;
pub mod audit_export;
pub mod b2b_collaboration;
pub mod bulk_invite;
pub mod deleted_users;
pub mod group_members;
pub mod groups;
pub mod identity_providers;
pub mod invite;
pub mod log_export;
pub mod overview;
pub mod picker;
pub mod roles;
pub mod settings;
pub mod sign_in_logs;
pub mod sign_in_logs_export;
pub mod users;

use crate::web::routes::route_table;

route_table!(ROUTES, routes, "/admin", {
    get "" => overview::overview,
    get "/" => overview::overview,
    get "/users" => all_users::all_users,
    get "/users/invite" => invite::invite_form,
    post "/users/invite" => invite::invite_user,
    post "/users/invite/review" => invite::review_invite,
    post "/users/invite/edit" => invite::edit_invite,
    get "/users/new" => users::new_user_form,
    post "/users/new" => users::create_user,
    // Before "/users/{id}", which would otherwise take "deleted" for an id.
    get "/users/bulk-invite" => bulk_invite::bulk_invite_page,
    post "/users/bulk-invite" => bulk_invite::upload,
    get "/users/bulk-invite/template.csv" => bulk_invite::download_template,
    get "/users/bulk-invite/{id}" => bulk_invite::validated,
    post "/users/bulk-invite/{id}/submit" => bulk_invite::submit,
    get "/users/bulk-operations" => bulk_invite::results_page,
    get "/users/bulk-operations/{id}" => bulk_invite::job_page,
    get "/users/bulk-operations/{id}/progress" => bulk_invite::job_progress,
    get "/users/bulk-operations/{id}/results.csv" => bulk_invite::results_csv,
    get "/users/deleted" => deleted_users::deleted_users,
    get "/users/deleted/{id}/restore" => deleted_users::restore_form,
    post "/users/deleted/{id}/restore" => deleted_users::restore_user,
    get "/users/deleted/{id}/delete" => deleted_users::delete_permanently_form,
    post "/users/deleted/{id}/delete" => deleted_users::delete_permanently,
    get "/users/{id}" => users::user_profile,
    get "/users/{id}/edit" => users::edit_form,
    post "/users/{id}/edit" => users::edit_user,
    post "/users/{id}/reset-password" => users::reset_password,
    get "/users/{id}/delete" => users::delete_form,
    post "/users/{id}/delete" => users::delete_user,
    post "/users/{id}/resend" => b2b_collaboration::resend,
    get "/users/{id}/reset-redemption" => b2b_collaboration::reset_form,
    post "/users/{id}/reset-redemption" => b2b_collaboration::reset,
    get "/users/{id}/redemption-url" => b2b_collaboration::redemption_url_form,
    post "/users/{id}/redemption-url" => b2b_collaboration::create_redemption_url,
    get "/apps/{id}/assignments" => assignments::users_and_groups,
    get "/apps/{id}/assignments/add" => assignments::add_assignment_form,
    post "/apps/{id}/assignments/add" => assignments::assign,
    get "/apps/{id}/assignments/{aid}/edit" => assignments::edit_form,
    post "/apps/{id}/assignments/{aid}/edit" => assignments::change_role,
    post "/apps/{id}/assignments/{aid}/remove" => assignments::remove,
    get "/groups" => groups::all_groups,
    get "/groups/new" => groups::new_group_form,
    post "/groups/new" => groups::create_group,
    post "/groups/new/validate" => groups::validate_new_rule,
    get "/groups/{id}" => groups::group_page,
    get "/groups/{id}/edit" => groups::edit_form,
    post "/groups/{id}/edit" => groups::update_group,
    post "/groups/{id}/edit/validate" => groups::validate_edited_rule,
    get "/groups/{id}/delete" => groups::delete_form,
    post "/groups/{id}/delete" => groups::delete_group,
    get "/groups/{id}/members" => group_members::members,
    get "/groups/{id}/members/add" => group_members::add_members_form,
    post "/groups/{id}/members/add" => group_members::add_members,
    post "/groups/{id}/members/remove" => group_members::remove_member,
    get "/apps" => apps::all_apps,
    get "/apps/new" => apps::new_app_form,
    post "/apps/new" => apps::create_custom_app,
    get "/apps/new/{key}" => apps::gallery_create_form,
    post "/apps/new/{key}" => apps::create_gallery_app,
    get "/apps/{id}" => apps::app_properties,
    post "/apps/{id}" => apps::save_properties,
    get "/apps/{id}/delete" => apps::delete_form,
    post "/apps/{id}/delete" => apps::delete_app,
    get "/apps/{id}/roles" => apps::roles_page,
    post "/apps/{id}/roles" => apps::add_role,
    get "/apps/{id}/roles/{role_id}" => apps::edit_role_form,
    post "/apps/{id}/roles/{role_id}" => apps::save_role,
    post "/apps/{id}/roles/{role_id}/enabled" => apps::set_role_enabled,
    get "/apps/{id}/single-sign-on" => apps::single_sign_on_page,
    post "/apps/{id}/single-sign-on" => apps::save_single_sign_on,
    get "/apps/{id}/credentials" => apps::credentials_page,
    post "/apps/{id}/credentials/new" => apps::new_client_secret,
    get "/apps/{id}/credentials/{secret_id}/delete" => apps::delete_secret_form,
    post "/apps/{id}/credentials/{secret_id}/delete" => apps::delete_secret,
    get "/apps/{id}/api-permissions" => apps::api_permissions_page,
    post "/apps/{id}/api-permissions/add" => apps::add_permissions,
    get "/apps/{id}/api-permissions/consent" => apps::consent_form,
    post "/apps/{id}/api-permissions/consent" => apps::grant_consent,
    post "/apps/{id}/api-permissions/{permission}/revoke" => apps::revoke_consent,
    post "/apps/{id}/api-permissions/{permission}/remove" => apps::remove_permission,
    get "/settings" => settings::settings_index,
    get "/settings/organization" => settings::organization_form,
    post "/settings/organization" => settings::save_organization,
    get "/settings/collaboration" => settings::collaboration_form,
    post "/settings/collaboration" => settings::save_collaboration,
    get "/identity-providers" => identity_providers::all_identity_providers,
    post "/identity-providers/email-one-time-passcode" => identity_providers::save_email_otp,
    get "/identity-providers/new" => identity_providers::new_form,
    post "/identity-providers/new" => identity_providers::create,
    get "/identity-providers/{id}" => identity_providers::edit_form,
    post "/identity-providers/{id}" => identity_providers::update,
    get "/identity-providers/{id}/delete" => identity_providers::delete_form,
    post "/identity-providers/{id}/delete" => identity_providers::delete,
    get "/audit" => audit::audit_logs,
    get "/audit/export.csv" => audit_export::export_audit_csv,
    get "/sign-in-logs" => sign_in_logs::sign_in_logs,
    get "/sign-in-logs/export" => sign_in_logs_export::export_sign_in_logs_csv,
    get "/roles" => roles::roles_page,
    post "/roles/add" => roles::add_role,
    post "/roles/remove" => roles::remove_role,
});
