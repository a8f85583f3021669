//! All identity providers (Global Administrator): the built-in Email
//! one-time passcode and the OpenID Connect providers; New OpenID Connect
//! provider, edit (which also disables) and delete.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::groups::ConfirmDeletePage;
use crate::app::AppState;
use crate::domain::identity_provider as rules;
use crate::services::identity_providers::{self as service, ProviderForm, ProviderView};
use crate::services::{FieldErrors, ServiceError};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ManageSettings;
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

const LIST: &str = "/admin/identity-providers";

#[derive(Template)]
#[template(path = "admin/identity_providers.html")]
struct ListPage {
    layout: Layout,
    otp_at_redemption: bool,
    providers: Vec<ProviderView>,
}

/// `/admin/identity-providers`.
pub async fn all_identity_providers(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let org = state
        .organization
        .get(&state.db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the organization row is missing")))?;
    render(&ListPage {
        layout: Layout::signed_in("All identity providers", &admin, Section::Settings),
        otp_at_redemption: org.requires_code_at_redemption(),
        providers: service::list(&state).await?,
    })
}

#[derive(Deserialize)]
pub struct EmailOtpFields {
    otp_at_redemption: Option<String>,
}

/// Saves the built-in Email one-time passcode provider's setting.
pub async fn save_email_otp(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<EmailOtpFields>,
) -> Result<HttpResponse, AppError> {
    crate::services::settings::update_email_otp(&state, &admin.as_admin(), form.otp_at_redemption.is_some()).await?;
    admin
        .session
        .flash(FlashKind::Success, "The Email one-time passcode settings were saved.");
    Ok(see_other(LIST))
}

#[derive(Template)]
#[template(path = "admin/identity_provider_form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    /// Editing: a secret is saved and is kept when the field is left empty.
    editing: bool,
    form: Fields,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
pub struct Fields {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    metadata_url: String,
    #[serde(default)]
    client_id: String,
    /// Never echoed back.
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    email_claim: String,
    #[serde(default)]
    domains: String,
    required: Option<String>,
    enabled: Option<String>,
}

impl Fields {
    fn to_form(&self) -> ProviderForm {
        ProviderForm {
            display_name: self.display_name.clone(),
            metadata_url: self.metadata_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            scope: self.scope.clone(),
            email_claim: self.email_claim.clone(),
            domains: self.domains.clone(),
            required: self.required.is_some(),
            enabled: self.enabled.is_some(),
        }
    }

    /// What was entered, cut to a little over each limit, without the secret.
    fn echo(&self) -> Fields {
        let cut = |s: &str, max: usize| s.chars().take(max + 1).collect::<String>();
        Fields {
            display_name: cut(&self.display_name, rules::NAME_MAX_LEN),
            metadata_url: cut(&self.metadata_url, rules::URL_MAX_LEN),
            client_id: cut(&self.client_id, rules::CLIENT_ID_MAX_LEN),
            client_secret: String::new(),
            scope: cut(&self.scope, rules::SCOPE_MAX_LEN),
            email_claim: cut(&self.email_claim, rules::CLAIM_MAX_LEN),
            domains: cut(&self.domains, 30 * rules::MAX_DOMAINS),
            required: self.required.clone(),
            enabled: self.enabled.clone(),
        }
    }
}

fn page(admin: &Authorized<ManageSettings>, editing: Option<&str>, form: Fields, errors: FieldErrors) -> FormPage {
    let (heading, action) = match editing {
        Some(id) => ("Edit identity provider".to_owned(), format!("{LIST}/{id}")),
        None => ("New OpenID Connect provider".to_owned(), format!("{LIST}/new")),
    };
    FormPage {
        layout: Layout::signed_in(&heading, admin, Section::Settings),
        heading,
        action,
        editing: editing.is_some(),
        form,
        errors,
    }
}

#[derive(Deserialize)]
pub struct PresetQuery {
    preset: Option<String>,
}

/// Presets: a well-known provider's name and metadata URL filled in.
/// Microsoft accounts are the personal ones (the `consumers` authority,
/// whose issuer is one fixed tenant).
const PRESETS: &[(&str, &str, &str)] = &[
    (
        "google",
        "Google",
        "https://accounts.google.com/.well-known/openid-configuration",
    ),
    (
        "microsoft",
        "Microsoft account",
        "https://login.microsoftonline.com/consumers/v2.0/.well-known/openid-configuration",
    ),
];

pub async fn new_form(
    admin: Authorized<ManageSettings>,
    query: web::Query<PresetQuery>,
) -> Result<HttpResponse, AppError> {
    let preset = PRESETS.iter().find(|(key, _, _)| query.preset.as_deref() == Some(*key));
    let form = Fields {
        display_name: preset.map(|p| p.1.to_owned()).unwrap_or_default(),
        metadata_url: preset.map(|p| p.2.to_owned()).unwrap_or_default(),
        scope: rules::DEFAULT_SCOPE.into(),
        email_claim: rules::DEFAULT_EMAIL_CLAIM.into(),
        enabled: Some("on".into()),
        ..Fields::default()
    };
    render(&page(&admin, None, form, FieldErrors::default()))
}

pub async fn create(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    match service::create(&state, &admin.as_admin(), &form.to_form()).await {
        Ok(_) => {
            admin.session.flash(
                FlashKind::Success,
                format!("The identity provider {} was added.", form.display_name.trim()),
            );
            Ok(see_other(LIST))
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &page(&admin, None, form.echo(), errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = service::get(&state, &id).await?;
    let on = |b: bool| b.then(|| "on".to_owned());
    let form = Fields {
        display_name: p.row.display_name.clone(),
        metadata_url: p.row.metadata_url.clone(),
        client_id: p.row.client_id.clone(),
        client_secret: String::new(),
        scope: p.row.scope.clone(),
        email_claim: p.row.email_claim.clone(),
        domains: p.domains.join("\n"),
        required: on(p.required()),
        enabled: on(p.enabled()),
    };
    render(&page(&admin, Some(&id), form, FieldErrors::default()))
}

pub async fn update(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    match service::update(&state, &admin.as_admin(), &id, &form.to_form()).await {
        Ok(()) => {
            admin.session.flash(
                FlashKind::Success,
                format!("The identity provider {} was saved.", form.display_name.trim()),
            );
            Ok(see_other(LIST))
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &page(&admin, Some(&id), form.echo(), errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_form(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = service::get(&state, &id).await?;
    let linked = service::linked_users(&state, &id).await?;
    render(&ConfirmDeletePage {
        layout: Layout::signed_in("Delete identity provider", &admin, Section::Settings),
        heading: "Delete identity provider".into(),
        question: format!(
            "Delete {}? {linked} user{} sign{} in with it.",
            p.row.display_name,
            if linked == 1 { "" } else { "s" },
            if linked == 1 { "s" } else { "" }
        ),
        consequence: "Guests who signed in with it fall back to the email one-time passcode.",
        action: format!("{LIST}/{}/delete", p.row.id),
        cancel_href: LIST.into(),
    })
}

pub async fn delete(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _csrf: CsrfForm<super::groups::NoFields>,
) -> Result<HttpResponse, AppError> {
    let p = service::get(&state, &id).await?;
    service::delete(&state, &admin.as_admin(), &id).await?;
    admin.session.flash(
        FlashKind::Success,
        format!("The identity provider {} was deleted.", p.row.display_name),
    );
    Ok(see_other(LIST))
}
