//! How an application signs users in (its Single sign-on page): the mode,
//! the exact redirect URIs an OpenID Connect client may use, the ID token
//! signing algorithm and client secret lifetimes.

/// The OpenID Connect issuer: Entra's shape (`{instance}/{tenant}/v2.0`),
/// so a library configured for Entra only changes the host.
pub fn issuer(public_url: &str, tenant_id: &str) -> String {
    format!("{}/{tenant_id}/v2.0", public_url.trim_end_matches('/'))
}

/// Where the issuer's discovery document is.
pub fn discovery_url(public_url: &str, tenant_id: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer(public_url, tenant_id))
}

/// The Single sign-on mode of an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoMode {
    /// No sign-on: the My Apps tile opens nothing.
    Disabled,
    /// The tile opens the application's homepage; the app signs users in
    /// on its own.
    Linked,
    /// The application signs users in through Vestibule.
    OpenIdConnect,
}

impl SsoMode {
    pub const ALL: [SsoMode; 3] = [SsoMode::Disabled, SsoMode::Linked, SsoMode::OpenIdConnect];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SsoMode::Disabled => "Disabled",
            SsoMode::Linked => "Linked",
            SsoMode::OpenIdConnect => "OpenIdConnect",
        }
    }

    /// The label on the Single sign-on page.
    pub fn label(self) -> &'static str {
        match self {
            SsoMode::Disabled => "Disabled",
            SsoMode::Linked => "Linked",
            SsoMode::OpenIdConnect => "OpenID Connect",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == stored)
    }
}

/// The algorithm an application's ID tokens are signed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    Rs256,
    Es256,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [SigningAlg::Rs256, SigningAlg::Es256];

    /// The JOSE name, which is also the stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// Which list a redirect URI belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// Where authorization responses go.
    Redirect,
    /// Where RP-initiated logout may return.
    PostLogout,
}

impl RedirectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectKind::Redirect => "Redirect",
            RedirectKind::PostLogout => "PostLogout",
        }
    }
}

/// At most this many redirect URIs of each kind per application (Entra
/// allows 256 for web apps).
pub const REDIRECT_URIS_MAX: usize = 256;
pub const REDIRECT_URI_MAX_LEN: usize = 2048;

/// A redirect URI as registered: compared with what clients send byte for
/// byte, so it is kept exactly as typed (after trimming). https, or http
/// only for `localhost` and `127.0.0.1` (a developer's machine); no
/// wildcards, no fragment, no user info.
pub fn parse_redirect_uri(input: &str) -> Result<String, String> {
    let uri = input.trim();
    if uri.is_empty() {
        return Err("Enter a redirect URI.".into());
    }
    if uri.len() > REDIRECT_URI_MAX_LEN {
        return Err(format!("A redirect URI has at most {REDIRECT_URI_MAX_LEN} characters."));
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err("A redirect URI cannot contain spaces or control characters.".into());
    }
    if uri.contains('*') {
        return Err("A redirect URI cannot contain wildcards (*): register each address exactly.".into());
    }
    if uri.contains('#') {
        return Err("A redirect URI cannot contain a fragment (#).".into());
    }
    let Ok(url) = url::Url::parse(uri) else {
        return Err("Enter a full address, like https://app.example.com/signin-oidc.".into());
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("A redirect URI cannot contain a user name or password.".into());
    }
    let host = url.host_str().unwrap_or("");
    match url.scheme() {
        "https" if !host.is_empty() => Ok(uri.to_owned()),
        "http" if host == "localhost" || host == "127.0.0.1" => Ok(uri.to_owned()),
        "http" => Err("A redirect URI must use https (http only for localhost or 127.0.0.1).".into()),
        _ => Err("A redirect URI must use https (http only for localhost or 127.0.0.1).".into()),
    }
}

/// How long a new client secret lasts: Entra offers these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretExpiry {
    Months6,
    Months12,
    Months24,
}

impl SecretExpiry {
    pub const ALL: [SecretExpiry; 3] = [SecretExpiry::Months6, SecretExpiry::Months12, SecretExpiry::Months24];

    pub fn months(self) -> i64 {
        match self {
            SecretExpiry::Months6 => 6,
            SecretExpiry::Months12 => 12,
            SecretExpiry::Months24 => 24,
        }
    }

    /// The option's label: "180 days (6 months)" as Entra words it.
    pub fn label(self) -> &'static str {
        match self {
            SecretExpiry::Months6 => "180 days (6 months)",
            SecretExpiry::Months12 => "365 days (12 months)",
            SecretExpiry::Months24 => "730 days (24 months)",
        }
    }

    pub fn days(self) -> i64 {
        match self {
            SecretExpiry::Months6 => 180,
            SecretExpiry::Months12 => 365,
            SecretExpiry::Months24 => 730,
        }
    }

    pub fn parse(months: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.months().to_string() == months.trim())
    }
}

/// A client secret's description: 1–100 characters, no control characters.
pub fn parse_secret_description(input: &str) -> Result<String, String> {
    let d = input.trim();
    if d.is_empty() {
        return Err("Enter a description.".into());
    }
    if d.chars().count() > 100 {
        return Err("A description has at most 100 characters.".into());
    }
    if d.chars().any(char::is_control) {
        return Err("A description cannot contain control characters.".into());
    }
    Ok(d.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_local_http_and_exact() {
        assert_eq!(
            parse_redirect_uri(" https://app.example.com/cb?x=1 ").unwrap(),
            "https://app.example.com/cb?x=1"
        );
        assert!(parse_redirect_uri("http://localhost:3000/cb").is_ok());
        assert!(parse_redirect_uri("http://127.0.0.1:9/cb").is_ok());
        assert!(parse_redirect_uri("http://app.example.com/cb").is_err());
        assert!(parse_redirect_uri("https://*.example.com/cb").is_err());
        assert!(parse_redirect_uri("https://app.example.com/cb#x").is_err());
        assert!(parse_redirect_uri("https://u:p@app.example.com/cb").is_err());
        assert!(parse_redirect_uri("javascript:alert(1)").is_err());
        assert!(parse_redirect_uri("").is_err());
        assert!(parse_redirect_uri(&format!("https://a.example/{}", "x".repeat(2100))).is_err());
    }

    #[test]
    fn modes_algorithms_and_expiries_round_trip() {
        for m in SsoMode::ALL {
            assert_eq!(SsoMode::parse(m.as_str()), Some(m));
        }
        for a in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(a.as_str()), Some(a));
        }
        assert_eq!(SecretExpiry::parse("12"), Some(SecretExpiry::Months12));
        assert_eq!(SecretExpiry::parse("7"), None);
    }
}
