//! An application's API permissions page: add or remove Graph-named
//! application permissions, **Grant admin consent** for them all, and
//! revoke consent for one. Global Administrators only. A permission counts
//! only once consented, and the API reads them on every request, so a
//! revocation holds from the next call. Every change and its audit entry
//! commit together; a refusal writes nothing.

use crate::app::AppState;
use crate::domain::api_permission::ApiPermission;
use crate::domain::{Permission, role::any_allows};
use crate::services::applications;
use crate::services::{Admin, FieldErrors, ServiceError, ServiceResult};
use crate::store;
use crate::store::api_permissions::ConfiguredPermission;

/// Entra's activity for permissions added or removed.
pub const UPDATE_APPLICATION: &str = "Update application";
/// Entra's activity when a Global Administrator grants admin consent.
pub const CONSENT: &str = "Consent to application";
/// Entra's activity when consent to an application permission is removed.
pub const REVOKE_CONSENT: &str = "Remove app role assignment from service principal";

fn may_manage(admin: &Admin<'_>) -> ServiceResult<()> {
    if any_allows(admin.roles, Permission::ManageApiPermissions) {
        Ok(())
    } else {
        Err(ServiceError::Denied(
            "Only a Global Administrator manages API permissions and grants admin consent.".into(),
        ))
    }
}

/// The configured permissions of an application, in `ApiPermission::ALL`
/// order, each with whether it is granted.
pub async fn configured(state: &AppState, app_id: &str) -> ServiceResult<Vec<(ApiPermission, ConfiguredPermission)>> {
    let mut conn = state.db.pool().acquire().await?;
    let rows = store::api_permissions::list(&mut conn, app_id).await?;
    let mut all: Vec<(ApiPermission, ConfiguredPermission)> = rows
        .into_iter()
        .filter_map(|r| ApiPermission::parse(&r.permission).map(|p| (p, r)))
        .collect();
    all.sort_by_key(|(p, _)| *p);
    Ok(all)
}

/// Add a permission: the chosen names, each known; none consented yet. The
/// application gets a client ID if it has none, since it will need one to
/// ask for a token.
pub async fn add(
    state: &AppState,
    admin: &Admin<'_>,
    app_id: &str,
    names: &[String],
) -> ServiceResult<Vec<ApiPermission>> {
    may_manage(admin)?;
    let mut chosen = Vec::new();
    for name in names {
        match ApiPermission::parse(name.trim()) {
            Some(p) if !chosen.contains(&p) => chosen.push(p),
            Some(_) => {}
            None => return Err(invalid("permissions", "Choose permissions from the list.")),
        }
    }
    if chosen.is_empty() {
        return Err(invalid("permissions", "Choose at least one permission to add."));
    }
    let mut change = AppChange::begin(state, admin, app_id).await?;
    let mut added = Vec::new();
    for p in &chosen {
        if store::api_permissions::add(&mut change.tx, app_id, p.name(), change.now).await? {
            added.push(*p);
        }
    }
    if added.is_empty() {
        return Err(invalid("permissions", "Those permissions are configured already."));
    }
    let client_id = uuid::Uuid::new_v4().to_string();
    store::api_permissions::ensure_client_id(&mut change.tx, app_id, &client_id).await?;
    let names: Vec<&str> = added.iter().map(|p| p.name()).collect();
    let details = format!("action=Add API permissions; permissions={}", names.join(", "));
    change.commit(admin, UPDATE_APPLICATION, details).await?;
    Ok(added)
}

/// Remove permission: gone at once, consented or not.
pub async fn remove(state: &AppState, admin: &Admin<'_>, app_id: &str, permission: ApiPermission) -> ServiceResult<()> {
    let mut change = AppChange::begin(state, admin, app_id).await?;
    if !store::api_permissions::remove(&mut change.tx, app_id, permission.name()).await? {
        return Err(ServiceError::NotFound);
    }
    let details = format!("action=Remove API permission; permission={}", permission.name());
    change.commit(admin, UPDATE_APPLICATION, details).await
}

/// Grant admin consent for every configured permission not yet granted.
pub async fn grant_admin_consent(state: &AppState, admin: &Admin<'_>, app_id: &str) -> ServiceResult<Vec<String>> {
    let mut change = AppChange::begin(state, admin, app_id).await?;
    let by = admin.actor.id.as_deref();
    let granted = store::api_permissions::grant_consent(&mut change.tx, app_id, by, change.now).await?;
    if granted.is_empty() {
        return Err(ServiceError::Refused(
            "Every configured permission is granted already.".into(),
        ));
    }
    let details = format!("ConsentType=AllPrincipals; permissions={}", granted.join(", "));
    change.commit(admin, CONSENT, details).await?;
    Ok(granted)
}

/// Revoke admin consent for one permission: the permission stays
/// configured, and the application loses it from its next request.
pub async fn revoke_admin_consent(
    state: &AppState,
    admin: &Admin<'_>,
    app_id: &str,
    permission: ApiPermission,
) -> ServiceResult<()> {
    let mut change = AppChange::begin(state, admin, app_id).await?;
    if !store::api_permissions::revoke_consent(&mut change.tx, app_id, permission.name()).await? {
        return Err(ServiceError::NotFound);
    }
    let details = format!("permission={}", permission.name());
    change.commit(admin, REVOKE_CONSENT, details).await
}

/// A change to one application: its transaction (the application row
/// locked), the application, and the time.
struct AppChange {
    tx: crate::store::Tx,
    app: crate::store::single_sign_on::SsoConfig,
    now: i64,
}

impl AppChange {
    async fn begin(state: &AppState, admin: &Admin<'_>, app_id: &str) -> ServiceResult<Self> {
        may_manage(admin)?;
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        store::applications::lock(&mut tx, app_id).await?;
        let app = store::single_sign_on::config(&mut tx, app_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(Self { tx, app, now })
    }

    /// Writes the audit line and commits both.
    async fn commit(mut self, admin: &Admin<'_>, activity: &str, details: String) -> ServiceResult<()> {
        let (id, name) = (&self.app.app_id, &self.app.display_name);
        applications::audit(&mut self.tx, &admin.actor, activity, id, name, details, self.now).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

fn invalid(field: &'static str, message: &str) -> ServiceError {
    let mut errors = FieldErrors::default();
    errors.add(field, message.to_owned());
    ServiceError::Invalid(errors)
}
