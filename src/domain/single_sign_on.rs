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

/// The redirect URIs of one list as typed on the Single sign-on page, one
/// per line: each parsed by `parse_redirect_uri`, blank lines skipped,
/// exact repeats kept once (the first), at most `REDIRECT_URIS_MAX`. A
/// refusal names the lines that do not parse (the first few).
pub fn parse_redirect_uri_list(input: &str) -> Result<Vec<String>, String> {
    const SHOWN: usize = 3;
    let mut uris: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut bad_lines = 0;
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_redirect_uri(line) {
            Ok(uri) => {
                if !uris.contains(&uri) {
                    uris.push(uri);
                }
            }
            Err(message) => {
                bad_lines += 1;
                if problems.len() < SHOWN {
                    problems.push(format!("Line {}: {message}", i + 1));
                }
            }
        }
    }
    if bad_lines > SHOWN {
        problems.push(format!("And {} more lines.", bad_lines - SHOWN));
    }
    if !problems.is_empty() {
        return Err(problems.join(" "));
    }
    if uris.len() > REDIRECT_URIS_MAX {
        return Err(format!(
            "At most {REDIRECT_URIS_MAX} URIs: remove {}.",
            uris.len() - REDIRECT_URIS_MAX
        ));
    }
    Ok(uris)
}

/// Where an application's tile on My Apps leads: its homepage when Linked;
/// its sign-on (login-initiation) URL, or else its homepage, with OpenID
/// Connect; nowhere when Single sign-on is Disabled.
pub fn tile_url<'a>(mode: SsoMode, homepage_url: Option<&'a str>, login_url: Option<&'a str>) -> Option<&'a str> {
    match mode {
        SsoMode::Disabled => None,
        SsoMode::Linked => homepage_url,
        SsoMode::OpenIdConnect => login_url.or(homepage_url),
    }
}

/// At most this many client secrets per application, expired ones included.
pub const CLIENT_SECRETS_MAX: usize = 20;

/// How many leading characters of a client secret's value are kept to
/// recognise it by (Entra shows three).
pub const SECRET_HINT_CHARS: usize = 3;

/// The hint kept of a new secret's value: its first characters.
pub fn secret_hint(value: &str) -> String {
    value.chars().take(SECRET_HINT_CHARS).collect()
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
    fn redirect_uri_lists_are_one_per_line_without_repeats() {
        let list = parse_redirect_uri_list("https://a.example/cb\r\n\n  https://b.example/cb \nhttps://a.example/cb\n")
            .unwrap();
        assert_eq!(list, ["https://a.example/cb", "https://b.example/cb"]);
        assert_eq!(parse_redirect_uri_list(" \n ").unwrap(), Vec::<String>::new());
        let err = parse_redirect_uri_list("https://a.example/cb\nhttp://b.example/cb").unwrap_err();
        assert!(err.starts_with("Line 2: A redirect URI must use https"), "{err}");
        let many_bad = "x\n".repeat(5);
        let err = parse_redirect_uri_list(&many_bad).unwrap_err();
        assert!(
            err.contains("Line 3:") && !err.contains("Line 4:") && err.ends_with("And 2 more lines."),
            "{err}"
        );
        let too_many: String = (0..=REDIRECT_URIS_MAX)
            .map(|i| format!("https://a.example/{i}\n"))
            .collect();
        assert!(
            parse_redirect_uri_list(&too_many)
                .unwrap_err()
                .starts_with("At most 256 URIs")
        );
    }

    #[test]
    fn tiles_follow_the_mode() {
        let (home, login) = (Some("https://home.example"), Some("https://app.example/login"));
        assert_eq!(tile_url(SsoMode::Disabled, home, login), None);
        assert_eq!(tile_url(SsoMode::Linked, home, login), home);
        assert_eq!(tile_url(SsoMode::OpenIdConnect, home, login), login);
        assert_eq!(tile_url(SsoMode::OpenIdConnect, home, None), home);
        assert_eq!(secret_hint("abcdef"), "abc");
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
