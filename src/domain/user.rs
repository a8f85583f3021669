//! The kinds and states a user can be in, with Entra's names.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserType {
    Member,
    Guest,
}

impl UserType {
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Member => "Member",
            UserType::Guest => "Guest",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Member" => Some(UserType::Member),
            "Guest" => Some(UserType::Guest),
            _ => None,
        }
    }
}

/// `externalUserState`: only invited users have one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalUserState {
    PendingAcceptance,
    Accepted,
}

impl ExternalUserState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalUserState::PendingAcceptance => "PendingAcceptance",
            ExternalUserState::Accepted => "Accepted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PendingAcceptance" => Some(ExternalUserState::PendingAcceptance),
            "Accepted" => Some(ExternalUserState::Accepted),
            _ => None,
        }
    }

    /// The words of the Invitation state column.
    pub fn label(self) -> &'static str {
        match self {
            ExternalUserState::PendingAcceptance => "Pending acceptance",
            ExternalUserState::Accepted => "Accepted",
        }
    }
}

/// Entra's companyName: optional, at most 64 characters.
pub fn parse_company_name(input: &str) -> Result<Option<String>, String> {
    let name = input.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > 64 {
        return Err("A company name has at most 64 characters.".into());
    }
    if name.chars().any(char::is_control) {
        return Err("A company name cannot contain control characters.".into());
    }
    Ok(Some(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in [UserType::Member, UserType::Guest] {
            assert_eq!(UserType::parse(t.as_str()), Some(t));
        }
        for s in [ExternalUserState::PendingAcceptance, ExternalUserState::Accepted] {
            assert_eq!(ExternalUserState::parse(s.as_str()), Some(s));
        }
        assert_eq!(UserType::parse("member"), None);
    }
}
