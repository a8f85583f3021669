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
pub mod guest;
pub mod health;
pub mod home;
pub mod layout;
pub mod middleware;
pub mod session;
pub mod state;

use actix_web::middleware::from_fn;
use actix_web::web;

/// Every route of the portal.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::start_page))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/{file:.*}", web::get().to(assets::static_file))
        .service(
            web::resource("/signin")
                .wrap(from_fn(middleware::limit_signin_per_ip))
                .route(web::get().to(auth::signin_form))
                .route(web::post().to(auth::signin)),
        )
        .service(
            web::scope("/signin/code")
                .wrap(from_fn(middleware::limit_guest_flow_per_ip))
                .route("", web::post().to(guest::signin_code::request_code))
                .route("/verify", web::post().to(guest::signin_code::verify_code)),
        )
        .service(
            web::scope("/redeem")
                .wrap(from_fn(middleware::limit_guest_flow_per_ip))
                .route("", web::get().to(guest::redeem::redeem_page))
                .route("/code", web::post().to(guest::redeem::send_code))
                .route("/verify", web::get().to(guest::redeem::verify_form))
                .route("/verify", web::post().to(guest::redeem::verify_code))
                .route("/continue", web::post().to(guest::redeem::continue_without_code))
                .route("/consent", web::get().to(guest::redeem::consent_page))
                .route("/accept", web::post().to(guest::redeem::accept))
                .route("/cancel", web::post().to(guest::redeem::cancel)),
        )
        .route(
            "/account/organizations",
            web::get().to(guest::organizations::organizations),
        )
        .route(
            "/account/organizations/leave",
            web::get().to(guest::organizations::leave_form),
        )
        .route(
            "/account/organizations/leave",
            web::post().to(guest::organizations::leave),
        )
        .route("/signout", web::post().to(auth::signout))
        .route("/account/password", web::get().to(auth::change_password_form))
        .route("/account/password", web::post().to(auth::change_password))
        .route("/myapps", web::get().to(home::my_apps))
        .route("/apps/{id}/logo", web::get().to(admin::apps::app_logo))
        .route("/invitations/block", web::get().to(block::block_page))
        .route("/invitations/block", web::post().to(block::confirm_block))
        .service(web::scope("/admin").configure(admin::routes))
        .service(web::scope("/dev").configure(dev_mailbox::routes));
}
