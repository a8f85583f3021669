//! What the Graph-shaped API reads of groups and applications (its
//! service principals) and their app role assignments: pages in key order
//! with the filters Graph offers there, each walking an index.

use sqlx::FromRow;

use super::applications::AppRole;
use super::groups::Group;
use super::{Binds, Conn};

/// Which groups or applications a page holds, by display name
/// (compared in lower case, as Graph compares names).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum NameFilter {
    #[default]
    All,
    /// `displayName eq '…'`, lower-cased.
    Is(String),
    /// `startswith(displayName,'…')`, lower-cased.
    StartsWith(String),
}

impl NameFilter {
    fn clause(&self, binds: &mut Binds) -> Option<String> {
        match self {
            NameFilter::All => None,
            NameFilter::Is(name) => Some(format!("display_name_lower = {}", binds.text(name.clone()))),
            NameFilter::StartsWith(prefix) => Some(binds.prefix("display_name_lower", prefix)),
        }
    }
}

/// A position in a list by name: the last row of the previous page.
pub type NameCursor = (String, String);

fn after_name(binds: &mut Binds, after: Option<&NameCursor>) -> Option<String> {
    after.map(|(name, id)| {
        let (n, i) = (binds.text(name.clone()), binds.text(id.clone()));
        format!("(display_name_lower, id) > ({n}, {i})")
    })
}

fn conditions(clauses: Vec<Option<String>>) -> String {
    let clauses: Vec<String> = clauses.into_iter().flatten().collect();
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {} ", clauses.join(" AND "))
    }
}

/// A page of groups by name, with each row's sort key.
pub async fn groups_page(
    conn: &mut Conn,
    filter: &NameFilter,
    after: Option<&NameCursor>,
    limit: i64,
) -> sqlx::Result<Vec<(Group, String)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        group: Group,
        display_name_lower: String,
    }
    let mut binds = Binds::default();
    let filter = conditions(vec![filter.clause(&mut binds), after_name(&mut binds, after)]);
    let sql = format!(
        "SELECT id, display_name, display_name_lower, description, membership_type, membership_rule, mail_nickname, \
         created_at, updated_at FROM groups {filter}ORDER BY display_name_lower, id LIMIT {limit}"
    );
    let rows: Vec<Row> = binds
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.group, r.display_name_lower)).collect())
}

pub async fn groups_count(conn: &mut Conn, filter: &NameFilter) -> sqlx::Result<i64> {
    let mut binds = Binds::default();
    let filter = conditions(vec![filter.clause(&mut binds)]);
    let sql = format!("SELECT COUNT(*) AS n FROM groups {filter}");
    let (n,): (i64,) = binds
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_one(&mut *conn)
        .await?;
    Ok(n)
}

/// An application as a service principal.
#[derive(Clone, Debug, FromRow)]
pub struct ServicePrincipalRow {
    pub id: String,
    pub display_name: String,
    pub display_name_lower: String,
    pub client_id: Option<String>,
    pub enabled: i64,
    pub visible_to_users: i64,
    pub assignment_required: i64,
    pub homepage_url: Option<String>,
    pub login_url: Option<String>,
}

/// Which applications a page holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppFilter {
    pub name: NameFilter,
    /// `appId eq '…'`: the Application (client) ID.
    pub client_id: Option<String>,
}

const SP_COLUMNS: &str = "id, display_name, display_name_lower, client_id, enabled, visible_to_users, \
    assignment_required, homepage_url, login_url";

pub async fn service_principals_page(
    conn: &mut Conn,
    filter: &AppFilter,
    after: Option<&NameCursor>,
    limit: i64,
) -> sqlx::Result<Vec<ServicePrincipalRow>> {
    let mut binds = Binds::default();
    let client = filter
        .client_id
        .as_ref()
        .map(|c| format!("client_id = {}", binds.text(c.clone())));
    let filter = conditions(vec![
        filter.name.clause(&mut binds),
        client,
        after_name(&mut binds, after),
    ]);
    let sql = format!("SELECT {SP_COLUMNS} FROM applications {filter}ORDER BY display_name_lower, id LIMIT {limit}");
    binds
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await
}

pub async fn service_principals_count(conn: &mut Conn, filter: &AppFilter) -> sqlx::Result<i64> {
    let mut binds = Binds::default();
    let client = filter
        .client_id
        .as_ref()
        .map(|c| format!("client_id = {}", binds.text(c.clone())));
    let filter = conditions(vec![filter.name.clause(&mut binds), client]);
    let sql = format!("SELECT COUNT(*) AS n FROM applications {filter}");
    let (n,): (i64,) = binds
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_one(&mut *conn)
        .await?;
    Ok(n)
}

pub async fn service_principal(conn: &mut Conn, id: &str) -> sqlx::Result<Option<ServicePrincipalRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SP_COLUMNS} FROM applications WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// The roles of several applications, by application, each one's Default
/// Access first.
pub async fn roles_of(conn: &mut Conn, app_ids: &[&str]) -> sqlx::Result<Vec<AppRole>> {
    #[derive(FromRow)]
    struct Row {
        id: String,
        app_id: String,
        display_name: String,
        description: Option<String>,
        value: Option<String>,
        enabled: i64,
        is_default: i64,
    }
    if app_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds = Binds::default();
    let list: Vec<String> = app_ids.iter().map(|id| binds.text((*id).to_owned())).collect();
    let sql = format!(
        "SELECT id, app_id, display_name, description, value, enabled, is_default FROM app_roles \
         WHERE app_id IN ({}) ORDER BY app_id, is_default DESC, display_name, id",
        list.join(", ")
    );
    let rows: Vec<Row> = binds
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| AppRole {
            id: r.id,
            app_id: r.app_id,
            display_name: r.display_name,
            description: r.description,
            value: r.value,
            enabled: r.enabled != 0,
            is_default: r.is_default != 0,
        })
        .collect())
}

/// The client IDs of the applications among `ids` (an audit log page's
/// initiators, a sign-in log page's applications): (id, client ID).
pub async fn client_ids(conn: &mut Conn, ids: &[&str]) -> sqlx::Result<Vec<(String, Option<String>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds = Binds::default();
    let list: Vec<String> = ids.iter().map(|id| binds.text((*id).to_owned())).collect();
    let sql = format!(
        "SELECT id, client_id FROM applications WHERE id IN ({})",
        list.join(", ")
    );
    binds
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await
}

/// An app role assignment as `appRoleAssignedTo` shows it.
#[derive(Clone, Debug, FromRow)]
pub struct AssignedToRow {
    pub id: String,
    pub app_id: String,
    pub app_name: String,
    pub app_role_id: String,
    pub role_is_default: i64,
    pub principal_type: String,
    pub principal_id: String,
    pub principal_name: String,
    pub created_at: i64,
}

/// A position in an application's assignments: (principal type,
/// principal id, role id) of the last one of the previous page.
pub type AssignmentCursor = (String, String, String);

const ASSIGNED_TO: &str = "SELECT a.id, a.app_id, p.display_name AS app_name, a.app_role_id, \
    r.is_default AS role_is_default, a.principal_type, a.principal_id, \
    COALESCE(u.display_name, g.display_name, '') AS principal_name, a.created_at \
    FROM app_role_assignments a JOIN applications p ON p.id = a.app_id JOIN app_roles r ON r.id = a.app_role_id \
    LEFT JOIN users u ON a.principal_type = 'User' AND u.id = a.principal_id \
    LEFT JOIN groups g ON a.principal_type = 'Group' AND g.id = a.principal_id";

/// An application's assignments to live users and to groups, in the
/// order of its unique key `(app_id, principal_type, principal_id,
/// app_role_id)`.
pub async fn assigned_to_page(
    conn: &mut Conn,
    app_id: &str,
    after: Option<&AssignmentCursor>,
    limit: i64,
) -> sqlx::Result<Vec<AssignedToRow>> {
    let mut binds = Binds::default();
    let app = binds.text(app_id.to_owned());
    let after = after
        .map(|(t, p, r)| {
            let (t, p, r) = (binds.text(t.clone()), binds.text(p.clone()), binds.text(r.clone()));
            format!("AND (a.principal_type, a.principal_id, a.app_role_id) > ({t}, {p}, {r}) ")
        })
        .unwrap_or_default();
    let sql = format!(
        "{ASSIGNED_TO} WHERE a.app_id = {app} AND (a.principal_type = 'Group' OR u.deleted_at IS NULL) {after}\
         ORDER BY a.principal_type, a.principal_id, a.app_role_id LIMIT {limit}"
    );
    binds
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await
}

pub async fn assigned_to(conn: &mut Conn, id: &str) -> sqlx::Result<Option<AssignedToRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{ASSIGNED_TO} WHERE a.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// The assignment of one role of an application to one principal.
pub async fn assigned_to_by_key(
    conn: &mut Conn,
    app_id: &str,
    role_id: &str,
    principal_type: &str,
    principal_id: &str,
) -> sqlx::Result<Option<AssignedToRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ASSIGNED_TO} WHERE a.app_id = $1 AND a.app_role_id = $2 AND a.principal_type = $3 AND a.principal_id = $4"
    )))
    .bind(app_id)
    .bind(role_id)
    .bind(principal_type)
    .bind(principal_id)
    .fetch_optional(&mut *conn)
    .await
}
