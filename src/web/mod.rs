//! The HTTP surface: the route table, and the handlers grouped by who uses
//! them. Handlers parse input, call one service, and render or redirect.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod block;
pub mod csrf;
pub mod dev_mailbox;
pub mod error;
pub mod extractors;
pub mod graph;
pub mod guest;
pub mod health;
pub mod home;
pub mod language;
pub mod layout;
pub mod metrics;
pub mod middleware;
pub mod nul_guard;
pub mod oidc;
pub mod routes;
pub mod session;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::web::routes::route_table;

route_table!(PLAIN_ROUTES, plain_routes, "", {
    get "/" => home::start_page,
    get "/healthz" => health::healthz,
    get "/readyz" => health::readyz,
    get "/static/{file:.*}" => assets::static_file,
    get "/account/organizations" => guest::organizations::organizations,
    get "/account/invite" => guest::invite_guest::invite_guest_form,
    post "/account/invite" => guest::invite_guest::invite_guest,
    get "/account/organizations/leave" => guest::organizations::leave_form,
    post "/account/organizations/leave" => guest::organizations::leave,
    post "/signout" => auth::signout,
    get "/account/password" => auth::change_password_form,
    post "/account/password" => auth::change_password,
    get "/myapps" => guest::my_apps::my_apps,
    get "/apps/{id}/logo" => admin::apps::app_logo,
    get "/invitations/block" => block::block_page,
    post "/invitations/block" => block::confirm_block,
    get "/federation/callback" => guest::federation::callback,
});

route_table!(resource SIGNIN_ROUTES, signin_resource, "/signin", {
    get => auth::signin_form,
    post => auth::signin,
});

route_table!(SIGNIN_CODE_ROUTES, signin_code_routes, "/signin/code", {
    post "" => guest::signin_code::request_code,
    post "/verify" => guest::signin_code::verify_code,
});

route_table!(REDEEM_ROUTES, redeem_routes, "/redeem", {
    get "" => guest::redeem::redeem_page,
    post "/code" => guest::redeem::send_code,
    post "/provider" => guest::federation::start_redemption,
    get "/verify" => guest::redeem::verify_form,
    post "/verify" => guest::redeem::verify_code,
    post "/continue" => guest::redeem::continue_without_code,
    get "/consent" => guest::consent::consent_page,
    post "/accept" => guest::consent::accept,
    post "/cancel" => guest::consent::cancel,
});

/// Every route of the portal (`routes::all` lists them).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(plain_routes)
        .service(signin_resource().wrap(from_fn(middleware::limit_signin_per_ip)))
        .service(
            web::scope("/signin/code")
                .wrap(from_fn(middleware::limit_guest_flow_per_ip))
                .configure(signin_code_routes),
        )
        .service(
            web::scope("/redeem")
                .wrap(from_fn(middleware::limit_guest_flow_per_ip))
                .configure(redeem_routes),
        )
        .service(web::scope("/admin").configure(admin::routes))
        .configure(oidc::oidc_routes)
        .service(graph::scope())
        .service(web::scope("/dev").configure(dev_mailbox::routes));
}
