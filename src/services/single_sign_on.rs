//! An application's Single sign-on and Certificates & secrets pages: how it
//! signs users in (Disabled, Linked or OpenID Connect), its exact redirect
//! URIs, its ID token signing algorithm, and its client secrets, whose
//! value is shown once and of which only an HMAC digest is kept. Managed by
//! Global Administrators (SPEC §8). Every change and its audit entry commit
//! together; a refusal writes nothing.

use crate::app::AppState;
use crate::clock::format_time;
use crate::domain::redirect::RedirectUrl;
use crate::domain::single_sign_on::{
    CLIENT_SECRETS_MAX, RedirectKind, SecretExpiry, SigningAlg, SsoMode, parse_redirect_uri_list,
    parse_secret_description, secret_hint,
};
use crate::domain::{Permission, role::any_allows};
use crate::security::secret::random_token;
use crate::services::applications;
use crate::services::{Admin, FieldErrors, ServiceError, ServiceResult};
use crate::store;
use crate::store::single_sign_on::{ClientSecret, NewSecret, SsoConfig};

/// The audit activity of a change on the Single sign-on page (Entra's).
pub const UPDATE_APPLICATION: &str = "Update application";
/// The audit activity of a client secret added or deleted (Entra's).
pub const SECRETS_MANAGEMENT: &str = "Update application – Certificates and secrets management";

/// How many random bytes a client secret's value has (before base64url).
const SECRET_BYTES: usize = 32;

/// At most this many URIs of each list are named in an audit entry.
const AUDITED_URIS: usize = 5;

fn may_manage(admin: &Admin<'_>) -> ServiceResult<()> {
    if any_allows(admin.roles, Permission::ManageSingleSignOn) {
        Ok(())
    } else {
        Err(ServiceError::Denied(
            "Only a Global Administrator manages single sign-on.".into(),
        ))
    }
}

/// The Single sign-on form as entered.
#[derive(Clone, Debug, Default)]
pub struct SsoInput {
    /// `SsoMode::as_str` of the chosen mode.
    pub mode: String,
    /// The sign-on (login-initiation) URL; empty for none.
    pub login_url: String,
    /// Redirect URIs, one per line.
    pub redirect_uris: String,
    /// Post-logout redirect URIs, one per line.
    pub post_logout_redirect_uris: String,
    /// `SigningAlg::as_str` of the ID token signing algorithm.
    pub id_token_alg: String,
}

/// The sign-on URL: optional, an http(s) address like a homepage URL.
fn parse_login_url(input: &str) -> Result<Option<String>, String> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    RedirectUrl::parse(input)
        .map(|u| Some(u.as_str().to_owned()))
        .map_err(|e| e.replace("A redirect URL", "A sign-on URL"))
}

/// The checked form: all of it, or a message per field.
struct ValidSso {
    mode: SsoMode,
    login_url: Option<String>,
    redirect_uris: Vec<String>,
    post_logout_uris: Vec<String>,
    alg: SigningAlg,
}

fn validate(input: &SsoInput) -> ServiceResult<ValidSso> {
    let mut errors = FieldErrors::default();
    let mode = errors.check(
        "mode",
        SsoMode::parse(input.mode.trim()).ok_or_else(|| "Choose Disabled, Linked or OpenID Connect.".to_string()),
    );
    let login_url = errors.check("login_url", parse_login_url(&input.login_url));
    let redirect_uris = errors.check("redirect_uris", parse_redirect_uri_list(&input.redirect_uris));
    let post_logout_uris = errors.check(
        "post_logout_redirect_uris",
        parse_redirect_uri_list(&input.post_logout_redirect_uris),
    );
    let alg = errors.check(
        "id_token_alg",
        SigningAlg::parse(input.id_token_alg.trim()).ok_or_else(|| "Choose RS256 or ES256.".to_string()),
    );
    if mode == Some(SsoMode::OpenIdConnect) && redirect_uris.as_ref().is_some_and(Vec::is_empty) {
        errors.add("redirect_uris", "Add at least one redirect URI.");
    }
    match (mode, login_url, redirect_uris, post_logout_uris, alg) {
        (Some(mode), Some(login_url), Some(redirect_uris), Some(post_logout_uris), Some(alg)) if errors.is_empty() => {
            Ok(ValidSso {
                mode,
                login_url,
                redirect_uris,
                post_logout_uris,
                alg,
            })
        }
        _ => Err(ServiceError::Invalid(errors)),
    }
}

/// "name=N" with the URIs added and removed (the first few of each).
fn uri_changes(name: &str, before: &[String], after: &[String]) -> String {
    let named = |list: Vec<&String>| {
        let mut shown: Vec<String> = list.iter().take(AUDITED_URIS).map(|u| u.to_string()).collect();
        if list.len() > AUDITED_URIS {
            shown.push(format!("and {} more", list.len() - AUDITED_URIS));
        }
        shown.join(", ")
    };
    let added: Vec<&String> = after.iter().filter(|u| !before.contains(u)).collect();
    let removed: Vec<&String> = before.iter().filter(|u| !after.contains(u)).collect();
    let mut out = format!("{name}={}", after.len());
    if !added.is_empty() {
        out.push_str(&format!(" (added: {})", named(added)));
    }
    if !removed.is_empty() {
        out.push_str(&format!(" (removed: {})", named(removed)));
    }
    out
}

/// Save on the Single sign-on page: the mode, the sign-on URL, both lists
/// of redirect URIs and the ID token signing algorithm. The first time the
/// application turns to OpenID Connect it is given its Application (client)
/// ID, which it keeps from then on, whatever the mode. OpenID Connect needs
/// at least one redirect URI.
pub async fn save_config(
    state: &AppState,
    admin: &Admin<'_>,
    app_id: &str,
    input: &SsoInput,
) -> ServiceResult<SsoConfig> {
    may_manage(admin)?;
    let valid = validate(input)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::applications::lock(&mut tx, app_id).await?;
    let before = store::single_sign_on::config(&mut tx, app_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let redirect_before = store::single_sign_on::redirect_uris(&mut tx, app_id, RedirectKind::Redirect).await?;
    let logout_before = store::single_sign_on::redirect_uris(&mut tx, app_id, RedirectKind::PostLogout).await?;
    let login_url = valid.login_url.as_deref();
    let new_client_id = (valid.mode == SsoMode::OpenIdConnect).then(|| uuid::Uuid::new_v4().to_string());
    store::single_sign_on::save_config(
        &mut tx,
        app_id,
        valid.mode,
        login_url,
        valid.alg,
        new_client_id.as_deref(),
        now,
    )
    .await?;
    if redirect_before != valid.redirect_uris {
        store::single_sign_on::replace_redirect_uris(
            &mut tx,
            app_id,
            RedirectKind::Redirect,
            &valid.redirect_uris,
            now,
        )
        .await?;
    }
    if logout_before != valid.post_logout_uris {
        store::single_sign_on::replace_redirect_uris(
            &mut tx,
            app_id,
            RedirectKind::PostLogout,
            &valid.post_logout_uris,
            now,
        )
        .await?;
    }
    let after = store::single_sign_on::config(&mut tx, app_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mode = if before.mode == after.mode {
        after.mode.as_str().to_owned()
    } else {
        format!("{} (was {})", after.mode.as_str(), before.mode.as_str())
    };
    let details = format!(
        "singleSignOnMode={mode}; appId={}; loginUrl={}; idTokenSigningAlg={}; {}; {}",
        after.client_id.as_deref().unwrap_or(""),
        after.login_url.as_deref().unwrap_or(""),
        after.id_token_alg.as_str(),
        uri_changes("redirectUris", &redirect_before, &valid.redirect_uris),
        uri_changes("postLogoutRedirectUris", &logout_before, &valid.post_logout_uris),
    );
    applications::audit(
        &mut tx,
        &admin.actor,
        UPDATE_APPLICATION,
        &after.app_id,
        &after.display_name,
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A client secret just added, with its value: the only time the value is
/// known. Only its digest (`Secrets::client_secrets`) is stored.
pub struct AddedSecret {
    pub secret: ClientSecret,
    pub value: String,
}

/// New client secret: a description and a lifetime of 6, 12 or 24 months
/// (`SecretExpiry::parse` of the months). The value is random; the store
/// keeps its digest and its first characters as a hint.
pub async fn add_secret(
    state: &AppState,
    admin: &Admin<'_>,
    app_id: &str,
    description: &str,
    expires_months: &str,
) -> ServiceResult<AddedSecret> {
    may_manage(admin)?;
    let mut errors = FieldErrors::default();
    let description = errors.check("description", parse_secret_description(description));
    let expiry = errors.check(
        "expires",
        SecretExpiry::parse(expires_months).ok_or_else(|| "Choose when the secret expires.".to_string()),
    );
    let (Some(description), Some(expiry), true) = (description, expiry, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::applications::lock(&mut tx, app_id).await?;
    let app = store::single_sign_on::config(&mut tx, app_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if store::single_sign_on::secrets(&mut tx, app_id).await?.len() >= CLIENT_SECRETS_MAX {
        let mut errors = FieldErrors::default();
        errors.add(
            "",
            format!("An application has at most {CLIENT_SECRETS_MAX} client secrets: delete one first."),
        );
        return Err(ServiceError::Invalid(errors));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let value = random_token(SECRET_BYTES);
    let hint = secret_hint(&value);
    let digest = state.secrets.client_secrets.digest(&value);
    let expires_at = now + expiry.days() * 86_400;
    store::single_sign_on::insert_secret(
        &mut tx,
        &NewSecret {
            id: &id,
            app_id,
            description: &description,
            hint: &hint,
            digest: &digest,
            now,
            expires_at,
        },
    )
    .await?;
    let details = format!(
        "action=Add client secret; keyId={id}; keyDescription={description}; hint={hint}; endDateTime={}",
        format_time(expires_at)
    );
    applications::audit(
        &mut tx,
        &admin.actor,
        SECRETS_MANAGEMENT,
        &app.app_id,
        &app.display_name,
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(AddedSecret {
        secret: ClientSecret {
            id,
            app_id: app_id.to_owned(),
            description,
            hint,
            created_at: now,
            expires_at,
        },
        value,
    })
}

/// Delete on Certificates & secrets: the application stops accepting it
/// at once.
pub async fn delete_secret(
    state: &AppState,
    admin: &Admin<'_>,
    app_id: &str,
    secret_id: &str,
) -> ServiceResult<ClientSecret> {
    may_manage(admin)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::applications::lock(&mut tx, app_id).await?;
    let app = store::single_sign_on::config(&mut tx, app_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let secret = store::single_sign_on::delete_secret(&mut tx, app_id, secret_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let details = format!(
        "action=Delete client secret; keyId={}; keyDescription={}; hint={}; endDateTime={}",
        secret.id,
        secret.description,
        secret.hint,
        format_time(secret.expires_at)
    );
    applications::audit(
        &mut tx,
        &admin.actor,
        SECRETS_MANAGEMENT,
        &app.app_id,
        &app.display_name,
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}
