//! Enterprise applications and their app roles: the rules their fields
//! follow (Entra's limits: a name of 1–256 characters, notes up to 1,024).

use crate::domain::redirect::RedirectUrl;

/// The role every application has, which assignments get unless another
/// role is chosen.
pub const DEFAULT_ACCESS: &str = "Default Access";

pub const NAME_MAX: usize = 256;
pub const NOTES_MAX: usize = 1024;
pub const ROLE_NAME_MAX: usize = 100;
pub const ROLE_DESCRIPTION_MAX: usize = 250;
pub const ROLE_VALUE_MAX: usize = 120;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppName(String);

impl AppName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err("Enter a name.".into());
        }
        if name.chars().count() > NAME_MAX {
            return Err(format!("A name has at most {NAME_MAX} characters."));
        }
        if name.chars().any(char::is_control) {
            return Err("A name cannot contain control characters.".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sort key stored beside the name.
    pub fn sort_key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// The homepage (sign-on) URL My Apps links to: an http(s) address.
pub fn parse_homepage_url(input: &str) -> Result<String, String> {
    if input.trim().is_empty() {
        return Err("Enter the homepage URL users open the app with.".into());
    }
    RedirectUrl::parse(input)
        .map(|u| u.as_str().to_owned())
        .map_err(|e| e.replace("A redirect URL", "A homepage URL"))
}

/// Notes: optional, up to 1,024 characters.
pub fn parse_notes(input: &str) -> Result<Option<String>, String> {
    let notes = input.trim();
    if notes.chars().count() > NOTES_MAX {
        return Err(format!("Notes have at most {NOTES_MAX} characters."));
    }
    if notes
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("Notes cannot contain control characters.".into());
    }
    Ok((!notes.is_empty()).then(|| notes.replace("\r\n", "\n")))
}

/// The fields of an app role, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleFields {
    pub display_name: String,
    pub description: Option<String>,
    pub value: Option<String>,
}

/// Which field of a role is wrong, and why.
pub type RoleFieldError = (&'static str, String);

impl RoleFields {
    pub fn parse(display_name: &str, description: &str, value: &str) -> Result<Self, Vec<RoleFieldError>> {
        let mut errors = Vec::new();
        let name = display_name.trim();
        if name.is_empty() {
            errors.push(("display_name", "Enter a display name.".to_string()));
        } else if name.chars().count() > ROLE_NAME_MAX {
            errors.push((
                "display_name",
                format!("A role's display name has at most {ROLE_NAME_MAX} characters."),
            ));
        } else if name.chars().any(char::is_control) {
            errors.push((
                "display_name",
                "A display name cannot contain control characters.".into(),
            ));
        }
        let description = description.trim();
        if description.chars().count() > ROLE_DESCRIPTION_MAX {
            errors.push((
                "description",
                format!("A description has at most {ROLE_DESCRIPTION_MAX} characters."),
            ));
        } else if description.chars().any(char::is_control) {
            errors.push(("description", "A description cannot contain control characters.".into()));
        }
        let value = value.trim();
        if value.chars().count() > ROLE_VALUE_MAX {
            errors.push(("value", format!("A value has at most {ROLE_VALUE_MAX} characters.")));
        } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            errors.push(("value", "A value cannot contain spaces.".into()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            display_name: name.to_owned(),
            description: (!description.is_empty()).then(|| description.to_owned()),
            value: (!value.is_empty()).then(|| value.to_owned()),
        })
    }
}

/// Whether two role names clash (compared case-insensitively).
pub fn same_role_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(AppName::parse("  DocuSign ").unwrap().as_str(), "DocuSign");
        assert!(AppName::parse(" ").is_err());
        assert!(AppName::parse(&"é".repeat(256)).is_ok());
        assert!(AppName::parse(&"x".repeat(257)).is_err());
        assert!(AppName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn homepage_urls_are_web_addresses() {
        assert_eq!(
            parse_homepage_url(" https://apps.contoso.test/x ").unwrap(),
            "https://apps.contoso.test/x"
        );
        assert!(parse_homepage_url("").is_err());
        assert!(parse_homepage_url("javascript:alert(1)").is_err());
        let long = format!("https://a.example/{}", "x".repeat(2100));
        assert!(parse_homepage_url(&long).unwrap_err().starts_with("A homepage URL"));
    }

    #[test]
    fn notes_are_optional_and_bounded() {
        assert_eq!(parse_notes("  ").unwrap(), None);
        assert_eq!(parse_notes("a\r\nb").unwrap().as_deref(), Some("a\nb"));
        assert!(parse_notes(&"n".repeat(1024)).is_ok());
        assert!(parse_notes(&"n".repeat(1025)).is_err());
    }

    #[test]
    fn role_fields_follow_the_limits() {
        let ok = RoleFields::parse(" DocuSign Sender ", "", "Sender.All").unwrap();
        assert_eq!(ok.display_name, "DocuSign Sender");
        assert_eq!(ok.description, None);
        assert_eq!(ok.value.as_deref(), Some("Sender.All"));
        let errors = RoleFields::parse("", &"d".repeat(251), "has space").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["display_name", "description", "value"]);
        assert!(RoleFields::parse(&"r".repeat(101), "", "").is_err());
        assert!(RoleFields::parse("R", "", &"v".repeat(121)).is_err());
        assert!(same_role_name("Default access", " DEFAULT ACCESS"));
    }
}
