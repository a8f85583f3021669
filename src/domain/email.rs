//! An email address as Entra accepts it for invitations: a local part
//! without the characters Entra forbids, and a domain with at least one dot.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// As typed, trimmed.
    original: String,
    /// Lower-cased: what uniqueness and sign-in compare.
    normalized: String,
}

const FORBIDDEN: &str = "~!#$%^&*()+=[]{}\\/|;:\"<>?,";
pub const MAX_LEN: usize = 254;

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let original = input.trim();
        if original.is_empty() {
            return Err("Enter an email address.".into());
        }
        if original.len() > MAX_LEN {
            return Err(format!("An email address has at most {MAX_LEN} characters."));
        }
        if !original.is_ascii()
            || original
                .chars()
                .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
        {
            return Err("An email address cannot contain spaces or characters outside ASCII.".into());
        }
        let Some((local, domain)) = original.rsplit_once('@') else {
            return Err("An email address needs an @ and a domain, like name@example.com.".into());
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err("The part before the @ must be 1 to 64 characters.".into());
        }
        if let Some(c) = local.chars().find(|c| FORBIDDEN.contains(*c)) {
            return Err(format!("An email address cannot contain the character {c}."));
        }
        if local.starts_with(['.', '-']) || local.ends_with(['.', '-']) || local.contains("..") {
            return Err("The part before the @ cannot start or end with a dot or hyphen.".into());
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
            return Err("The domain after the @ is not valid, like example.com.".into());
        }
        if labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit())) {
            return Err("The domain after the @ is not valid, like example.com.".into());
        }
        Ok(Self {
            original: original.to_owned(),
            normalized: original.to_ascii_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.original
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    pub fn domain(&self) -> &str {
        self.normalized.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }

    pub fn local_part(&self) -> &str {
        self.original.rsplit_once('@').map(|(l, _)| l).unwrap_or("")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_parse_and_normalise() {
        let e = Email::parse("  Grace.Hopper@Fabrikam.COM ").unwrap();
        assert_eq!(e.as_str(), "Grace.Hopper@Fabrikam.COM");
        assert_eq!(e.normalized(), "grace.hopper@fabrikam.com");
        assert_eq!(e.domain(), "fabrikam.com");
        assert_eq!(e.local_part(), "Grace.Hopper");
        assert!(Email::parse("o'neil_x-y@sub.example.co.uk").is_ok());
    }

    #[test]
    fn entras_forbidden_characters_are_refused() {
        for c in FORBIDDEN.chars() {
            let input = format!("a{c}b@example.com");
            assert!(Email::parse(&input).is_err(), "{input}");
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@example..com",
            ".a@example.com",
            "a.@example.com",
            "a b@example.com",
            "a@-example.com",
            "a@1.2.3.4",
            "ä@example.com",
            "a@exa_mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long).is_err());
        let huge = format!("a@{}.com", "b".repeat(300));
        assert!(Email::parse(&huge).is_err());
    }
}
