//! Groups: New group, members, dynamic membership, delete. Dynamic User
//! groups keep their members in step with their rule: per user whenever a
//! user is created, edited, blocked or accepts, and for the whole directory
//! when the rule changes.

use crate::app::AppState;
use crate::domain::membership_rule::{MembershipRule, UserAttributes};
use crate::domain::user_action::UserAction;
use crate::services::Admin;
use crate::services::users::check_reach;
use crate::services::{FieldErrors, ServiceError, ServiceResult};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::groups::{Group, NewGroup, RuleSubject};
use crate::store::{self, Tx};

pub const MAX_NAME: usize = 256;
pub const MAX_DESCRIPTION: usize = 1024;

/// The New group form, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub membership_type: String,
    #[serde(default)]
    pub membership_rule: String,
}

pub struct ValidGroup {
    pub display_name: String,
    pub description: Option<String>,
    pub rule: Option<MembershipRule>,
}

pub fn validate(form: &GroupForm) -> Result<ValidGroup, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = form.display_name.trim();
    if name.is_empty() {
        errors.add("display_name", "Enter a group name.");
    } else if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        errors.add(
            "display_name",
            format!("A group name has at most {MAX_NAME} characters."),
        );
    }
    let description = form.description.trim();
    if description.chars().count() > MAX_DESCRIPTION {
        errors.add(
            "description",
            format!("A description has at most {MAX_DESCRIPTION} characters."),
        );
    }
    let rule = match form.membership_type.as_str() {
        "" | "Assigned" => None,
        "DynamicUser" => match MembershipRule::parse(&form.membership_rule) {
            Ok(rule) => Some(rule),
            Err(e) => {
                errors.add("membership_rule", format!("The rule is not valid {e}."));
                None
            }
        },
        _ => {
            errors.add("membership_type", "Choose Assigned or Dynamic User.");
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidGroup {
        display_name: name.to_owned(),
        description: (!description.is_empty()).then(|| description.to_owned()),
        rule,
    })
}

fn attributes(s: &RuleSubject) -> UserAttributes<'_> {
    UserAttributes {
        object_id: &s.id,
        display_name: &s.display_name,
        mail: s.mail.as_deref(),
        user_principal_name: &s.user_principal_name,
        user_type: &s.user_type,
        company_name: s.company_name.as_deref(),
        account_enabled: s.account_enabled != 0,
        external_user_state: s.external_user_state.as_deref(),
    }
}

async fn audit(
    tx: &mut Tx,
    actor: &Actor,
    activity: &str,
    group: (&str, &str),
    details: Option<String>,
    now: i64,
) -> sqlx::Result<()> {
    store::audit::record(
        tx,
        actor,
        &AuditEntry {
            activity,
            category: "GroupManagement",
            target_id: Some(group.0),
            target_name: Some(group.1),
            details,
        },
        now,
    )
    .await
}

pub async fn create_group(state: &AppState, admin: &Admin<'_>, form: &GroupForm) -> ServiceResult<String> {
    let valid = validate(form).map_err(ServiceError::Invalid)?;
    let now = state.clock.now();
    let id = uuid::Uuid::new_v4().to_string();
    let rule_text = valid.rule.as_ref().map(|r| r.to_string());
    let mut tx = state.db.begin().await?;
    store::groups::insert(
        &mut tx,
        &NewGroup {
            id: &id,
            display_name: &valid.display_name,
            description: valid.description.as_deref(),
            dynamic: valid.rule.is_some(),
            rule: rule_text.as_deref(),
            now,
        },
    )
    .await?;
    audit(
        &mut tx,
        &admin.actor,
        "Add group",
        (&id, &valid.display_name),
        rule_text.clone(),
        now,
    )
    .await?;
    if let Some(rule) = &valid.rule {
        recompute(&mut tx, &id, rule, now).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Saves name, description and (for dynamic groups) the rule; a new rule
/// recomputes the members.
pub async fn update_group(state: &AppState, admin: &Admin<'_>, id: &str, form: &GroupForm) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = store::groups::find(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    let mut form = form.clone();
    form.membership_type = group.membership_type.clone();
    let valid = validate(&form).map_err(ServiceError::Invalid)?;
    let rule_text = valid.rule.as_ref().map(|r| r.to_string());
    store::groups::update(
        &mut tx,
        id,
        &valid.display_name,
        valid.description.as_deref(),
        rule_text.as_deref(),
        now,
    )
    .await?;
    if let Some(rule) = &valid.rule
        && group.membership_rule.as_deref() != rule_text.as_deref()
    {
        recompute(&mut tx, id, rule, now).await?;
    }
    audit(
        &mut tx,
        &admin.actor,
        "Update group",
        (id, &valid.display_name),
        rule_text,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_group(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<Group> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = store::groups::find(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    store::groups::delete(&mut tx, id).await?;
    audit(
        &mut tx,
        &admin.actor,
        "Delete group",
        (id, &group.display_name),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(group)
}

/// Add members: live users the admin reaches, and never into a dynamic group.
pub async fn add_members(
    state: &AppState,
    admin: &Admin<'_>,
    group_id: &str,
    user_ids: &[String],
) -> ServiceResult<usize> {
    if user_ids.is_empty() {
        return Err(ServiceError::Refused("Select at least one user.".into()));
    }
    if user_ids.len() > 100 {
        return Err(ServiceError::Refused("Select at most 100 users at a time.".into()));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = store::groups::find(&mut tx, group_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut added = 0;
    for user_id in user_ids {
        if let Some(user) = store::users::find_active(&mut tx, user_id).await? {
            check_reach(&mut tx, admin, UserAction::ChangeGroups, &user).await?;
        }
        added += usize::from(add_member_in(&mut tx, &admin.actor, &group, user_id, now).await?);
    }
    tx.commit().await?;
    Ok(added)
}

/// Adds one member inside the caller's transaction (also used when a new
/// guest is invited straight into a group).
pub async fn add_member_in(tx: &mut Tx, actor: &Actor, group: &Group, user_id: &str, now: i64) -> ServiceResult<bool> {
    if group.is_dynamic() {
        return Err(ServiceError::Refused(format!(
            "{} is a Dynamic User group: its members come from its rule, so they cannot be added by hand.",
            group.display_name
        )));
    }
    let Some(user) = store::users::find_active(tx, user_id).await? else {
        return Err(ServiceError::Refused(
            "One of the selected users no longer exists.".into(),
        ));
    };
    let added = store::groups::add_member(tx, &group.id, user_id, now).await?;
    if added {
        let details = Some(format!("{} ({})", user.display_name, user.user_principal_name));
        audit(
            tx,
            actor,
            "Add member to group",
            (&group.id, &group.display_name),
            details,
            now,
        )
        .await?;
    }
    Ok(added)
}

pub async fn remove_member(state: &AppState, admin: &Admin<'_>, group_id: &str, user_id: &str) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = store::groups::find(&mut tx, group_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if group.is_dynamic() {
        return Err(ServiceError::Refused(format!(
            "{} is a Dynamic User group: change its rule to change its members.",
            group.display_name
        )));
    }
    // A deleted user's memberships wait, unchanged, for a restore.
    let user = store::users::find_active(&mut tx, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_reach(&mut tx, admin, UserAction::ChangeGroups, &user).await?;
    if !store::groups::remove_member(&mut tx, group_id, user_id).await? {
        return Err(ServiceError::NotFound);
    }
    audit(
        &mut tx,
        &admin.actor,
        "Remove member from group",
        (group_id, &group.display_name),
        Some(user_id.to_owned()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Validate rule: how many live users match, and the first few names.
pub async fn preview_rule(state: &AppState, rule: &MembershipRule, show: usize) -> ServiceResult<(usize, Vec<String>)> {
    let mut conn = state.db.pool().acquire().await?;
    let mut after = String::new();
    let mut count = 0;
    let mut names = Vec::new();
    loop {
        let page = store::groups::rule_subjects_after(&mut conn, &after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for subject in &page {
            if rule.matches(&attributes(subject)) {
                count += 1;
                if names.len() < show {
                    names.push(format!(
                        "{} ({})",
                        subject.display_name,
                        subject.mail.as_deref().unwrap_or(&subject.user_principal_name)
                    ));
                }
            }
        }
    }
    names.sort_by_key(|n| n.to_lowercase());
    Ok((count, names))
}

/// Replaces a dynamic group's members with the live users its rule matches.
async fn recompute(tx: &mut Tx, group_id: &str, rule: &MembershipRule, now: i64) -> sqlx::Result<()> {
    let mut after = String::new();
    let mut members = Vec::new();
    loop {
        let page = store::groups::rule_subjects_after(tx, &after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        members.extend(
            page.iter()
                .filter(|s| rule.matches(&attributes(s)))
                .map(|s| s.id.clone()),
        );
    }
    store::groups::replace_members(tx, group_id, &members, now).await
}

/// Puts a user who was just written, and so belongs to no group yet, into
/// the Dynamic User groups whose rules match `subject`: the rules are read
/// once, nothing else is.
pub async fn join_dynamic_groups(tx: &mut Tx, subject: &RuleSubject, now: i64) -> sqlx::Result<()> {
    let rules = DynamicRules::load(tx).await?;
    for group_id in rules.matching(subject) {
        store::groups::add_member(tx, group_id, &subject.id, now).await?;
    }
    Ok(())
}

/// The Dynamic User groups with their rules parsed, for evaluating many
/// new users: Bulk invite reads them once per transaction (so a group
/// deleted meanwhile is not written to) and parses a rule only when its
/// text changed.
#[derive(Default)]
pub struct DynamicRules {
    groups: Vec<(String, String, MembershipRule)>,
}

impl DynamicRules {
    pub async fn load(conn: &mut store::Conn) -> sqlx::Result<Self> {
        let mut rules = Self::default();
        rules.refresh(conn).await?;
        Ok(rules)
    }

    /// Reads the groups again, keeping the parsed rules that did not change.
    pub async fn refresh(&mut self, conn: &mut store::Conn) -> sqlx::Result<()> {
        let mut previous = std::mem::take(&mut self.groups);
        for (group_id, text) in store::groups::dynamic_groups(conn).await? {
            let kept = previous.iter().position(|(id, t, _)| *id == group_id && *t == text);
            let rule = match kept {
                Some(i) => previous.swap_remove(i).2,
                None => match MembershipRule::parse(&text) {
                    Ok(rule) => rule,
                    Err(_) => {
                        tracing::warn!(group = %group_id, "a stored membership rule no longer parses");
                        continue;
                    }
                },
            };
            self.groups.push((group_id, text, rule));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The ids of the groups whose rules match `subject`.
    pub fn matching<'a>(&'a self, subject: &'a RuleSubject) -> impl Iterator<Item = &'a str> + 'a {
        self.groups
            .iter()
            .filter(move |(_, _, rule)| rule.matches(&attributes(subject)))
            .map(|(id, _, _)| id.as_str())
    }
}

/// Brings one user's dynamic memberships up to date, in the caller's
/// transaction; called wherever a user is created or changed.
pub async fn refresh_user(tx: &mut Tx, user_id: &str, now: i64) -> sqlx::Result<()> {
    let rules = DynamicRules::load(tx).await?;
    if rules.is_empty() {
        return Ok(());
    }
    let subject = store::groups::rule_subject(tx, user_id).await?;
    // One read of the user's dynamic memberships instead of one per group.
    let current = store::groups::dynamic_groups_of_user(tx, user_id).await?;
    for (group_id, _, rule) in &rules.groups {
        let should = subject.as_ref().is_some_and(|s| rule.matches(&attributes(s)));
        let is = current.contains(group_id);
        if should && !is {
            store::groups::add_member(tx, group_id, user_id, now).await?;
        } else if !should && is && subject.is_some() {
            store::groups::remove_member(tx, group_id, user_id).await?;
        }
    }
    Ok(())
}
