//! The scheme, host and port a request is addressed to, and the public
//! URL's: what the `Host` and `Origin` checks compare. Borrowed slices,
//! compared without allocating: the check runs on every request.

/// A URL's origin: scheme, host and port (the scheme's default when the
/// URL names none). The host keeps an IPv6 address's brackets.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    scheme: &'a str,
    host: &'a str,
    port: u16,
}

impl<'a> Origin<'a> {
    /// The origin of an `http://` or `https://` URL (a path, query or
    /// fragment after it is ignored); `None` for anything else, including
    /// a URL with credentials in it.
    pub fn of_url(url: &'a str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let default_port = default_port(scheme)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let (host, port) = split_authority(authority)?;
        Some(Self {
            scheme,
            host,
            port: port.unwrap_or(default_port),
        })
    }

    pub fn host(&self) -> &'a str {
        self.host
    }

    /// True when the host is this machine: `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        bare.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// The origin as a Content-Security-Policy source, `scheme://host:port`
    /// in lower case; `None` when the host holds anything but letters,
    /// digits, `.`, `-`, or an IPv6 address's brackets and colons, so that
    /// nothing can be added to the policy through it.
    pub fn csp_source(&self) -> Option<String> {
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':');
        if !self.host.chars().all(plain) {
            return None;
        }
        Some(format!(
            "{}://{}:{}",
            self.scheme.to_ascii_lowercase(),
            self.host.to_ascii_lowercase(),
            self.port
        ))
    }

    /// True when `other` is the same origin: scheme, host and port.
    pub fn same_as(&self, other: &Origin<'_>) -> bool {
        self.scheme.eq_ignore_ascii_case(other.scheme)
            && self.host.eq_ignore_ascii_case(other.host)
            && self.port == other.port
    }

    /// True when a `Host` header (or a request target's authority),
    /// `host[:port]`, names this origin's host and port; without a port it
    /// means the scheme's default, as a browser sends it.
    pub fn is_addressed_by(&self, authority: &str) -> bool {
        match split_authority(authority) {
            Some((host, port)) => {
                host.eq_ignore_ascii_case(self.host)
                    && port.unwrap_or(default_port(self.scheme).unwrap_or(0)) == self.port
            }
            None => false,
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    if scheme.eq_ignore_ascii_case("http") {
        Some(80)
    } else if scheme.eq_ignore_ascii_case("https") {
        Some(443)
    } else {
        None
    }
}

/// `host[:port]`, with an IPv6 host in brackets; `None` when it is empty,
/// carries credentials, or its port is not a number.
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    if authority.is_empty() || authority.contains(['@', ' ', '\t']) {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        match &authority[end..] {
            "" => (&authority[..end], None),
            rest => (&authority[..end], Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Some(digits.parse().ok()?),
        Some(_) => return None,
        None => None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Origin<'_> {
        Origin::of_url(url).unwrap_or_else(|| panic!("{url} has an origin"))
    }

    #[test]
    fn the_port_defaults_to_the_schemes() {
        let public = origin("https://Portal.Contoso.test/");
        for host in ["portal.contoso.test", "portal.contoso.test:443", "PORTAL.contoso.test"] {
            assert!(public.is_addressed_by(host), "{host}");
        }
        for host in [
            "portal.contoso.test:80",
            "portal.contoso.test:8443",
            "evil.test",
            "portal.contoso.test.evil.test",
        ] {
            assert!(!public.is_addressed_by(host), "{host}");
        }
        assert!(origin("http://127.0.0.1:8080").is_addressed_by("127.0.0.1:8080"));
        assert!(!origin("http://127.0.0.1:8080").is_addressed_by("127.0.0.1"));
        assert!(origin("http://localhost").is_addressed_by("localhost:80"));
    }

    #[test]
    fn a_policy_source_names_scheme_host_and_port() {
        assert_eq!(
            origin("http://LocalHost:7000/signin-oidc").csp_source().as_deref(),
            Some("http://localhost:7000")
        );
        assert_eq!(
            origin("https://apps.fabrikam.example/cb").csp_source().as_deref(),
            Some("https://apps.fabrikam.example:443")
        );
        assert_eq!(
            origin("http://[::1]:9000/").csp_source().as_deref(),
            Some("http://[::1]:9000")
        );
        for odd in [
            "https://a;script-src*/",
            "https://a,b/",
            "https://a'b/",
            "https://a%20b/",
        ] {
            assert_eq!(origin(odd).csp_source(), None, "{odd}");
        }
    }

    #[test]
    fn ipv6_hosts_keep_their_brackets() {
        let public = origin("http://[::1]:9000/x");
        assert!(public.is_addressed_by("[::1]:9000"));
        assert!(!public.is_addressed_by("[::1]"));
        assert!(!public.is_addressed_by("::1:9000"));
        assert!(public.is_loopback());
    }

    #[test]
    fn malformed_authorities_address_nothing() {
        let public = origin("http://127.0.0.1:8080");
        for host in [
            "",
            ":8080",
            "127.0.0.1:",
            "127.0.0.1:80x",
            "user@127.0.0.1:8080",
            "127.0.0.1:8080:1",
            "[::1",
        ] {
            assert!(!public.is_addressed_by(host), "{host:?}");
        }
        assert!(Origin::of_url("ftp://127.0.0.1").is_none());
        assert!(Origin::of_url("http://user:secret@127.0.0.1").is_none());
        assert!(Origin::of_url("null").is_none());
    }

    #[test]
    fn same_origin_means_scheme_host_and_port() {
        let public = origin("http://127.0.0.1:8080");
        assert!(public.same_as(&origin("http://127.0.0.1:8080")));
        assert!(public.same_as(&origin("HTTP://127.0.0.1:8080")));
        assert!(!public.same_as(&origin("https://127.0.0.1:8080")));
        assert!(!public.same_as(&origin("http://127.0.0.1:8081")));
        assert!(!public.same_as(&origin("http://localhost:8080")));
        assert!(origin("https://portal.contoso.test").same_as(&origin("https://portal.contoso.test:443")));
    }

    #[test]
    fn loopback_is_recognised_in_every_spelling() {
        for url in [
            "http://localhost:8080",
            "http://127.0.0.1",
            "http://[::1]:9000/x",
            "http://127.0.0.2",
        ] {
            assert!(origin(url).is_loopback(), "{url}");
        }
        for url in [
            "http://localhost.evil.test",
            "http://10.0.0.1",
            "https://portal.contoso.test",
        ] {
            assert!(!origin(url).is_loopback(), "{url}");
        }
    }
}
