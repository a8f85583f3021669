//! Groups and their members.

use sqlx::FromRow;

use super::Conn;

#[derive(Clone, Debug, FromRow)]
pub struct Group {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub membership_type: String,
    pub membership_rule: Option<String>,
    /// Set by the API (Graph's `mailNickname`); none for groups made on
    /// the portal.
    pub mail_nickname: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Group {
    pub fn is_dynamic(&self) -> bool {
        self.membership_type == "DynamicUser"
    }

    /// The words admins see: Assigned or Dynamic User.
    pub fn membership_label(&self) -> &'static str {
        if self.is_dynamic() { "Dynamic User" } else { "Assigned" }
    }
}

#[derive(Clone, Debug, FromRow)]
pub struct GroupListRow {
    pub id: String,
    pub display_name: String,
    pub display_name_lower: String,
    pub description: Option<String>,
    pub membership_type: String,
    pub member_count: i64,
}

const COLUMNS: &str =
    "id, display_name, description, membership_type, membership_rule, mail_nickname, created_at, updated_at";

pub struct NewGroup<'a> {
    pub id: &'a str,
    pub display_name: &'a str,
    pub description: Option<&'a str>,
    pub dynamic: bool,
    pub rule: Option<&'a str>,
    pub mail_nickname: Option<&'a str>,
    pub now: i64,
}

pub async fn insert(conn: &mut Conn, g: &NewGroup<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO groups (id, display_name, display_name_lower, description, membership_type, membership_rule, \
         mail_nickname, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(g.id)
    .bind(g.display_name)
    .bind(g.display_name.to_lowercase())
    .bind(g.description)
    .bind(if g.dynamic { "DynamicUser" } else { "Assigned" })
    .bind(g.rule)
    .bind(g.mail_nickname)
    .bind(g.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut Conn, id: &str) -> sqlx::Result<Option<Group>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM groups WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// Groups by name, with their live member counts; `search` is a name prefix.
pub async fn list(conn: &mut Conn, search: Option<&str>, limit: i64) -> sqlx::Result<Vec<GroupListRow>> {
    let low = search.map(str::to_lowercase).unwrap_or_default();
    let high = format!("{low}\u{10FFFF}");
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT g.id, g.display_name, g.display_name_lower, g.description, g.membership_type, \
         (SELECT COUNT(*) FROM group_members m JOIN users u ON u.id = m.user_id \
          WHERE m.group_id = g.id AND u.deleted_at IS NULL) AS member_count \
         FROM groups g WHERE g.display_name_lower >= $1 AND g.display_name_lower < $2 \
         ORDER BY g.display_name_lower, g.id LIMIT {limit}"
    )))
    .bind(low)
    .bind(high)
    .fetch_all(&mut *conn)
    .await
}

pub async fn update(
    conn: &mut Conn,
    id: &str,
    display_name: &str,
    description: Option<&str>,
    rule: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE groups SET display_name = $1, display_name_lower = $2, description = $3, membership_rule = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(display_name)
    .bind(display_name.to_lowercase())
    .bind(description)
    .bind(rule)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_mail_nickname(conn: &mut Conn, id: &str, mail_nickname: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE groups SET mail_nickname = $1 WHERE id = $2")
        .bind(mail_nickname)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes the group with its memberships and its app role assignments.
pub async fn delete(conn: &mut Conn, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM app_role_assignments WHERE principal_type = 'Group' AND principal_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM group_members WHERE group_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct MemberRow {
    pub user_id: String,
    pub display_name: String,
    pub display_name_lower: String,
    pub mail: Option<String>,
    pub user_principal_name: String,
    pub user_type: String,
    pub added_at: i64,
}

/// Live members in name order, after `after` (keyset), optionally by
/// name or email prefix.
pub async fn members(
    conn: &mut Conn,
    group_id: &str,
    search: Option<&str>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<MemberRow>> {
    let low = search.map(str::to_lowercase).unwrap_or_default();
    let high = format!("{low}\u{10FFFF}");
    let (after_name, after_id) = after.unwrap_or(("", ""));
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT u.id AS user_id, u.display_name, u.display_name_lower, u.mail, u.user_principal_name, u.user_type, \
         m.added_at \
         FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = $1 AND u.deleted_at IS NULL \
         AND ((u.display_name_lower >= $2 AND u.display_name_lower < $3) OR (u.mail_lower >= $2 AND u.mail_lower < $3)) \
         AND (u.display_name_lower, u.id) > ($4, $5) \
         ORDER BY u.display_name_lower, u.id LIMIT {limit}"
    )))
    .bind(group_id)
    .bind(low)
    .bind(high)
    .bind(after_name)
    .bind(after_id)
    .fetch_all(&mut *conn)
    .await
}

/// Adds a member; false when they already were one.
pub async fn add_member(conn: &mut Conn, group_id: &str, user_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT (group_id, user_id) DO NOTHING",
    )
    .bind(group_id)
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Adds many (group, user) memberships in as few statements as the
/// parameter limit allows (Bulk invite); existing ones are kept.
pub async fn add_members_many(conn: &mut Conn, members: &[(&str, &str)], now: i64) -> sqlx::Result<()> {
    let rows: Vec<Vec<super::bulk::Value>> = members
        .iter()
        .map(|(group_id, user_id)| vec![(*group_id).into(), (*user_id).into(), now.into()])
        .collect();
    super::bulk::insert_owned_rows(
        conn,
        "group_members",
        &["group_id", "user_id", "added_at"],
        rows,
        "ON CONFLICT (group_id, user_id) DO NOTHING",
    )
    .await?;
    Ok(())
}

/// Whether the user is a member of the group (live or deleted).
pub async fn is_member(conn: &mut Conn, group_id: &str, user_id: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

pub async fn remove_member(conn: &mut Conn, group_id: &str, user_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The ids of the Dynamic User groups a user is a member of.
pub async fn dynamic_groups_of_user(conn: &mut Conn, user_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT m.group_id FROM group_members m JOIN groups g ON g.id = m.group_id \
         WHERE m.user_id = $1 AND g.membership_type = 'DynamicUser'",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await
}

/// The groups a user belongs to, by name.
pub async fn groups_of_user(conn: &mut Conn, user_id: &str) -> sqlx::Result<Vec<Group>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM groups g JOIN group_members m ON m.group_id = g.id WHERE m.user_id = $1 \
         ORDER BY g.display_name_lower, g.id",
        COLUMNS
            .split(", ")
            .map(|c| format!("g.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await
}

/// Every Dynamic User group with its rule.
pub async fn dynamic_groups(conn: &mut Conn) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT id, membership_rule FROM groups WHERE membership_type = 'DynamicUser' AND membership_rule IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
}

/// What a membership rule is evaluated against.
#[derive(Clone, Debug, FromRow)]
pub struct RuleSubject {
    pub id: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub user_principal_name: String,
    pub user_type: String,
    pub company_name: Option<String>,
    pub account_enabled: i64,
    pub external_user_state: Option<String>,
}

const SUBJECT_COLUMNS: &str = "id, display_name, mail, user_principal_name, user_type, company_name, \
    account_enabled, external_user_state";

pub async fn rule_subject(conn: &mut Conn, user_id: &str) -> sqlx::Result<Option<RuleSubject>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUBJECT_COLUMNS} FROM users WHERE id = $1 AND deleted_at IS NULL"
    )))
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Live users after `after_id` in id order, a page at a time, for
/// evaluating a rule against the whole directory.
pub async fn rule_subjects_after(conn: &mut Conn, after_id: &str, limit: i64) -> sqlx::Result<Vec<RuleSubject>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUBJECT_COLUMNS} FROM users WHERE deleted_at IS NULL AND id > $1 ORDER BY id LIMIT {limit}"
    )))
    .bind(after_id)
    .fetch_all(&mut *conn)
    .await
}

/// Replaces a dynamic group's members with `user_ids`.
pub async fn replace_members(conn: &mut Conn, group_id: &str, user_ids: &[String], now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM group_members WHERE group_id = $1")
        .bind(group_id)
        .execute(&mut *conn)
        .await?;
    for user_id in user_ids {
        add_member(conn, group_id, user_id, now).await?;
    }
    Ok(())
}

/// Groups whose names start with `prefix`, for pickers.
pub async fn search(conn: &mut Conn, prefix: &str, limit: i64) -> sqlx::Result<Vec<Group>> {
    let low = prefix.trim().to_lowercase();
    let high = format!("{low}\u{10FFFF}");
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM groups WHERE display_name_lower >= $1 AND display_name_lower < $2 \
         ORDER BY display_name_lower, id LIMIT {limit}"
    )))
    .bind(low)
    .bind(high)
    .fetch_all(&mut *conn)
    .await
}
