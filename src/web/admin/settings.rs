//! Settings (Global Administrator only): the index with the current values,
//! Organization properties and External collaboration settings.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::collaboration_restrictions::{MAX_POLICY_BYTES, RestrictionMode};
use crate::domain::invite_level::InviteLevel;
use crate::domain::language::Language;
use crate::domain::organization::{NAME_MAX_LEN, TERMS_MAX_LEN};
use crate::services::settings::{self as settings_service, CollaborationForm, CollaborationSaved, OrganizationForm};
use crate::services::{FieldErrors, ServiceError};
use crate::store::organization::Organization;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ManageSettings;
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

async fn load_organization(state: &AppState) -> Result<Organization, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    crate::store::organization::get(&mut conn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the organization row is missing")))
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    layout: Layout,
    org: Organization,
}

/// `/admin/settings`: what is set now, and where to change it.
pub async fn settings_index(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    render(&SettingsPage {
        layout: Layout::signed_in("Settings", &admin, Section::Settings),
        org: load_organization(&state).await?,
    })
}

#[derive(Template)]
#[template(path = "admin/settings_organization.html")]
struct OrganizationPage {
    layout: Layout,
    form: OrganizationFields,
    languages: [Language; 5],
    terms_version: i64,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct OrganizationFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    primary_domain: String,
    #[serde(default)]
    privacy_statement_url: String,
    #[serde(default)]
    privacy_contact: String,
    #[serde(default)]
    terms_of_use: String,
    #[serde(default)]
    language: String,
}

pub async fn organization_form(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let org = load_organization(&state).await?;
    let language = org.language().code().to_owned();
    render(&OrganizationPage {
        layout: Layout::signed_in("Organization properties", &admin, Section::Settings),
        terms_version: org.terms_version,
        form: OrganizationFields {
            name: org.name,
            primary_domain: org.primary_domain,
            privacy_statement_url: org.privacy_statement_url.unwrap_or_default(),
            privacy_contact: org.privacy_contact.unwrap_or_default(),
            terms_of_use: org.terms_of_use.unwrap_or_default(),
            language,
        },
        languages: Language::ALL,
        errors: FieldErrors::default(),
    })
}

pub async fn save_organization(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<OrganizationFields>,
) -> Result<HttpResponse, AppError> {
    let saved = settings_service::update_organization(
        &state,
        &admin.as_admin(),
        &OrganizationForm {
            name: form.name.clone(),
            primary_domain: form.primary_domain.clone(),
            privacy_statement_url: form.privacy_statement_url.clone(),
            privacy_contact: form.privacy_contact.clone(),
            terms_of_use: form.terms_of_use.clone(),
            language: form.language.clone(),
        },
    )
    .await;
    let errors = match saved {
        Ok(()) => {
            admin
                .session
                .flash(FlashKind::Success, "The organization properties were saved.");
            return Ok(see_other("/admin/settings"));
        }
        Err(ServiceError::Invalid(errors)) => errors,
        Err(e) => return Err(e.into()),
    };
    let org = load_organization(&state).await?;
    // Echo what was entered, cut to a little over each limit so the page
    // stays small whatever is posted.
    let cut = |s: &str, max: usize| s.chars().take(max + 1).collect::<String>();
    render_with(
        &OrganizationPage {
            layout: Layout::signed_in("Organization properties", &admin, Section::Settings),
            terms_version: org.terms_version,
            form: OrganizationFields {
                name: cut(&form.name, NAME_MAX_LEN),
                primary_domain: cut(&form.primary_domain, 300),
                privacy_statement_url: cut(&form.privacy_statement_url, crate::domain::redirect::MAX_LEN),
                privacy_contact: cut(&form.privacy_contact, crate::domain::email::MAX_LEN),
                terms_of_use: cut(&form.terms_of_use, TERMS_MAX_LEN),
                language: cut(&form.language, 35),
            },
            languages: Language::ALL,
            errors,
        },
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

#[derive(Template)]
#[template(path = "admin/settings_collaboration.html")]
struct CollaborationPage {
    layout: Layout,
    guests_may_leave: bool,
    guest_session_hours: String,
    /// The chosen `InviteLevel` key.
    allow_invites_from: String,
    invite_levels: [InviteLevel; 4],
    /// The chosen `RestrictionMode` key.
    domain_policy: String,
    restriction_modes: [RestrictionMode; 3],
    target_domains: String,
    /// Set when the save would discard these domains by swapping an allow
    /// list for a deny list (or back): the page asks to confirm.
    discarded: Vec<String>,
    errors: FieldErrors,
}

pub async fn collaboration_form(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let org = load_organization(&state).await?;
    render(&CollaborationPage {
        layout: Layout::signed_in("External collaboration settings", &admin, Section::Settings),
        guests_may_leave: org.lets_guests_leave(),
        guest_session_hours: org.guest_session_hours.to_string(),
        allow_invites_from: org.invite_level().key().to_owned(),
        invite_levels: InviteLevel::ALL,
        domain_policy: org.domain_policy().mode.key().to_owned(),
        restriction_modes: RestrictionMode::ALL,
        target_domains: org.domain_policy().stored_list(),
        discarded: Vec::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct CollaborationFields {
    guests_may_leave: Option<String>,
    #[serde(default)]
    guest_session_hours: String,
    #[serde(default)]
    allow_invites_from: String,
    #[serde(default)]
    domain_policy: String,
    #[serde(default)]
    target_domains: String,
    confirm_list_switch: Option<String>,
}

pub async fn save_collaboration(
    admin: Authorized<ManageSettings>,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CollaborationFields>,
) -> Result<HttpResponse, AppError> {
    let fields = CollaborationForm {
        guests_may_leave: form.guests_may_leave.is_some(),
        guest_session_hours: form.guest_session_hours.clone(),
        allow_invites_from: form.allow_invites_from.clone(),
        domain_policy: form.domain_policy.clone(),
        target_domains: form.target_domains.clone(),
        confirm_list_switch: form.confirm_list_switch.is_some(),
    };
    let saved = settings_service::update_collaboration(&state, &admin.as_admin(), &fields).await;
    // The page again, with what was entered (cut to a little over each
    // limit so it stays small whatever is posted).
    let again = |discarded: Vec<String>, errors: FieldErrors| CollaborationPage {
        layout: Layout::signed_in("External collaboration settings", &admin, Section::Settings),
        guests_may_leave: fields.guests_may_leave,
        guest_session_hours: form.guest_session_hours.chars().take(12).collect(),
        allow_invites_from: form.allow_invites_from.chars().take(40).collect(),
        invite_levels: InviteLevel::ALL,
        domain_policy: form.domain_policy.chars().take(12).collect(),
        restriction_modes: RestrictionMode::ALL,
        target_domains: form.target_domains.chars().take(MAX_POLICY_BYTES + 1).collect(),
        discarded,
        errors,
    };
    match saved {
        Ok(CollaborationSaved::Saved) => {
            admin
                .session
                .flash(FlashKind::Success, "The external collaboration settings were saved.");
            Ok(see_other("/admin/settings"))
        }
        Ok(CollaborationSaved::ConfirmListSwitch { discarded }) => {
            render_with(&again(discarded, FieldErrors::default()), StatusCode::CONFLICT)
        }
        Err(ServiceError::Invalid(errors)) => render_with(&again(Vec::new(), errors), StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => Err(e.into()),
    }
}
