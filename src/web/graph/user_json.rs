//! Users and groups as Graph's JSON shows them. Properties Vestibule does
//! not keep (`givenName`, `surname`, `jobTitle`, …) are answered as Graph
//! answers a user who has none: `null`, or `[]` for a list, so that SDK
//! models and scripts that read them find them.

use actix_web::http::StatusCode;
use serde_json::{Map, Value, json};

use super::error::GraphError;
use super::odata;
use crate::domain::graph_query::{QueryError, UserProperty};
use crate::store::graph_users::GraphUserRow;
use crate::store::groups::Group;
use crate::store::users::User;

/// A refused query option, with Graph's code for its kind.
pub fn query_error(e: QueryError) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, e.code(), e.message())
}

/// A user row as the list shows it, from a whole row of `users`.
pub fn row_of(user: &User) -> GraphUserRow {
    GraphUserRow {
        id: user.id.clone(),
        display_name: user.display_name.clone(),
        display_name_lower: user.display_name.to_lowercase(),
        mail: user.mail.clone(),
        user_principal_name: user.user_principal_name.clone(),
        user_type: user.user_type,
        external_user_state: user.external_user_state,
        external_user_state_changed_at: user.external_user_state_changed_at,
        created_at: user.created_at,
        company_name: user.company_name.clone(),
        account_enabled: user.account_enabled,
        creation_type: user.creation_type.clone(),
        preferred_language: user.preferred_language.clone(),
    }
}

/// One property of a user.
pub fn user_property(row: &GraphUserRow, property: UserProperty) -> Value {
    match property {
        UserProperty::Id => json!(row.id),
        UserProperty::DisplayName => json!(row.display_name),
        UserProperty::Mail => json!(row.mail),
        UserProperty::UserPrincipalName => json!(row.user_principal_name),
        UserProperty::UserType => json!(row.user_type.as_str()),
        UserProperty::ExternalUserState => json!(row.external_user_state.map(|s| s.as_str())),
        UserProperty::ExternalUserStateChangeDateTime => {
            row.external_user_state_changed_at.map_or(Value::Null, odata::timestamp)
        }
        UserProperty::CreatedDateTime => odata::timestamp(row.created_at),
        UserProperty::CompanyName => json!(row.company_name),
        UserProperty::AccountEnabled => json!(row.account_enabled),
        UserProperty::CreationType => json!(row.creation_type),
        UserProperty::GivenName
        | UserProperty::Surname
        | UserProperty::JobTitle
        | UserProperty::MobilePhone
        | UserProperty::OfficeLocation => Value::Null,
        UserProperty::PreferredLanguage => json!(row.preferred_language),
        UserProperty::BusinessPhones | UserProperty::OtherMails | UserProperty::Identities => json!([]),
    }
}

/// The user's `properties`, each under its Graph name.
pub fn user_fields(row: &GraphUserRow, properties: &[UserProperty]) -> Map<String, Value> {
    properties
        .iter()
        .map(|p| (p.name().to_owned(), user_property(row, *p)))
        .collect()
}

/// `users`, or `users(displayName,mail)` for a `$select`, as the
/// `@odata.context` fragment names the selected properties.
pub fn selected(collection: &str, names: Option<Vec<&str>>) -> String {
    match names {
        None => collection.to_owned(),
        Some(names) => format!("{collection}({})", names.join(",")),
    }
}

/// The names of `$select`ed user properties, for [`selected`].
pub fn names(select: Option<&[UserProperty]>) -> Option<Vec<&'static str>> {
    select.map(|s| s.iter().map(|p| p.name()).collect())
}

/// A group as a directory object among others (`memberOf`): Vestibule's
/// groups are security groups without mail; a Dynamic User group carries
/// its rule, processed continuously.
pub fn group_object(group: &Group) -> Value {
    let dynamic = group.is_dynamic();
    json!({
        "@odata.type": "#microsoft.graph.group",
        "id": group.id,
        "deletedDateTime": null,
        "createdDateTime": odata::timestamp(group.created_at),
        "description": group.description,
        "displayName": group.display_name,
        "groupTypes": if dynamic { json!(["DynamicMembership"]) } else { json!([]) },
        "mail": null,
        "mailEnabled": false,
        "mailNickname": null,
        "membershipRule": if dynamic { json!(group.membership_rule) } else { Value::Null },
        "membershipRuleProcessingState": if dynamic { json!("On") } else { Value::Null },
        "securityEnabled": true,
        "visibility": null,
    })
}
