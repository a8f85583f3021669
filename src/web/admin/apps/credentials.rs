//! An application's Certificates & secrets tab: the client secrets (never
//! their values), New client secret, whose value the answer shows once, and
//! Delete after a confirmation. Global Administrators only.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{keep, load_app};
use crate::app::AppState;
use crate::clock::format_time;
use crate::domain::single_sign_on::SecretExpiry;
use crate::services::single_sign_on::{self as sso_service, AddedSecret};
use crate::services::{FieldErrors, ServiceError};
use crate::store::applications::Application;
use crate::store::single_sign_on::ClientSecret;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::permits::ManageSingleSignOn;
use crate::web::extractors::{Authorized, CurrentUser};
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

/// One row of the list.
struct SecretRow {
    id: String,
    description: String,
    /// The value's first characters, as Entra shows them: `abc***`.
    value_hint: String,
    expires: String,
    expired: bool,
}

impl SecretRow {
    fn of(secret: &ClientSecret, now: i64) -> Self {
        SecretRow {
            id: secret.id.clone(),
            description: secret.description.clone(),
            value_hint: format!("{}***", secret.hint),
            expires: format_time(secret.expires_at),
            expired: secret.expires_at <= now,
        }
    }
}

/// A secret just added: the only page that ever shows its value.
struct Created {
    description: String,
    secret_id: String,
    value: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin/app_credentials.html")]
struct CredentialsPage {
    layout: Layout,
    app: Application,
    tab: &'static str,
    secrets: Vec<SecretRow>,
    created: Option<Created>,
    expiries: Vec<(String, &'static str, bool)>,
    description: String,
    errors: FieldErrors,
}

async fn page(
    state: &AppState,
    admin: &CurrentUser,
    app_id: &str,
    created: Option<Created>,
    entered: Option<&NewSecretForm>,
    errors: FieldErrors,
) -> Result<CredentialsPage, AppError> {
    let app = load_app(state, app_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let secrets = crate::store::single_sign_on::secrets(&mut conn, app_id).await?;
    drop(conn);
    let now = state.clock.now();
    let chosen = entered.map_or("6", |f| f.expires.as_str());
    Ok(CredentialsPage {
        layout: Layout::signed_in(
            &format!("{} · Certificates & secrets", app.display_name),
            admin,
            Section::Apps,
        ),
        app,
        tab: "credentials",
        secrets: secrets.iter().map(|s| SecretRow::of(s, now)).collect(),
        created,
        expiries: SecretExpiry::ALL
            .into_iter()
            .map(|e| {
                (
                    e.months().to_string(),
                    e.label(),
                    e.months().to_string() == chosen.trim(),
                )
            })
            .collect(),
        description: entered.map(|f| keep(&f.description, 120)).unwrap_or_default(),
        errors,
    })
}

pub async fn credentials_page(
    admin: Authorized<ManageSingleSignOn>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    render(&page(&state, &admin, &id, None, None, FieldErrors::default()).await?)
}

#[derive(Deserialize)]
pub struct NewSecretForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    expires: String,
}

/// New client secret: the answer shows the value, once, and is never kept
/// by a cache.
pub async fn new_client_secret(
    admin: Authorized<ManageSingleSignOn>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<NewSecretForm>,
) -> Result<HttpResponse, AppError> {
    match sso_service::add_secret(&state, &admin.as_admin(), &id, &form.description, &form.expires).await {
        Ok(AddedSecret { secret, value }) => {
            let created = Created {
                description: secret.description,
                secret_id: secret.id,
                value,
                expires: format_time(secret.expires_at),
            };
            let mut res = render_with(
                &page(&state, &admin, &id, Some(created), None, FieldErrors::default()).await?,
                StatusCode::CREATED,
            )?;
            res.headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            Ok(res)
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &page(&state, &admin, &id, None, Some(&form), errors).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

async fn find_secret(state: &AppState, app_id: &str, secret_id: &str) -> Result<ClientSecret, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let secrets = crate::store::single_sign_on::secrets(&mut conn, app_id).await?;
    secrets
        .into_iter()
        .find(|s| s.id == secret_id)
        .ok_or(AppError::NotFound)
}

pub async fn delete_secret_form(
    admin: Authorized<ManageSingleSignOn>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (app_id, secret_id) = path.into_inner();
    let app = load_app(&state, &app_id).await?;
    let secret = find_secret(&state, &app.id, &secret_id).await?;
    render(&crate::web::admin::groups::ConfirmDeletePage {
        layout: Layout::signed_in("Delete client secret", &admin, Section::Apps),
        heading: "Delete client secret".into(),
        question: format!(
            "Delete the client secret {} ({}***) of {}?",
            secret.description, secret.hint, app.display_name
        ),
        consequence: "The application can no longer sign in with it, from now on. This cannot be undone.",
        action: format!("/admin/apps/{}/credentials/{}/delete", app.id, secret.id),
        cancel_href: format!("/admin/apps/{}/credentials", app.id),
    })
}

#[derive(Deserialize)]
pub struct NoFields {}

pub async fn delete_secret(
    admin: Authorized<ManageSingleSignOn>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (app_id, secret_id) = path.into_inner();
    let secret = sso_service::delete_secret(&state, &admin.as_admin(), &app_id, &secret_id).await?;
    admin.session.flash(
        FlashKind::Success,
        format!("The client secret {} was deleted.", secret.description),
    );
    Ok(see_other(&format!("/admin/apps/{app_id}/credentials")))
}
