//! The organization's own properties and external collaboration settings,
//! as Settings accepts them.

use super::Email;
use super::redirect::RedirectUrl;

pub const NAME_MAX_LEN: usize = 256;
pub const TERMS_MAX_LEN: usize = 10_000;
pub const SESSION_HOURS_MIN: i64 = 1;
pub const SESSION_HOURS_MAX: i64 = 720;

/// The organization's name, shown to guests on invitations and Review permissions.
pub fn parse_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Enter the organization's name.".into());
    }
    if name.chars().count() > NAME_MAX_LEN {
        return Err(format!("The name has at most {NAME_MAX_LEN} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("The name cannot contain control characters.".into());
    }
    Ok(name.to_owned())
}

/// A DNS name such as contoso.com, lower-cased: labels of letters, digits
/// and hyphens, at least two of them, a top-level label that is not all digits.
pub fn parse_domain(input: &str) -> Result<String, String> {
    let domain = input.trim().trim_end_matches('.').to_ascii_lowercase();
    let invalid = || "Enter a domain name like contoso.com.".to_string();
    if domain.is_empty() {
        return Err("Enter the organization's primary domain.".into());
    }
    if domain.len() > 253 {
        return Err("A domain name has at most 253 characters.".into());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let valid_label = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if labels.len() < 2 || !labels.iter().all(valid_label) {
        return Err(invalid());
    }
    if labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit())) {
        return Err(invalid());
    }
    Ok(domain)
}

/// Optional: an http(s) address, or nothing.
pub fn parse_privacy_url(input: &str) -> Result<Option<String>, String> {
    let url = input.trim();
    if url.is_empty() {
        return Ok(None);
    }
    RedirectUrl::parse(url)
        .map(|u| Some(u.as_str().to_owned()))
        .map_err(|e| e.replace("A redirect URL", "A privacy statement URL"))
}

/// Optional: an email address, or nothing.
pub fn parse_privacy_contact(input: &str) -> Result<Option<String>, String> {
    let contact = input.trim();
    if contact.is_empty() {
        return Ok(None);
    }
    Email::parse(contact).map(|e| Some(e.as_str().to_owned()))
}

/// Optional terms of use. Line endings are normalised, so that the same
/// text from a browser (CRLF) and elsewhere (LF) counts as unchanged.
pub fn parse_terms(input: &str) -> Result<Option<String>, String> {
    let terms = input.replace("\r\n", "\n").replace('\r', "\n");
    let terms = terms.trim();
    if terms.is_empty() {
        return Ok(None);
    }
    if terms.chars().count() > TERMS_MAX_LEN {
        return Err("The terms of use have at most 10,000 characters.".into());
    }
    if terms.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("The terms of use cannot contain control characters.".into());
    }
    Ok(Some(terms.to_owned()))
}

/// Guest session length: a whole number of hours, 1 to 720 (30 days).
pub fn parse_session_hours(input: &str) -> Result<i64, String> {
    let message = || format!("Enter a whole number of hours from {SESSION_HOURS_MIN} to {SESSION_HOURS_MAX}.");
    let hours: i64 = input.trim().parse().map_err(|_| message())?;
    if !(SESSION_HOURS_MIN..=SESSION_HOURS_MAX).contains(&hours) {
        return Err(message());
    }
    Ok(hours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_limited() {
        assert_eq!(parse_name("  Contoso ").unwrap(), "Contoso");
        assert!(parse_name(" ").is_err());
        assert!(parse_name(&"n".repeat(256)).is_ok());
        assert!(parse_name(&"n".repeat(257)).is_err());
        assert!(parse_name("a\u{7}b").is_err());
    }

    #[test]
    fn domains_are_dns_names_in_lower_case() {
        assert_eq!(parse_domain(" Contoso.COM. ").unwrap(), "contoso.com");
        assert_eq!(parse_domain("eu-west.contoso.co.uk").unwrap(), "eu-west.contoso.co.uk");
        for bad in [
            "",
            "contoso",
            "contoso..com",
            "-contoso.com",
            "contoso-.com",
            "con toso.com",
            "contoso.com/x",
            "user@contoso.com",
            "10.0.0.1",
            "https://contoso.com",
        ] {
            assert!(parse_domain(bad).is_err(), "{bad:?}");
        }
        assert!(parse_domain(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn privacy_links_are_optional_but_safe() {
        assert_eq!(parse_privacy_url("  ").unwrap(), None);
        assert_eq!(
            parse_privacy_url("https://contoso.com/privacy").unwrap().as_deref(),
            Some("https://contoso.com/privacy")
        );
        assert!(parse_privacy_url("javascript:alert(1)").is_err());
        assert_eq!(parse_privacy_contact("").unwrap(), None);
        assert_eq!(
            parse_privacy_contact(" privacy@contoso.com ").unwrap().as_deref(),
            Some("privacy@contoso.com")
        );
        assert!(parse_privacy_contact("not an address").is_err());
    }

    #[test]
    fn terms_are_optional_normalised_and_limited() {
        assert_eq!(parse_terms(" \r\n ").unwrap(), None);
        assert_eq!(parse_terms("One\r\nTwo\n").unwrap().as_deref(), Some("One\nTwo"));
        assert!(parse_terms(&"t".repeat(10_000)).is_ok());
        assert!(parse_terms(&"t".repeat(10_001)).is_err());
    }

    #[test]
    fn session_hours_are_whole_numbers_in_range() {
        assert_eq!(parse_session_hours(" 24 ").unwrap(), 24);
        assert_eq!(parse_session_hours("1").unwrap(), 1);
        assert_eq!(parse_session_hours("720").unwrap(), 720);
        for bad in ["0", "721", "abc", "", "1.5", "-3"] {
            assert!(parse_session_hours(bad).is_err(), "{bad:?}");
        }
    }
}
