//! OpenID Connect identity providers: the rules for what an admin enters
//! (name, metadata URL, client, scope, email claim, domains) and for the
//! discovery document read from the metadata URL.

use crate::domain::organization::parse_domain;

pub const NAME_MAX_LEN: usize = 100;
pub const URL_MAX_LEN: usize = 2000;
pub const CLIENT_ID_MAX_LEN: usize = 255;
pub const SECRET_MAX_LEN: usize = 1000;
pub const SCOPE_MAX_LEN: usize = 500;
pub const CLAIM_MAX_LEN: usize = 100;
pub const MAX_DOMAINS: usize = 100;
pub const DEFAULT_SCOPE: &str = "openid profile email";
pub const DEFAULT_EMAIL_CLAIM: &str = "email";

pub fn parse_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Enter a display name.".into());
    }
    if name.chars().count() > NAME_MAX_LEN {
        return Err(format!("A display name has at most {NAME_MAX_LEN} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("The display name cannot contain control characters.".into());
    }
    Ok(name.to_owned())
}

/// Whether `host` is this machine: the only place plain http is allowed.
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// An absolute https URL (http only on the loopback), without credentials
/// or fragment. `what` names it in the message.
pub fn parse_endpoint(input: &str, what: &str) -> Result<String, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(format!("Enter the {what}."));
    }
    if text.len() > URL_MAX_LEN {
        return Err(format!("The {what} has at most {URL_MAX_LEN} characters."));
    }
    let invalid = || {
        format!(
            "The {what} must be an https address, such as https://login.example.com/.well-known/openid-configuration."
        )
    };
    let url = url::Url::parse(text).map_err(|_| invalid())?;
    let host = url.host().ok_or_else(invalid)?;
    let secure = match url.scheme() {
        "https" => true,
        "http" => is_loopback(&host),
        _ => false,
    };
    if !secure || !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(invalid());
    }
    Ok(text.to_owned())
}

pub fn parse_metadata_url(input: &str) -> Result<String, String> {
    parse_endpoint(input, "metadata URL")
}

fn parse_token_text(input: &str, what: &str, max: usize) -> Result<String, String> {
    let value = input.trim();
    if value.is_empty() {
        return Err(format!("Enter the {what}."));
    }
    if value.chars().count() > max {
        return Err(format!("The {what} has at most {max} characters."));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("The {what} cannot contain spaces or control characters."));
    }
    Ok(value.to_owned())
}

pub fn parse_client_id(input: &str) -> Result<String, String> {
    parse_token_text(input, "client ID", CLIENT_ID_MAX_LEN)
}

/// The client secret; `None` when left empty (an edit keeps the old one).
pub fn parse_client_secret(input: &str) -> Result<Option<String>, String> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    parse_token_text(input, "client secret", SECRET_MAX_LEN).map(Some)
}

/// Space-separated scopes; `openid` is required. Empty means the default.
pub fn parse_scope(input: &str) -> Result<String, String> {
    let scope = input.split_whitespace().collect::<Vec<_>>();
    if scope.is_empty() {
        return Ok(DEFAULT_SCOPE.to_owned());
    }
    let joined = scope.join(" ");
    if joined.len() > SCOPE_MAX_LEN {
        return Err(format!("The scope has at most {SCOPE_MAX_LEN} characters."));
    }
    if !scope
        .iter()
        .all(|s| s.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\'))
    {
        return Err("A scope is made of printable characters without quotes or backslashes.".into());
    }
    if !scope.contains(&"openid") {
        return Err("The scope must include openid.".into());
    }
    Ok(joined)
}

/// The claim that carries the email; empty means `email`.
pub fn parse_email_claim(input: &str) -> Result<String, String> {
    let claim = input.trim();
    if claim.is_empty() {
        return Ok(DEFAULT_EMAIL_CLAIM.to_owned());
    }
    if claim.len() > CLAIM_MAX_LEN
        || !claim
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        return Err("Enter a claim name such as email: letters, digits, _ - . and :.".into());
    }
    Ok(claim.to_owned())
}

/// Domain names, one per line: each like contoso.com, no repeats, at least one.
pub fn parse_domains(input: &str) -> Result<Vec<String>, String> {
    let mut domains: Vec<String> = Vec::new();
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let domain = parse_domain(line).map_err(|_| {
            let shown: String = line.chars().take(80).collect();
            format!("{shown} is not a domain name like contoso.com.")
        })?;
        if !domains.contains(&domain) {
            domains.push(domain);
        }
        if domains.len() > MAX_DOMAINS {
            return Err(format!("A provider serves at most {MAX_DOMAINS} domains."));
        }
    }
    if domains.is_empty() {
        return Err("Enter at least one domain name, such as contoso.com.".into());
    }
    Ok(domains)
}

/// What Vestibule keeps of a provider's discovery document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

impl ProviderMetadata {
    /// Reads a discovery document (OpenID Connect Discovery 1.0 §3):
    /// issuer and the three endpoints, each an https URL (http on the
    /// loopback only).
    pub fn parse(document: &serde_json::Value) -> Result<ProviderMetadata, String> {
        let field = |name: &str| -> Result<String, String> {
            let value = document
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("The metadata document has no {name}."))?;
            parse_endpoint(value, name).map_err(|_| format!("The metadata document's {name} is not an https address."))
        };
        Ok(ProviderMetadata {
            issuer: field("issuer")?,
            authorization_endpoint: field("authorization_endpoint")?,
            token_endpoint: field("token_endpoint")?,
            jwks_uri: field("jwks_uri")?,
        })
    }
}

/// The domain of an address, lower-cased.
pub fn domain_of(address: &str) -> Option<String> {
    address.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_are_https_except_on_the_loopback() {
        assert!(parse_metadata_url("https://idp.example.com/.well-known/openid-configuration").is_ok());
        assert!(parse_metadata_url("http://127.0.0.1:4000/.well-known/openid-configuration").is_ok());
        assert!(parse_metadata_url("http://localhost:4000/x").is_ok());
        assert!(parse_metadata_url("http://idp.example.com/x").is_err());
        assert!(parse_metadata_url("ftp://idp.example.com/x").is_err());
        assert!(parse_metadata_url("https://user:pw@idp.example.com/x").is_err());
        assert!(parse_metadata_url("").is_err());
    }

    #[test]
    fn scope_needs_openid_and_defaults() {
        assert_eq!(parse_scope("  ").unwrap(), DEFAULT_SCOPE);
        assert_eq!(parse_scope("openid  email").unwrap(), "openid email");
        assert!(parse_scope("profile email").is_err());
    }

    #[test]
    fn domains_are_validated_and_deduplicated() {
        assert_eq!(
            parse_domains("Fabrikam.com\n\nfabrikam.com\nwoodgrove.test").unwrap(),
            ["fabrikam.com", "woodgrove.test"]
        );
        assert!(parse_domains("").is_err());
        assert!(parse_domains("not a domain").is_err());
        assert!(parse_domains("*.fabrikam.com").is_err());
    }

    #[test]
    fn discovery_needs_issuer_and_endpoints() {
        let doc = serde_json::json!({
            "issuer": "https://idp.example.com",
            "authorization_endpoint": "https://idp.example.com/auth",
            "token_endpoint": "https://idp.example.com/token",
            "jwks_uri": "https://idp.example.com/jwks",
        });
        assert_eq!(ProviderMetadata::parse(&doc).unwrap().issuer, "https://idp.example.com");
        let mut missing = doc.clone();
        missing.as_object_mut().unwrap().remove("jwks_uri");
        assert!(ProviderMetadata::parse(&missing).unwrap_err().contains("jwks_uri"));
        let mut plain = doc;
        plain["token_endpoint"] = "http://idp.example.com/token".into();
        assert!(ProviderMetadata::parse(&plain).is_err());
    }
}
