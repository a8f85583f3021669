//! The body of `PATCH /v1.0/users/{id}`: what the portal's Edit properties
//! changes — `displayName`, `companyName` (null clears it), `userType` and
//! `accountEnabled` (false is Block sign-in). Other user properties Graph
//! lets a PATCH change are refused with a 400 that says what is supported,
//! rather than silently kept as they were; names Graph does not know, and
//! annotations such as `@odata.type`, are ignored as Graph ignores them.
//! An empty body (or `{}`) changes nothing.

use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};
use serde_json::Value;

use super::error::GraphError;
use crate::domain::graph_query::UserProperty;
use crate::services::users::PropertyChanges;

/// Properties of a user Graph can change and Vestibule cannot: its own
/// read-only ones and those it does not keep, and a few more that user
/// scripts commonly send.
const NOT_CHANGEABLE: &[&str] = &[
    "passwordProfile",
    "passwordPolicies",
    "mailNickname",
    "proxyAddresses",
    "department",
    "usageLocation",
    "employeeId",
    "city",
    "country",
    "state",
    "streetAddress",
    "postalCode",
    "ageGroup",
    "showInAddressList",
    "onPremisesImmutableId",
];

const SUPPORTED: &str = "displayName, companyName, userType, accountEnabled and preferredLanguage";

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json") || v.to_ascii_lowercase().ends_with("+json")
        })
}

fn text(name: &str, value: &Value) -> Result<String, GraphError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        _ => Err(GraphError::bad_request(format!(
            "The property '{name}' must be a string."
        ))),
    }
}

fn refusal(name: &str) -> GraphError {
    let shown: String = name.chars().take(60).collect();
    let why = match shown.as_str() {
        "mail" | "otherMails" | "userPrincipalName" => {
            " The address is how the user signs in: to move a guest to another address, \
             POST /v1.0/invitations with resetRedemption and the new invitedUserEmailAddress."
        }
        _ => "",
    };
    GraphError::bad_request(format!(
        "The property '{shown}' cannot be changed here; PATCH changes {SUPPORTED}.{why}"
    ))
}

/// The changes a PATCH body asks for, checked before anything is read or
/// written.
pub fn read(req: &HttpRequest, body: &[u8]) -> Result<PropertyChanges, GraphError> {
    let mut changes = PropertyChanges::default();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(changes);
    }
    if !is_json(req) {
        return Err(GraphError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Request_BadRequest",
            "The request body must be JSON, sent with Content-Type: application/json.",
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let detail: String = e.to_string().chars().take(200).collect();
        GraphError::bad_request(format!("The request body could not be read: {detail}"))
    })?;
    let Value::Object(fields) = value else {
        return Err(GraphError::bad_request("The request body must be a JSON object."));
    };
    for (name, value) in &fields {
        let twice = || GraphError::bad_request(format!("The property '{name}' was given more than once."));
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        if is("displayName") {
            let name_given = changes.display_name.replace(text(name, value)?);
            if name_given.is_some() {
                return Err(twice());
            }
        } else if is("companyName") {
            let company = match value {
                Value::Null => String::new(),
                _ => text(name, value)?,
            };
            if changes.company_name.replace(company).is_some() {
                return Err(twice());
            }
        } else if is("userType") {
            let given = text(name, value)?;
            // Graph's two values, whatever their case.
            let canonical = ["Member", "Guest"]
                .into_iter()
                .find(|t| t.eq_ignore_ascii_case(given.trim()))
                .map_or(given, str::to_owned);
            if changes.user_type.replace(canonical).is_some() {
                return Err(twice());
            }
        } else if is("accountEnabled") {
            let Value::Bool(enabled) = value else {
                return Err(GraphError::bad_request(
                    "The property 'accountEnabled' must be true or false.",
                ));
            };
            if changes.account_enabled.replace(*enabled).is_some() {
                return Err(twice());
            }
        } else if is("preferredLanguage") {
            let tag = match value {
                Value::Null => String::new(),
                _ => text(name, value)?,
            };
            if changes.preferred_language.replace(tag).is_some() {
                return Err(twice());
            }
        } else if name.starts_with('@') || name.contains("@odata.") {
            // Annotations (`@odata.type`) describe the body, not the user.
        } else if UserProperty::parse(name).is_some() || NOT_CHANGEABLE.iter().any(|n| is(n)) {
            let graph_name = UserProperty::parse(name).map_or_else(|| name.clone(), |p| p.name().to_owned());
            return Err(refusal(&graph_name));
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_json(body: &str) -> Result<PropertyChanges, GraphError> {
        let req = actix_web::test::TestRequest::default()
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .to_http_request();
        read(&req, body.as_bytes())
    }

    #[test]
    fn supported_properties_are_read_and_others_ignored_or_refused() {
        let c = read_json(
            r##"{"@odata.type":"#microsoft.graph.user","displayName":"Ann","companyName":null,
                "usertype":"guest","accountEnabled":false,"futureThing":1}"##,
        )
        .unwrap();
        assert_eq!(c.display_name.as_deref(), Some("Ann"));
        assert_eq!(c.company_name.as_deref(), Some(""));
        assert_eq!(c.user_type.as_deref(), Some("Guest"));
        assert_eq!(c.account_enabled, Some(false));
        assert!(read_json("{}").unwrap().is_empty());
        assert!(read_json("  ").unwrap().is_empty());
        for refused in [
            r#"{"mail":"a@b.c"}"#,
            r#"{"givenName":"A"}"#,
            r#"{"passwordProfile":{}}"#,
            r#"{"accountEnabled":"false"}"#,
            r#"{"displayName":null}"#,
            r#"{"displayName":"a","DisplayName":"b"}"#,
            r#"[1]"#,
            r#"{"#,
        ] {
            let e = read_json(refused).unwrap_err();
            assert_eq!(
                (e.status, e.code),
                (StatusCode::BAD_REQUEST, "Request_BadRequest"),
                "{refused}"
            );
        }
        assert!(
            read_json(r#"{"mail":"a@b.c"}"#)
                .unwrap_err()
                .message
                .contains("resetRedemption")
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_refused() {
        let req = actix_web::test::TestRequest::default()
            .insert_header((header::CONTENT_TYPE, "text/plain"))
            .to_http_request();
        let e = read(&req, b"displayName=x").unwrap_err();
        assert_eq!(e.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}
