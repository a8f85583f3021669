//! Evaluating a rule against one user. Text compares case-insensitively, as
//! in Entra; a missing or empty property is null.
//!
//! Every negative operator is exactly the negation of its positive one, so
//! on a null property `-contains`, `-startsWith` and `-in` are false while
//! `-ne "x"`, `-notContains`, `-notStartsWith` and `-notIn` are true.

use super::{Comparison, Expr, Operator, Property, UserAttributes, Value};

pub(super) fn eval(expr: &Expr, user: &UserAttributes<'_>) -> bool {
    match expr {
        Expr::Compare(c) => compare(c, user),
        Expr::Not(inner) => !eval(inner, user),
        Expr::And(l, r) => eval(l, user) && eval(r, user),
        Expr::Or(l, r) => eval(l, user) || eval(r, user),
    }
}

fn text<'a>(property: Property, user: &UserAttributes<'a>) -> Option<&'a str> {
    let value = match property {
        Property::ObjectId => Some(user.object_id),
        Property::DisplayName => Some(user.display_name),
        Property::Mail => user.mail,
        Property::UserPrincipalName => Some(user.user_principal_name),
        Property::UserType => Some(user.user_type),
        Property::CompanyName => user.company_name,
        Property::AccountEnabled => Some(if user.account_enabled { "true" } else { "false" }),
        Property::ExternalUserState => user.external_user_state,
    };
    value.filter(|v| !v.is_empty())
}

/// `actual -eq operand`, where an empty operand means null.
fn equals(actual: Option<&str>, operand: &str) -> bool {
    match actual {
        None => operand.is_empty(),
        Some(a) => a.to_lowercase() == operand.to_lowercase(),
    }
}

fn compare(c: &Comparison, user: &UserAttributes<'_>) -> bool {
    let (positive, negated) = match c.operator {
        Operator::Eq => (Operator::Eq, false),
        Operator::Ne => (Operator::Eq, true),
        Operator::Contains => (Operator::Contains, false),
        Operator::NotContains => (Operator::Contains, true),
        Operator::StartsWith => (Operator::StartsWith, false),
        Operator::NotStartsWith => (Operator::StartsWith, true),
        Operator::In => (Operator::In, false),
        Operator::NotIn => (Operator::In, true),
    };
    let actual = text(c.property, user);
    let holds = match (positive, &c.value) {
        (Operator::Eq, Value::Bool(b)) => c.property.is_boolean() && user.account_enabled == *b,
        (Operator::Eq, Value::Null) => actual.is_none(),
        (Operator::Eq, Value::String(s)) => equals(actual, s),
        (Operator::Contains, Value::String(s)) => actual.is_some_and(|a| a.to_lowercase().contains(&s.to_lowercase())),
        (Operator::StartsWith, Value::String(s)) => {
            actual.is_some_and(|a| a.to_lowercase().starts_with(&s.to_lowercase()))
        }
        (Operator::In, Value::List(items)) => items.iter().any(|item| equals(actual, item)),
        // The parser never builds any other pairing.
        _ => false,
    };
    holds != negated
}

#[cfg(test)]
mod tests {
    use super::super::MembershipRule;
    use super::*;

    fn guest() -> UserAttributes<'static> {
        UserAttributes {
            object_id: "5b1f3e2a-0c4d-4e5f-8a9b-1c2d3e4f5a6b",
            display_name: "Grace Hopper",
            mail: Some("Grace.Hopper@Fabrikam.com"),
            user_principal_name: "grace.hopper_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            user_type: "Guest",
            company_name: Some("Fabrikam"),
            account_enabled: true,
            external_user_state: Some("PendingAcceptance"),
        }
    }

    fn member() -> UserAttributes<'static> {
        UserAttributes {
            object_id: "00000000-0000-0000-0000-000000000001",
            display_name: "Ada Admin",
            mail: None,
            user_principal_name: "ada@contoso.com",
            user_type: "Member",
            company_name: Some(""),
            account_enabled: false,
            external_user_state: None,
        }
    }

    fn holds(rule: &str, user: &UserAttributes<'_>) -> bool {
        MembershipRule::parse(rule)
            .unwrap_or_else(|e| panic!("{rule}: {e}"))
            .matches(user)
    }

    #[test]
    fn eq_and_ne_compare_text_ignoring_case() {
        assert!(holds(r#"user.userType -eq "Guest""#, &guest()));
        assert!(holds(r#"user.userType -eq "gUEST""#, &guest()));
        assert!(!holds(r#"user.userType -eq "Guest""#, &member()));
        assert!(holds(r#"user.userType -ne "guest""#, &member()));
        assert!(!holds(r#"user.userType -ne "GUEST""#, &guest()));
        assert!(holds(r#"user.displayName -eq "grace hopper""#, &guest()));
        assert!(!holds(r#"user.displayName -eq "Grace""#, &guest()));
    }

    #[test]
    fn case_folding_covers_letters_outside_ascii() {
        let user = UserAttributes {
            display_name: "ÉLODIE Ångström",
            ..guest()
        };
        assert!(holds(r#"user.displayName -eq "élodie ångström""#, &user));
        assert!(holds(r#"user.displayName -contains "ÅNG""#, &user));
    }

    #[test]
    fn contains_and_starts_with_and_their_negations() {
        let g = guest();
        assert!(holds(r#"user.mail -contains "@fabrikam.""#, &g));
        assert!(!holds(r#"user.mail -notContains "@FABRIKAM.""#, &g));
        assert!(holds(r#"user.mail -notContains "@contoso""#, &g));
        assert!(holds(r##"user.userPrincipalName -contains "#EXT#""##, &g));
        assert!(holds(r#"user.mail -startsWith "grace.""#, &g));
        assert!(!holds(r#"user.mail -startsWith "hopper""#, &g));
        assert!(holds(r#"user.mail -notStartsWith "hopper""#, &g));
        assert!(!holds(r#"user.displayName -notStartsWith "GRACE""#, &g));
        assert!(holds(r#"user.objectId -startsWith "5B1F""#, &g));
    }

    #[test]
    fn in_and_not_in_look_for_any_item() {
        let g = guest();
        assert!(holds(r#"user.companyName -in ["Contoso", "fabrikam"]"#, &g));
        assert!(!holds(r#"user.companyName -in ["Contoso", "Fabrik"]"#, &g));
        assert!(holds(r#"user.companyName -notIn ["Contoso", "Fabrik"]"#, &g));
        assert!(!holds(
            r#"user.externalUserState -notIn ["accepted", "pendingacceptance"]"#,
            &g
        ));
        assert!(holds(r#"user.companyName -notIn ["Fabrikam"]"#, &member()));
        assert!(!holds(r#"user.companyName -in ["Fabrikam"]"#, &member()));
    }

    #[test]
    fn null_means_missing_or_empty() {
        let (g, m) = (guest(), member());
        assert!(holds("user.mail -eq null", &m));
        assert!(!holds("user.mail -eq null", &g));
        assert!(holds("user.mail -ne null", &g));
        assert!(!holds("user.mail -ne null", &m));
        // An empty company name is no company name.
        assert!(holds("user.companyName -eq null", &m));
        assert!(holds(r#"user.companyName -eq """#, &m));
        assert!(holds(r#"user.companyName -in ["x", ""]"#, &m));
        assert!(holds("user.externalUserState -eq NULL", &m));
        // `"null"` in quotes is the text null, not the absence of a value.
        assert!(!holds(r#"user.mail -eq "null""#, &m));
    }

    #[test]
    fn positive_text_operators_are_false_on_null_and_negations_true() {
        let m = member();
        for op in ["-contains", "-startsWith"] {
            assert!(!holds(&format!(r#"user.mail {op} "a""#,), &m), "{op}");
            assert!(!holds(&format!(r#"user.mail {op} """#), &m), "{op} empty");
        }
        assert!(!holds(r#"user.mail -eq "a""#, &m));
        assert!(holds(r#"user.mail -ne "a""#, &m));
        assert!(holds(r#"user.mail -notContains "a""#, &m));
        assert!(holds(r#"user.mail -notStartsWith "a""#, &m));
        assert!(!holds(r#"user.mail -in ["a"]"#, &m));
        assert!(holds(r#"user.mail -notIn ["a"]"#, &m));
    }

    #[test]
    fn account_enabled_is_a_boolean() {
        assert!(holds("user.accountEnabled -eq true", &guest()));
        assert!(holds("user.accountEnabled -eq FALSE", &member()));
        assert!(holds("user.accountEnabled -ne true", &member()));
        assert!(!holds("user.accountEnabled -ne false", &member()));
    }

    #[test]
    fn not_and_or_combine_with_the_usual_precedence() {
        let (g, m) = (guest(), member());
        // not > and > or: this is (false and false) or true.
        let rule = r#"user.userType -eq "Member" -and user.accountEnabled -eq true -or user.mail -ne null"#;
        assert!(holds(rule, &g));
        assert!(!holds(rule, &m));
        // With parentheses the -or binds first.
        let grouped = r#"user.userType -eq "Member" -and (user.accountEnabled -eq true -or user.mail -ne null)"#;
        assert!(!holds(grouped, &g));
        assert!(holds(r#"-not user.userType -eq "Member" -and user.mail -ne null"#, &g));
        assert!(holds(r#"not (user.userType -eq "Guest" and user.mail -eq null)"#, &g));
        assert!(!holds(r#"NOT NOT user.userType -eq "Member""#, &g));
    }

    #[test]
    fn entras_guest_rules_select_the_expected_users() {
        let (g, m) = (guest(), member());
        let rule = r#"(user.companyName -eq "Fabrikam") -and (user.mail -contains "@fabrikam.com")"#;
        assert!(holds(rule, &g));
        assert!(!holds(rule, &m));
        let pending = r#"user.userType -eq "Guest" -and user.externalUserState -eq "PendingAcceptance""#;
        assert!(holds(pending, &g));
        let accepted = UserAttributes {
            external_user_state: Some("Accepted"),
            ..g
        };
        assert!(!holds(pending, &accepted));
    }
}
