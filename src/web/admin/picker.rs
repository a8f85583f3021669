//! The principal picker shared by a group's Add members and an
//! application's Add Assignment: search the directory, tick, Select.

use askama::Template;

use crate::store::applications::AppRole;
use crate::web::layout::Layout;

/// One tickable row: `User:{id}` or `Group:{id}`.
pub struct Candidate {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin/principal_picker.html")]
pub struct PickerPage {
    pub layout: Layout,
    pub heading: String,
    pub intro: String,
    pub legend: &'static str,
    pub search: String,
    pub search_action: String,
    pub action: String,
    pub submit_label: &'static str,
    pub invite_href: String,
    pub cancel_href: String,
    pub candidates: Vec<Candidate>,
    pub roles: Vec<AppRole>,
    pub error: Option<String>,
}

/// The ids of the ticked principals of one kind ("User" or "Group").
pub fn picked<'a>(pairs: &'a [(String, String)], kind: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == "principal")
        .filter_map(|(_, v)| v.split_once(':'))
        .filter(|(k, _)| *k == kind)
        .map(|(_, id)| id)
        .collect()
}

/// Users matching a name or email prefix, as candidates.
pub async fn user_candidates(conn: &mut crate::store::Conn, search: &str) -> sqlx::Result<Vec<Candidate>> {
    let query = crate::store::directory::UserQuery {
        search: Some(search.to_owned()).filter(|s| !s.trim().is_empty()),
        ..Default::default()
    };
    let rows = crate::store::directory::list(conn, &query, 25).await?;
    Ok(rows
        .into_iter()
        .map(|r| Candidate {
            value: format!("User:{}", r.id),
            label: format!(
                "{} ({}, {})",
                r.display_name,
                r.mail.unwrap_or(r.user_principal_name),
                r.user_type
            ),
        })
        .collect())
}
