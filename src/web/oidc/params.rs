//! Protocol parameters as they arrive: a query string or a form body,
//! where a parameter given twice is an error (RFC 6749 §3.1).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, dev::Payload};

use crate::web::error::AppError;

/// The raw parameter text of a protocol request: the query string of a
/// GET, the form body of a POST (the endpoints take both).
pub struct RawParams(pub String);

impl FromRequest for RawParams {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.method() == Method::POST {
            let body = String::from_request(req, payload);
            Box::pin(async move { body.await.map(RawParams).map_err(|_| AppError::PayloadTooLarge) })
        } else {
            let query = req.query_string().to_owned();
            Box::pin(async move { Ok(RawParams(query)) })
        }
    }
}

pub struct Params(HashMap<String, String>);

/// At most this many characters in one parameter: longer ones are refused.
pub const VALUE_MAX: usize = 4096;

impl Params {
    /// Parses `application/x-www-form-urlencoded` text. Err names the
    /// offending parameter.
    pub fn parse(text: &str) -> Result<Self, String> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(text).map_err(|_| "The request parameters could not be read.".to_string())?;
        let mut map = HashMap::new();
        for (name, value) in pairs {
            if value.len() > VALUE_MAX {
                return Err(format!("The parameter '{name}' is too long."));
            }
            if map.insert(name.clone(), value).is_some() {
                return Err(format!("The parameter '{name}' was given more than once."));
            }
        }
        Ok(Self(map))
    }

    /// A parameter; an empty value counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// `base` with `pairs` added to its query string.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let encoded = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if encoded.is_empty() {
        return base.to_owned();
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_and_empty_values_are_absent() {
        assert!(Params::parse("a=1&a=2").is_err());
        let p = Params::parse("a=1&b=&c=x+y").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        assert_eq!(
            with_query("https://a/cb?x=1", &[("code", "a b")]),
            "https://a/cb?x=1&code=a+b"
        );
        assert_eq!(with_query("https://a/cb", &[("state", "s")]), "https://a/cb?state=s");
    }
}
