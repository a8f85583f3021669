//! Settings a Global Administrator changes: Organization properties,
//! External collaboration settings and the built-in Email one-time passcode
//! provider. Each save is one transaction with its
//! audit entry, whose details list what changed.

use crate::app::AppState;
use crate::domain::collaboration_restrictions::DomainPolicy;
use crate::domain::invite_level::InviteLevel;
use crate::domain::language::Language;
use crate::domain::organization as rules;
use crate::services::Admin;
use crate::services::{FieldErrors, ServiceError, ServiceResult};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::organization::Organization;
use crate::store::{self, Tx};

/// Organization properties as the form sends them.
pub struct OrganizationForm {
    pub name: String,
    pub primary_domain: String,
    pub privacy_statement_url: String,
    pub privacy_contact: String,
    pub terms_of_use: String,
    /// A language code; empty keeps the current language.
    pub language: String,
}

/// External collaboration settings as the form sends them.
pub struct CollaborationForm {
    pub guests_may_leave: bool,
    pub guest_session_hours: String,
    /// Guest invite settings: an `InviteLevel` key.
    pub allow_invites_from: String,
    /// Collaboration restrictions: a `RestrictionMode` key.
    pub domain_policy: String,
    /// Collaboration restrictions: Target domains, one per line.
    pub target_domains: String,
    /// The admin confirmed that swapping an allow list for a deny list (or
    /// back) discards the old list.
    pub confirm_list_switch: bool,
}

/// What saving External collaboration settings did.
#[derive(Debug, PartialEq, Eq)]
pub enum CollaborationSaved {
    Saved,
    /// Nothing was saved: the save swaps an allow list for a deny list (or
    /// back), discarding these domains, and needs the admin's confirmation.
    ConfirmListSwitch {
        discarded: Vec<String>,
    },
}

async fn locked_organization(tx: &mut Tx) -> ServiceResult<Organization> {
    store::organization::get_for_update(tx)
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("the organization row is missing")))
}

async fn audit(
    tx: &mut Tx,
    actor: &Actor,
    activity: &str,
    org_name: &str,
    changes: Vec<String>,
    now: i64,
) -> sqlx::Result<()> {
    let details = if changes.is_empty() {
        "No changes".to_owned()
    } else {
        changes.join("; ")
    };
    store::audit::record(
        tx,
        actor,
        &AuditEntry {
            activity,
            category: "DirectoryManagement",
            target_id: None,
            target_name: Some(org_name),
            details: Some(details),
        },
        now,
    )
    .await
}

/// `field: old -> new` when the value changed.
fn note(changes: &mut Vec<String>, field: &str, old: Option<&str>, new: Option<&str>) {
    if old != new {
        changes.push(format!(
            "{field}: {} -> {}",
            old.unwrap_or("(not set)"),
            new.unwrap_or("(not set)")
        ));
    }
}

/// Saves Organization properties. The terms version goes up by one when
/// the terms text changes; existing guests' user principal names keep the
/// old domain.
pub async fn update_organization(state: &AppState, admin: &Admin<'_>, form: &OrganizationForm) -> ServiceResult<()> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", rules::parse_name(&form.name));
    let domain = errors.check("primary_domain", rules::parse_domain(&form.primary_domain));
    let url = errors.check(
        "privacy_statement_url",
        rules::parse_privacy_url(&form.privacy_statement_url),
    );
    let contact = errors.check("privacy_contact", rules::parse_privacy_contact(&form.privacy_contact));
    let terms = errors.check("terms_of_use", rules::parse_terms(&form.terms_of_use));
    let language = if form.language.trim().is_empty() {
        Some(None)
    } else {
        errors.check("language", Language::parse(&form.language).map(Some))
    };
    let (Some(name), Some(domain), Some(url), Some(contact), Some(terms), Some(language)) =
        (name, domain, url, contact, terms, language)
    else {
        return Err(ServiceError::Invalid(errors));
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = locked_organization(&mut tx).await?;
    let mut changes = Vec::new();
    note(&mut changes, "name", Some(&before.name), Some(&name));
    note(
        &mut changes,
        "primaryDomain",
        Some(&before.primary_domain),
        Some(&domain),
    );
    note(
        &mut changes,
        "privacyStatementUrl",
        before.privacy_statement_url.as_deref(),
        url.as_deref(),
    );
    note(
        &mut changes,
        "privacyContact",
        before.privacy_contact.as_deref(),
        contact.as_deref(),
    );
    let language = language.unwrap_or_else(|| before.language());
    note(
        &mut changes,
        "language",
        Some(before.language().code()),
        Some(language.code()),
    );
    if before.terms_of_use.as_deref().unwrap_or("") != terms.as_deref().unwrap_or("") {
        changes.push(format!(
            "termsOfUse: {} (version {} -> {})",
            if terms.is_some() { "changed" } else { "cleared" },
            before.terms_version,
            before.terms_version + 1
        ));
    }
    store::organization::update_properties(
        &mut tx,
        &store::organization::Properties {
            name: &name,
            primary_domain: &domain,
            privacy_statement_url: url.as_deref(),
            privacy_contact: contact.as_deref(),
            terms_of_use: terms.as_deref(),
            language,
        },
        now,
    )
    .await?;
    audit(
        &mut tx,
        &admin.actor,
        "Update organization settings",
        &name,
        changes,
        now,
    )
    .await?;
    tx.commit().await?;
    // This instance shows the change at once; others within moments.
    state.organization.forget();
    Ok(())
}

/// Saves External collaboration settings; a change to the collaboration
/// restrictions is audited on its own as "Update policy".
pub async fn update_collaboration(
    state: &AppState,
    admin: &Admin<'_>,
    form: &CollaborationForm,
) -> ServiceResult<CollaborationSaved> {
    let mut errors = FieldErrors::default();
    let hours = errors.check(
        "guest_session_hours",
        rules::parse_session_hours(&form.guest_session_hours),
    );
    let level = errors.check("allow_invites_from", InviteLevel::parse(&form.allow_invites_from));
    let policy = errors.check(
        "target_domains",
        DomainPolicy::parse(&form.domain_policy, &form.target_domains),
    );
    let (Some(hours), Some(level), Some(policy)) = (hours, level, policy) else {
        return Err(ServiceError::Invalid(errors));
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = locked_organization(&mut tx).await?;
    let policy_before = before.domain_policy();
    if policy_before.switch_discards_list(&policy) && !form.confirm_list_switch {
        return Ok(CollaborationSaved::ConfirmListSwitch {
            discarded: policy_before.domains.iter().map(ToString::to_string).collect(),
        });
    }
    let mut changes = Vec::new();
    let flag = |on: bool| if on { "on" } else { "off" };
    if before.lets_guests_leave() != form.guests_may_leave {
        changes.push(format!(
            "guestsMayLeave: {} -> {}",
            flag(before.lets_guests_leave()),
            flag(form.guests_may_leave)
        ));
    }
    if before.guest_session_hours != hours {
        changes.push(format!("guestSessionHours: {} -> {hours}", before.guest_session_hours));
    }
    if before.invite_level() != level {
        changes.push(format!(
            "allowInvitesFrom: {} -> {}",
            before.invite_level().key(),
            level.key()
        ));
    }
    store::organization::update_collaboration(
        &mut tx,
        &store::organization::Collaboration {
            guests_may_leave: form.guests_may_leave,
            guest_session_hours: hours,
            invite_level: level,
        },
    )
    .await?;
    audit(
        &mut tx,
        &admin.actor,
        "Update external collaboration settings",
        &before.name,
        changes,
        now,
    )
    .await?;
    if let Some(details) = policy_before.change_details(&policy) {
        store::organization::update_domain_policy(&mut tx, &policy).await?;
        store::audit::record(
            &mut tx,
            &admin.actor,
            &AuditEntry {
                activity: "Update policy",
                category: "Policy",
                target_id: None,
                target_name: Some("B2BManagementPolicy"),
                details: Some(details),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    // This instance shows the change at once; others within moments.
    state.organization.forget();
    Ok(CollaborationSaved::Saved)
}

/// Saves the built-in Email one-time passcode provider (All identity
/// providers): whether redemption asks for a code. Audited as an update of
/// that identity provider.
pub async fn update_email_otp(state: &AppState, admin: &Admin<'_>, otp_at_redemption: bool) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = locked_organization(&mut tx).await?.requires_code_at_redemption();
    let flag = |on: bool| if on { "on" } else { "off" };
    let details = if before == otp_at_redemption {
        "No changes".to_owned()
    } else {
        format!("otpAtRedemption: {} -> {}", flag(before), flag(otp_at_redemption))
    };
    store::organization::update_otp_at_redemption(&mut tx, otp_at_redemption).await?;
    store::audit::record(
        &mut tx,
        &admin.actor,
        &AuditEntry {
            activity: "Update identity provider",
            category: "IdentityProvider",
            target_id: None,
            target_name: Some("Email one-time passcode"),
            details: Some(details),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.organization.forget();
    Ok(())
}
