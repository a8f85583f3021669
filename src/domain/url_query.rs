//! Values in a URL's query string.

/// `s` encoded as one query-string value (`a b&c` → `a+b%26c`).
pub fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_value_keeps_to_itself() {
        assert_eq!(super::encode("a b&c=d"), "a+b%26c%3Dd");
        assert_eq!(super::encode("ada@fabrikam.example"), "ada%40fabrikam.example");
    }
}
