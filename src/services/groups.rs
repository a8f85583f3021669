//! Groups: New group, Edit, Delete. Members are in `group_members`, the
//! rules of Dynamic User groups in `dynamic_groups` (both re-exported here,
//! where their callers have always found them).

use crate::app::AppState;
use crate::domain::membership_rule::MembershipRule;
use crate::services::dynamic_groups::recompute;
use crate::services::{Admin, FieldErrors, ServiceError, ServiceResult};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::groups::{Group, NewGroup};
use crate::store::{self, Tx};

pub use crate::services::dynamic_groups::{DynamicRules, join_dynamic_groups, preview_rule, refresh_user};
pub use crate::services::group_members::{add_member_in, add_members, add_references, remove_member};

pub const MAX_NAME: usize = 256;
pub const MAX_DESCRIPTION: usize = 1024;
/// Graph's limit on `mailNickname`.
pub const MAX_MAIL_NICKNAME: usize = 64;

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

/// A mail nickname as Graph takes it: 1 to 64 ASCII characters, none of
/// them a space, a control character or one of `@()\[]";:<>,`.
pub fn parse_mail_nickname(input: &str) -> Result<String, String> {
    let nickname = input.trim();
    let allowed = |c: char| c.is_ascii_graphic() && !"@()\\[]\";:<>,".contains(c);
    if nickname.is_empty() || nickname.len() > MAX_MAIL_NICKNAME || !nickname.chars().all(allowed) {
        return Err(format!(
            "A mail nickname has 1 to {MAX_MAIL_NICKNAME} ASCII letters, digits or symbols, without spaces or any of @()\\[]\";:<>,."
        ));
    }
    Ok(nickname.to_owned())
}

pub(crate) async fn audit(
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
    create_group_with(state, admin, form, None, &[]).await
}

/// New group with a mail nickname and its first members (users the admin
/// reaches, none of them twice): all of it is written, or none.
pub async fn create_group_with(
    state: &AppState,
    admin: &Admin<'_>,
    form: &GroupForm,
    mail_nickname: Option<&str>,
    members: &[String],
) -> ServiceResult<String> {
    let valid = validate(form).map_err(ServiceError::Invalid)?;
    let mail_nickname = mail_nickname
        .map(parse_mail_nickname)
        .transpose()
        .map_err(ServiceError::Refused)?;
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
            mail_nickname: mail_nickname.as_deref(),
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
    if !members.is_empty() {
        let group = store::groups::find(&mut tx, &id).await?.ok_or(ServiceError::NotFound)?;
        crate::services::group_members::add_references_in(&mut tx, admin, &group, members, now).await?;
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
    update_in(&mut tx, admin, &group, form, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn update_in(tx: &mut Tx, admin: &Admin<'_>, group: &Group, form: &GroupForm, now: i64) -> ServiceResult<()> {
    let mut form = form.clone();
    form.membership_type = group.membership_type.clone();
    let valid = validate(&form).map_err(ServiceError::Invalid)?;
    let rule_text = valid.rule.as_ref().map(|r| r.to_string());
    store::groups::update(
        tx,
        &group.id,
        &valid.display_name,
        valid.description.as_deref(),
        rule_text.as_deref(),
        now,
    )
    .await?;
    if let Some(rule) = &valid.rule
        && group.membership_rule.as_deref() != rule_text.as_deref()
    {
        recompute(tx, &group.id, rule, now).await?;
    }
    audit(
        tx,
        &admin.actor,
        "Update group",
        (&group.id, &valid.display_name),
        rule_text,
        now,
    )
    .await?;
    Ok(())
}

/// Some of a group's properties; `None` keeps what the group has.
#[derive(Clone, Debug, Default)]
pub struct GroupPatch {
    pub display_name: Option<String>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    /// Dynamic User groups only.
    pub membership_rule: Option<String>,
    pub mail_nickname: Option<String>,
}

impl GroupPatch {
    fn changes_properties(&self) -> bool {
        self.display_name.is_some() || self.description.is_some() || self.membership_rule.is_some()
    }
}

/// Changes the properties `patch` names and adds `members`, all of it or
/// none: Edit group and Add members in one step.
pub async fn patch_group(
    state: &AppState,
    admin: &Admin<'_>,
    id: &str,
    patch: &GroupPatch,
    members: &[String],
) -> ServiceResult<()> {
    let mail_nickname = patch
        .mail_nickname
        .as_deref()
        .map(parse_mail_nickname)
        .transpose()
        .map_err(ServiceError::Refused)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = store::groups::find(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    if patch.membership_rule.is_some() && !group.is_dynamic() {
        return Err(ServiceError::Refused(format!(
            "{} is an Assigned group: only Dynamic User groups have a membership rule.",
            group.display_name
        )));
    }
    if patch.changes_properties() {
        let form = GroupForm {
            display_name: patch.display_name.clone().unwrap_or_else(|| group.display_name.clone()),
            description: match &patch.description {
                Some(d) => d.clone().unwrap_or_default(),
                None => group.description.clone().unwrap_or_default(),
            },
            membership_type: group.membership_type.clone(),
            membership_rule: patch
                .membership_rule
                .clone()
                .or_else(|| group.membership_rule.clone())
                .unwrap_or_default(),
        };
        update_in(&mut tx, admin, &group, &form, now).await?;
    }
    if let Some(nickname) = &mail_nickname {
        store::groups::set_mail_nickname(&mut tx, id, nickname).await?;
    }
    if !members.is_empty() {
        crate::services::group_members::add_references_in(&mut tx, admin, &group, members, now).await?;
    }
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
