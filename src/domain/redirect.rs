//! Where a guest goes after accepting: an http(s) URL shown to them first.
//! Anything that could make the portal an open redirect or run script is
//! refused here, when the invitation is made.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUrl(String);

pub const MAX_LEN: usize = 2048;

impl RedirectUrl {
    pub fn parse(input: &str) -> Result<Self, String> {
        let url = input.trim();
        let invalid = || "Enter a full http:// or https:// address, like https://apps.example.com.".to_string();
        if url.len() > MAX_LEN {
            return Err(format!("A redirect URL has at most {MAX_LEN} characters."));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
            return Err(invalid());
        }
        let lower = url.to_ascii_lowercase();
        let rest = if let Some(r) = lower.strip_prefix("https://") {
            r
        } else if let Some(r) = lower.strip_prefix("http://") {
            r
        } else {
            return Err(invalid());
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        // No user info (https://trusted@evil), no empty or odd hosts, no
        // percent-encoded tricks in the host.
        if authority.is_empty() || authority.contains(['@', '%']) || rest.starts_with('/') {
            return Err(invalid());
        }
        let host = match authority.rsplit_once(':') {
            Some((h, port)) if !h.ends_with(']') || authority.starts_with('[') => {
                if !port.is_empty() && !port.chars().all(|c| c.is_ascii_digit()) {
                    return Err(invalid());
                }
                h
            }
            _ => authority,
        };
        let host_ok = if host.starts_with('[') {
            host.ends_with(']') && host[1..host.len() - 1].parse::<std::net::Ipv6Addr>().is_ok()
        } else {
            !host.is_empty()
                && host
                    .split('.')
                    .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        };
        if !host_ok {
            return Err(invalid());
        }
        Ok(Self(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_are_accepted() {
        for ok in [
            "https://myapps.contoso.com",
            "http://localhost:8080/x?y=1#z",
            "https://docusign.example/path/to?a=b",
            "https://[::1]:8443/",
        ] {
            assert!(RedirectUrl::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn open_redirect_and_script_tricks_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,<script>",
            "//evil.example",
            "/\\evil.example",
            "https:\\\\evil.example",
            "https:///evil.example",
            "https://trusted.example@evil.example",
            "https://evil%2eexample",
            "https://",
            "ftp://files.example",
            "https://exa mple.com",
            "https://example.com:80x",
            "http://evil.example\n.com",
            "vbscript:msgbox",
        ] {
            assert!(RedirectUrl::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(RedirectUrl::parse(&format!("https://a.example/{}", "x".repeat(2100))).is_err());
    }
}
