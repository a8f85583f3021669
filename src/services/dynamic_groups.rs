//! Dynamic User groups: their members follow their rule, per user whenever
//! a user is created, edited, blocked or accepts, and for the whole
//! directory when the rule changes (`recompute`).

use crate::app::AppState;
use crate::domain::membership_rule::{MembershipRule, UserAttributes};
use crate::services::ServiceResult;
use crate::store::groups::RuleSubject;
use crate::store::{self, Tx};

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
pub(crate) async fn recompute(tx: &mut Tx, group_id: &str, rule: &MembershipRule, now: i64) -> sqlx::Result<()> {
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
