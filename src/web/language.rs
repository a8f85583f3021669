//! The language a guest's browser asks for (`Accept-Language`), for the
//! guest's pages; the page falls back to the invitation's language (on the
//! redeem page), then the organization's.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{FromRequest, HttpRequest, dev::Payload};

use crate::domain::language::Language;

/// The best supported language of the request's `Accept-Language`.
#[derive(Clone, Copy, Debug)]
pub struct AcceptLanguage(pub Option<Language>);

impl AcceptLanguage {
    pub fn of(req: &HttpRequest) -> Self {
        Self(
            req.headers()
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Language::negotiate),
        )
    }

    /// The browser's language, else `fallback`.
    pub fn or(self, fallback: Language) -> Language {
        self.0.unwrap_or(fallback)
    }
}

impl FromRequest for AcceptLanguage {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}
