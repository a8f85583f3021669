//! All identity providers: the OpenID Connect providers a Global
//! Administrator adds, edits, disables and deletes. Saving reads the
//! provider's discovery document first; nothing is written when it cannot
//! be read or does not describe a provider. Each change is one transaction
//! with its audit entry.

pub mod federation;
pub mod http;

use crate::app::AppState;
use crate::domain::identity_provider::{self as rules, ProviderMetadata};
use crate::services::{Admin, FieldErrors, ServiceError, ServiceResult};
use crate::store::audit::AuditEntry;
use crate::store::identity_providers::{self as store, ProviderRow};
use crate::store::{self as stores, Tx};

/// A provider as the form sends it.
#[derive(Clone, Debug, Default)]
pub struct ProviderForm {
    pub display_name: String,
    pub metadata_url: String,
    pub client_id: String,
    /// Empty on an edit keeps the secret already saved.
    pub client_secret: String,
    pub scope: String,
    pub email_claim: String,
    /// One per line.
    pub domains: String,
    pub required: bool,
    pub enabled: bool,
}

/// What the pages show of a provider (never its secret).
#[derive(Clone, Debug)]
pub struct ProviderView {
    pub row: ProviderRow,
    pub domains: Vec<String>,
}

impl ProviderView {
    pub fn enabled(&self) -> bool {
        self.row.enabled != 0
    }
    pub fn required(&self) -> bool {
        self.row.required != 0
    }
}

pub async fn list(state: &AppState) -> ServiceResult<Vec<ProviderView>> {
    let mut conn = state.db.pool().acquire().await?;
    let mut out = Vec::new();
    for row in store::list(&mut conn).await? {
        let domains = store::domains(&mut conn, &row.id).await?;
        out.push(ProviderView { row, domains });
    }
    Ok(out)
}

pub async fn get(state: &AppState, id: &str) -> ServiceResult<ProviderView> {
    let mut conn = state.db.pool().acquire().await?;
    let row = store::get(&mut conn, id).await?.ok_or(ServiceError::NotFound)?;
    let domains = store::domains(&mut conn, id).await?;
    Ok(ProviderView { row, domains })
}

/// The form's fields, parsed.
struct Parsed {
    display_name: String,
    metadata_url: String,
    client_id: String,
    client_secret: Option<String>,
    scope: String,
    email_claim: String,
    domains: Vec<String>,
}

fn parse(form: &ProviderForm, secret_required: bool) -> Result<Parsed, FieldErrors> {
    let mut errors = FieldErrors::default();
    let display_name = errors.check("display_name", rules::parse_name(&form.display_name));
    let metadata_url = errors.check("metadata_url", rules::parse_metadata_url(&form.metadata_url));
    let client_id = errors.check("client_id", rules::parse_client_id(&form.client_id));
    let client_secret = errors.check("client_secret", rules::parse_client_secret(&form.client_secret));
    if secret_required && matches!(client_secret, Some(None)) {
        errors.add("client_secret", "Enter the client secret.");
    }
    let scope = errors.check("scope", rules::parse_scope(&form.scope));
    let email_claim = errors.check("email_claim", rules::parse_email_claim(&form.email_claim));
    let domains = errors.check("domains", rules::parse_domains(&form.domains));
    match (
        display_name,
        metadata_url,
        client_id,
        client_secret,
        scope,
        email_claim,
        domains,
    ) {
        (
            Some(display_name),
            Some(metadata_url),
            Some(client_id),
            Some(client_secret),
            Some(scope),
            Some(email_claim),
            Some(domains),
        ) if errors.is_empty() => Ok(Parsed {
            display_name,
            metadata_url,
            client_id,
            client_secret,
            scope,
            email_claim,
            domains,
        }),
        _ => Err(errors),
    }
}

/// The domains another provider serves already, as a field error.
fn taken_error(taken: &[(String, String)]) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let list: Vec<String> = taken
        .iter()
        .map(|(domain, name)| format!("{domain} (served by {name})"))
        .collect();
    errors.add(
        "domains",
        format!(
            "A domain belongs to one identity provider: {} already belongs to another.",
            list.join(", ")
        ),
    );
    errors
}

/// Reads and checks the discovery document.
pub async fn fetch_metadata(url: &str) -> Result<ProviderMetadata, String> {
    let document = http::get_json(url).await.map_err(|e| {
        format!("The metadata URL could not be read: {e}. Check the address and that the provider is up.")
    })?;
    let metadata = ProviderMetadata::parse(&document).map_err(|e| format!("{e} Check the metadata URL."))?;
    Ok(metadata)
}

async fn audit(
    tx: &mut Tx,
    admin: &Admin<'_>,
    activity: &str,
    id: &str,
    name: &str,
    details: String,
    now: i64,
) -> sqlx::Result<()> {
    stores::audit::record(
        tx,
        &admin.actor,
        &AuditEntry {
            activity,
            category: "IdentityProvider",
            target_id: Some(id),
            target_name: Some(name),
            details: Some(details),
        },
        now,
    )
    .await
}

/// Parses, checks the domains are free, reads the metadata: the row to
/// save, or the errors to show.
async fn prepare(
    state: &AppState,
    form: &ProviderForm,
    existing: Option<&ProviderRow>,
) -> ServiceResult<(ProviderRow, Vec<String>)> {
    let parsed = parse(form, existing.is_none()).map_err(ServiceError::Invalid)?;
    let id = existing.map_or_else(|| uuid::Uuid::new_v4().to_string(), |e| e.id.clone());
    {
        let mut conn = state.db.pool().acquire().await?;
        let taken = store::taken_domains(&mut conn, &parsed.domains, &id).await?;
        if !taken.is_empty() {
            return Err(ServiceError::Invalid(taken_error(&taken)));
        }
    }
    let metadata = fetch_metadata(&parsed.metadata_url).await.map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.add("metadata_url", e);
        ServiceError::Invalid(errors)
    })?;
    let sealed = match (parsed.client_secret, existing) {
        (Some(secret), _) => state.secrets.provider_secret_seal.seal(&id, secret.as_bytes()),
        (None, Some(e)) => e.sealed_client_secret.clone(),
        (None, None) => unreachable!("a new provider's secret is required by `parse`"),
    };
    let now = state.clock.now();
    let row = ProviderRow {
        id,
        display_name: parsed.display_name,
        metadata_url: parsed.metadata_url,
        issuer: metadata.issuer,
        authorization_endpoint: metadata.authorization_endpoint,
        token_endpoint: metadata.token_endpoint,
        jwks_uri: metadata.jwks_uri,
        client_id: parsed.client_id,
        sealed_client_secret: sealed,
        scope: parsed.scope,
        email_claim: parsed.email_claim,
        required: i64::from(form.required),
        enabled: i64::from(form.enabled),
        created_at: existing.map_or(now, |e| e.created_at),
        updated_at: now,
    };
    Ok((row, parsed.domains))
}

/// A domain taken between the check and the commit ends here, as the
/// same field error.
async fn save_domains(tx: &mut Tx, id: &str, domains: &[String]) -> ServiceResult<()> {
    let taken = store::taken_domains(tx, domains, id).await?;
    if !taken.is_empty() {
        return Err(ServiceError::Invalid(taken_error(&taken)));
    }
    store::set_domains(tx, id, domains).await?;
    Ok(())
}

/// New OpenID Connect provider; gives its id.
pub async fn create(state: &AppState, admin: &Admin<'_>, form: &ProviderForm) -> ServiceResult<String> {
    let (row, domains) = prepare(state, form, None).await?;
    let mut tx = state.db.begin().await?;
    store::insert(&mut tx, &row).await?;
    save_domains(&mut tx, &row.id, &domains).await?;
    let details = format!(
        "issuer: {}; clientId: {}; domains: {}; required: {}; enabled: {}",
        row.issuer,
        row.client_id,
        domains.join(", "),
        row.required != 0,
        row.enabled != 0
    );
    audit(
        &mut tx,
        admin,
        "Add identity provider",
        &row.id,
        &row.display_name,
        details,
        row.updated_at,
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

fn note(changes: &mut Vec<String>, field: &str, old: &str, new: &str) {
    if old != new {
        changes.push(format!("{field}: {old} -> {new}"));
    }
}

pub async fn update(state: &AppState, admin: &Admin<'_>, id: &str, form: &ProviderForm) -> ServiceResult<()> {
    let before = get(state, id).await?;
    let (row, domains) = prepare(state, form, Some(&before.row)).await?;
    let mut tx = state.db.begin().await?;
    if !store::update(&mut tx, &row).await? {
        return Err(ServiceError::NotFound);
    }
    save_domains(&mut tx, id, &domains).await?;
    let b = &before.row;
    let mut changes = Vec::new();
    note(&mut changes, "displayName", &b.display_name, &row.display_name);
    note(&mut changes, "metadataUrl", &b.metadata_url, &row.metadata_url);
    note(&mut changes, "issuer", &b.issuer, &row.issuer);
    note(&mut changes, "clientId", &b.client_id, &row.client_id);
    if b.sealed_client_secret != row.sealed_client_secret {
        changes.push("clientSecret: changed".into());
    }
    note(&mut changes, "scope", &b.scope, &row.scope);
    note(&mut changes, "emailClaim", &b.email_claim, &row.email_claim);
    note(&mut changes, "domains", &before.domains.join(", "), &domains.join(", "));
    note(
        &mut changes,
        "required",
        &(b.required != 0).to_string(),
        &(row.required != 0).to_string(),
    );
    note(
        &mut changes,
        "enabled",
        &(b.enabled != 0).to_string(),
        &(row.enabled != 0).to_string(),
    );
    let details = if changes.is_empty() {
        "No changes".to_owned()
    } else {
        changes.join("; ")
    };
    audit(
        &mut tx,
        admin,
        "Update identity provider",
        id,
        &row.display_name,
        details,
        row.updated_at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the provider; guests linked to it fall back to the email code.
pub async fn delete(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = store::get(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    let linked = store::linked_users(&mut tx, id).await?;
    store::delete(&mut tx, id).await?;
    let details = format!("issuer: {}; linked users: {linked}", row.issuer);
    audit(
        &mut tx,
        admin,
        "Delete identity provider",
        id,
        &row.display_name,
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How many users sign in with the provider (the delete page says so).
pub async fn linked_users(state: &AppState, id: &str) -> ServiceResult<i64> {
    let mut conn = state.db.pool().acquire().await?;
    Ok(store::linked_users(&mut conn, id).await?)
}
