//! All users: the directory list, searched, filtered and paged by key.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::clock::format_time;
use crate::domain::{ExternalUserState, Permission, UserType};
use crate::store::directory::{self, UserQuery};
use crate::web::error::{AppError, urlencode};
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ReadUsers;
use crate::web::layout::{Layout, Section, render};

const PAGE_SIZE: i64 = 50;
const COUNT_CAP: i64 = 10_000;

/// How long (seconds) a count found above the cap without a search is
/// believed. Such a count reads 10,001 index entries on every page, the
/// next pages too, only to print "10,000+": about 1 ms on SQLite and 2 ms
/// on PostgreSQL at a million users, most of what the first page costs. On
/// a directory that large the answer stays true until thousands of users
/// are deleted. Counts at or under the cap are never kept, so a smaller
/// directory always shows its current count. Each instance keeps its own:
/// after a mass deletion, one may go on showing "10,000+" for up to this
/// long. (A search's count is not kept: it reads at most twice the cap,
/// and searches vary.)
const ABOVE_CAP_FOR: i64 = 10;

/// The capped count of `query`, from memory when it is a filter-only
/// count found above the cap a moment ago.
async fn count(state: &AppState, conn: &mut crate::store::Conn, query: &UserQuery) -> sqlx::Result<i64> {
    if query.search.is_some() {
        return directory::count_capped(conn, query, COUNT_CAP).await;
    }
    let key = format!("{:?} {:?}", query.user_type, query.state);
    let now = state.clock.now();
    let remembered = state
        .directory_above_cap
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .copied();
    if remembered.is_some_and(|at| now - at < ABOVE_CAP_FOR) {
        return Ok(COUNT_CAP + 1);
    }
    let n = directory::count_capped(conn, query, COUNT_CAP).await?;
    let mut above = state.directory_above_cap.lock().unwrap_or_else(|e| e.into_inner());
    if n > COUNT_CAP {
        above.insert(key, now);
    } else {
        above.remove(&key);
    }
    Ok(n)
}

struct Row {
    id: String,
    display_name: String,
    user_principal_name: String,
    mail: String,
    user_type: String,
    state: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    rows: Vec<Row>,
    search: String,
    user_type: String,
    state: String,
    count_label: String,
    next_href: Option<String>,
    first_href: String,
    is_later_page: bool,
    can_invite: bool,
    can_bulk_invite: bool,
    can_create: bool,
    can_delete: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    search: String,
    #[serde(default)]
    user_type: String,
    #[serde(default)]
    state: String,
    after_name: Option<String>,
    after_id: Option<String>,
}

pub async fn all_users(
    admin: Authorized<ReadUsers>,
    state: web::Data<AppState>,
    params: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let search: String = params.search.trim().chars().take(254).collect();
    let query = UserQuery {
        search: Some(search.clone()).filter(|s| !s.is_empty()),
        user_type: UserType::parse(&params.user_type),
        state: ExternalUserState::parse(&params.state),
        after: params.after_name.clone().zip(params.after_id.clone()),
    };
    let mut conn = state.db.pool().acquire().await?;
    let mut rows = directory::list(&mut conn, &query, PAGE_SIZE + 1).await?;
    let count = count(&state, &mut conn, &query).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let filters = format!(
        "search={}&user_type={}&state={}",
        urlencode(&search),
        urlencode(query.user_type.map(|t| t.as_str()).unwrap_or("")),
        urlencode(query.state.map(|s| s.as_str()).unwrap_or(""))
    );
    let next_href = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "/admin/users?{filters}&after_name={}&after_id={}",
            urlencode(&last.display_name_lower),
            urlencode(&last.id)
        )),
        _ => None,
    };
    let count_label = match count {
        1 => "1 user found".to_owned(),
        n if n > COUNT_CAP => "10,000+ users found".to_owned(),
        n => format!("{} users found", thousands(n)),
    };
    let rows = rows
        .into_iter()
        .map(|r| Row {
            state: r
                .external_user_state
                .as_deref()
                .and_then(ExternalUserState::parse)
                .map(|s| s.label())
                .unwrap_or(""),
            id: r.id,
            display_name: r.display_name,
            user_principal_name: r.user_principal_name,
            mail: r.mail.unwrap_or_default(),
            user_type: r.user_type,
            created: format_time(r.created_at),
        })
        .collect();
    render(&UsersPage {
        layout: Layout::signed_in("All users", &admin, Section::Users),
        rows,
        search,
        user_type: query.user_type.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        state: query.state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        count_label,
        next_href,
        first_href: format!("/admin/users?{filters}"),
        is_later_page: query.after.is_some(),
        can_invite: admin.may(Permission::InviteGuests),
        can_bulk_invite: admin.may(Permission::BulkInvite),
        can_create: admin.may(Permission::EditUsers),
        can_delete: admin.may(Permission::DeleteUsers),
    })
}

/// 12345 → "12,345".
fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
