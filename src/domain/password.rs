//! The password rule, as in Entra: 8 to 256 characters with at least three
//! of lower case, upper case, digits and symbols.

use crate::security::secret::random_below;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 256;

#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self, String> {
        let len = input.chars().count();
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            return Err(format!("A password has {MIN_LEN} to {MAX_LEN} characters."));
        }
        let classes = [
            input.chars().any(|c| c.is_lowercase()),
            input.chars().any(|c| c.is_uppercase()),
            input.chars().any(|c| c.is_ascii_digit()),
            input.chars().any(|c| !c.is_alphanumeric()),
        ];
        if classes.iter().filter(|x| **x).count() < 3 {
            return Err("A password needs three of these: lower case, upper case, digits, symbols.".into());
        }
        Ok(Self(input.to_owned()))
    }

    /// A random temporary password that satisfies the rule, for first
    /// starts and password resets. Easy to type: no look-alike characters.
    pub fn generate() -> Self {
        const GROUPS: [&str; 4] = [
            "abcdefghjkmnpqrstuvwxyz",
            "ABCDEFGHJKLMNPQRSTUVWXYZ",
            "23456789",
            "-.!@%",
        ];
        let pick = |set: &str| {
            let chars: Vec<char> = set.chars().collect();
            chars[random_below(chars.len() as u32) as usize]
        };
        let mut out: Vec<char> = GROUPS.iter().map(|g| pick(g)).collect();
        let all: String = GROUPS[..3].concat();
        while out.len() < 16 {
            out.push(pick(&all));
        }
        // Shuffle so the classes are not always in the same places.
        for i in (1..out.len()).rev() {
            let j = random_below(i as u32 + 1) as usize;
            out.swap(i, j);
        }
        Self(out.into_iter().collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_needs_length_and_variety() {
        assert!(NewPassword::parse("Sh0rt!").is_err());
        assert!(NewPassword::parse("alllowercaseletters").is_err());
        assert!(NewPassword::parse("lowerUPPER").is_err());
        assert!(NewPassword::parse("lowerUPPER1").is_ok());
        assert!(NewPassword::parse("lower-case-1").is_ok());
        assert!(NewPassword::parse(&"aA1".repeat(90)).is_err());
    }

    #[test]
    fn generated_passwords_pass_the_rule_and_differ() {
        for _ in 0..200 {
            let p = NewPassword::generate();
            assert!(NewPassword::parse(p.expose()).is_ok(), "{}", p.expose());
        }
        assert_ne!(NewPassword::generate().expose(), NewPassword::generate().expose());
    }
}
