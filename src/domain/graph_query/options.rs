//! `$select`, `$orderby` and `$top`.

use super::{MAX_FILTER_LEN, Property, QueryError, shorten};

/// The page size without `$top`: Graph's default for users.
pub const DEFAULT_TOP: i64 = 100;
/// The largest `$top`: Graph's limit for users.
pub const MAX_TOP: i64 = 999;

/// The user properties Vestibule answers in `$select`. Those it does not
/// keep (`givenName`, `surname`, `jobTitle`, `mobilePhone`,
/// `officeLocation`, `preferredLanguage`; `businessPhones`, `otherMails`
/// and `identities` as lists) are answered as Graph answers a user who has
/// none: `null`, or `[]` for a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserProperty {
    Id,
    DisplayName,
    GivenName,
    Surname,
    Mail,
    UserPrincipalName,
    UserType,
    ExternalUserState,
    ExternalUserStateChangeDateTime,
    CreatedDateTime,
    CompanyName,
    AccountEnabled,
    JobTitle,
    MobilePhone,
    OfficeLocation,
    PreferredLanguage,
    BusinessPhones,
    CreationType,
    OtherMails,
    Identities,
}

impl UserProperty {
    pub const ALL: [UserProperty; 20] = [
        UserProperty::Id,
        UserProperty::DisplayName,
        UserProperty::GivenName,
        UserProperty::Surname,
        UserProperty::Mail,
        UserProperty::UserPrincipalName,
        UserProperty::UserType,
        UserProperty::ExternalUserState,
        UserProperty::ExternalUserStateChangeDateTime,
        UserProperty::CreatedDateTime,
        UserProperty::CompanyName,
        UserProperty::AccountEnabled,
        UserProperty::JobTitle,
        UserProperty::MobilePhone,
        UserProperty::OfficeLocation,
        UserProperty::PreferredLanguage,
        UserProperty::BusinessPhones,
        UserProperty::CreationType,
        UserProperty::OtherMails,
        UserProperty::Identities,
    ];

    /// What Graph returns without `$select`, in its order.
    pub const DEFAULT: [UserProperty; 11] = [
        UserProperty::BusinessPhones,
        UserProperty::DisplayName,
        UserProperty::GivenName,
        UserProperty::Id,
        UserProperty::JobTitle,
        UserProperty::Mail,
        UserProperty::MobilePhone,
        UserProperty::OfficeLocation,
        UserProperty::PreferredLanguage,
        UserProperty::Surname,
        UserProperty::UserPrincipalName,
    ];

    /// Graph's spelling: the JSON member name.
    pub fn name(self) -> &'static str {
        match self {
            UserProperty::Id => "id",
            UserProperty::DisplayName => "displayName",
            UserProperty::GivenName => "givenName",
            UserProperty::Surname => "surname",
            UserProperty::Mail => "mail",
            UserProperty::UserPrincipalName => "userPrincipalName",
            UserProperty::UserType => "userType",
            UserProperty::ExternalUserState => "externalUserState",
            UserProperty::ExternalUserStateChangeDateTime => "externalUserStateChangeDateTime",
            UserProperty::CreatedDateTime => "createdDateTime",
            UserProperty::CompanyName => "companyName",
            UserProperty::AccountEnabled => "accountEnabled",
            UserProperty::JobTitle => "jobTitle",
            UserProperty::MobilePhone => "mobilePhone",
            UserProperty::OfficeLocation => "officeLocation",
            UserProperty::PreferredLanguage => "preferredLanguage",
            UserProperty::BusinessPhones => "businessPhones",
            UserProperty::CreationType => "creationType",
            UserProperty::OtherMails => "otherMails",
            UserProperty::Identities => "identities",
        }
    }

    /// Case-insensitive, as Graph reads `$select` on users.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// Whether Graph returns a list for it (`[]` when empty).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            UserProperty::BusinessPhones | UserProperty::OtherMails | UserProperty::Identities
        )
    }
}

/// The order of `$orderby=displayName`: by lower-cased name, then by id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

fn unknown_property(name: &str) -> String {
    format!(
        "Could not find a property named '{}' on type 'microsoft.graph.user'.",
        shorten(name, 40)
    )
}

/// Parses `$select`: property names separated by commas, in the order
/// given, each once.
pub fn parse_select(text: &str) -> Result<Vec<UserProperty>, QueryError> {
    if text.len() > 4 * MAX_FILTER_LEN || text.chars().count() > MAX_FILTER_LEN {
        return Err(QueryError::Unsupported(format!(
            "The $select has more than {MAX_FILTER_LEN} characters."
        )));
    }
    let mut selected = Vec::new();
    for item in text.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(QueryError::BadRequest(
                "Parsing OData Select and Expand failed: $select has an empty property name.".into(),
            ));
        }
        let Some(property) = UserProperty::parse(item) else {
            return Err(if item == "*" || item.contains(['/', '(']) {
                QueryError::Unsupported(format!(
                    "Selecting '{}' is not supported; name the properties, such as id,displayName.",
                    shorten(item, 40)
                ))
            } else {
                QueryError::BadRequest(format!(
                    "Parsing OData Select and Expand failed: {}",
                    unknown_property(item)
                ))
            });
        };
        if !selected.contains(&property) {
            selected.push(property);
        }
    }
    Ok(selected)
}

/// Parses `$orderby`: `displayName`, optionally followed by `asc` or `desc`.
pub fn parse_orderby(text: &str) -> Result<Order, QueryError> {
    if text.split(',').count() > 1 {
        return Err(QueryError::Unsupported(
            "Sorting by more than one property is not supported; $orderby supports displayName.".into(),
        ));
    }
    let words: Vec<&str> = text.split_whitespace().take(3).collect();
    let (name, direction) = match words.as_slice() {
        [name] => (*name, None),
        [name, direction] => (*name, Some(*direction)),
        _ => {
            return Err(QueryError::BadRequest(
                "Invalid $orderby: write a property name, optionally followed by asc or desc.".into(),
            ));
        }
    };
    if !name.eq_ignore_ascii_case("displayName") {
        let known = UserProperty::parse(name)
            .map(UserProperty::name)
            .or_else(|| Property::parse(name).map(Property::name));
        return Err(match known {
            Some(known) => QueryError::Unsupported(format!(
                "Sorting by '{known}' is not supported; $orderby supports displayName."
            )),
            None => QueryError::BadRequest(unknown_property(name)),
        });
    }
    match direction {
        None => Ok(Order::Asc),
        Some(d) if d.eq_ignore_ascii_case("asc") => Ok(Order::Asc),
        Some(d) if d.eq_ignore_ascii_case("desc") => Ok(Order::Desc),
        Some(d) => Err(QueryError::BadRequest(format!(
            "Invalid $orderby: expected asc or desc after displayName, found '{}'.",
            shorten(d, 40)
        ))),
    }
}

/// Parses `$top`: a page size from 1 to [`MAX_TOP`].
pub fn parse_top(text: &str) -> Result<i64, QueryError> {
    let digits = text.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QueryError::BadRequest(format!(
            "Invalid value '{}' for $top: expected a whole number from 1 to {MAX_TOP}.",
            shorten(text, 40)
        )));
    }
    match digits.parse::<i64>() {
        Ok(n) if (1..=MAX_TOP).contains(&n) => Ok(n),
        _ => Err(QueryError::Unsupported(format!(
            "Invalid page size specified: '{}'. Must be between 1 and {MAX_TOP} inclusive.",
            shorten(digits, 40)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_keeps_the_order_given_in_graph_spelling_once_each() {
        assert_eq!(
            parse_select("displayName, MAIL,id,mail").unwrap(),
            [UserProperty::DisplayName, UserProperty::Mail, UserProperty::Id]
        );
        for p in UserProperty::ALL {
            assert_eq!(parse_select(p.name()).unwrap(), [p]);
            assert_eq!(UserProperty::parse(&p.name().to_uppercase()), Some(p));
        }
        assert!(UserProperty::DEFAULT.iter().all(|p| UserProperty::ALL.contains(p)));
    }

    #[test]
    fn select_refuses_unknown_and_empty_names() {
        let e = parse_select("id,department").unwrap_err();
        assert_eq!(e.code(), "Request_BadRequest");
        assert_eq!(
            e.message(),
            "Parsing OData Select and Expand failed: Could not find a property named 'department' on type \
             'microsoft.graph.user'."
        );
        assert_eq!(parse_select("id,").unwrap_err().code(), "Request_BadRequest");
        assert_eq!(parse_select("").unwrap_err().code(), "Request_BadRequest");
        for unsupported in ["*", "manager(id)", "signInActivity/lastSignInDateTime"] {
            assert_eq!(
                parse_select(unsupported).unwrap_err().code(),
                "Request_UnsupportedQuery"
            );
        }
        let huge = "id,".repeat(50_000);
        assert_eq!(parse_select(&huge).unwrap_err().code(), "Request_UnsupportedQuery");
    }

    #[test]
    fn orderby_takes_display_name_either_way() {
        assert_eq!(parse_orderby("displayName").unwrap(), Order::Asc);
        assert_eq!(parse_orderby(" DisplayName  ASC ").unwrap(), Order::Asc);
        assert_eq!(parse_orderby("displayName desc").unwrap(), Order::Desc);
        assert_eq!(Order::default(), Order::Asc);
    }

    #[test]
    fn orderby_refuses_other_keys_and_directions() {
        let e = parse_orderby("createdDateTime desc").unwrap_err();
        assert_eq!(e.code(), "Request_UnsupportedQuery");
        assert!(e.message().contains("'createdDateTime'"), "{e}");
        assert_eq!(
            parse_orderby("displayName,id").unwrap_err().code(),
            "Request_UnsupportedQuery"
        );
        assert_eq!(parse_orderby("nickname").unwrap_err().code(), "Request_BadRequest");
        assert_eq!(
            parse_orderby("displayName up").unwrap_err().code(),
            "Request_BadRequest"
        );
        assert_eq!(
            parse_orderby("displayName asc x").unwrap_err().code(),
            "Request_BadRequest"
        );
        assert_eq!(parse_orderby("").unwrap_err().code(), "Request_BadRequest");
    }

    #[test]
    fn top_is_a_page_size_from_1_to_999() {
        assert_eq!(parse_top("1").unwrap(), 1);
        assert_eq!(parse_top("999").unwrap(), 999);
        assert_eq!(parse_top(" 25 ").unwrap(), 25);
        let e = parse_top("1000").unwrap_err();
        assert_eq!(e.code(), "Request_UnsupportedQuery");
        assert_eq!(
            e.message(),
            "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
        );
        assert_eq!(parse_top("0").unwrap_err().code(), "Request_UnsupportedQuery");
        assert_eq!(
            parse_top("99999999999999999999999").unwrap_err().code(),
            "Request_UnsupportedQuery"
        );
        for bad in ["", "ten", "-1", "+5", "1.5", "1e3", "٣"] {
            assert_eq!(parse_top(bad).unwrap_err().code(), "Request_BadRequest", "{bad}");
        }
    }
}
