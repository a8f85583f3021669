//! A user's display name: what All users sorts by and pages greet with.

use std::fmt;

pub const MAX_LEN: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err("Enter a display name.".into());
        }
        if name.chars().count() > MAX_LEN {
            return Err(format!("A display name has at most {MAX_LEN} characters."));
        }
        if name.chars().any(char::is_control) {
            return Err("A display name cannot contain control characters.".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sort and search key, stored beside the name.
    pub fn sort_key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada Lovelace ").unwrap().as_str(), "Ada Lovelace");
        assert_eq!(DisplayName::parse("Ünal").unwrap().sort_key(), "ünal");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(257)).is_err());
        assert!(DisplayName::parse(&"é".repeat(256)).is_ok());
        assert!(DisplayName::parse("a\u{0}b").is_err());
    }
}
