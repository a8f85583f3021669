//! Stylesheet and images, compiled into the binary (no build step, no CDN)
//! and served with long cache lifetimes.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::web::error::AppError;

const FILES: &[(&str, &str, &str)] = &[
    (
        "css/vestibule.css",
        "text/css; charset=utf-8",
        include_str!("../../static/css/vestibule.css"),
    ),
    (
        "js/form_post.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/js/form_post.js"),
    ),
    (
        "js/bulk_progress.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/js/bulk_progress.js"),
    ),
    (
        "img/favicon.svg",
        "image/svg+xml",
        include_str!("../../static/img/favicon.svg"),
    ),
];

pub async fn static_file(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, content_type, body) = FILES
        .iter()
        .find(|(name, _, _)| *name == path.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(*body))
}
