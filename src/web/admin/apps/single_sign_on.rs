//! An application's Single sign-on tab: the mode (Disabled, Linked or
//! OpenID Connect), and for OpenID Connect the Application (client) ID,
//! issuer and metadata document to copy, the sign-on URL, the redirect URIs
//! and the ID token signing algorithm. Global Administrators only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{keep, load_app};
use crate::app::AppState;
use crate::domain::single_sign_on::{self as sso, RedirectKind, SigningAlg, SsoMode};
use crate::services::single_sign_on::{self as sso_service, SsoInput};
use crate::services::{FieldErrors, ServiceError};
use crate::store::applications::Application;
use crate::store::single_sign_on::SsoConfig;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::permits::ManageSingleSignOn;
use crate::web::extractors::{Authorized, CurrentUser};
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

/// One choice of the mode radio group.
struct ModeChoice {
    value: &'static str,
    label: &'static str,
    hint: &'static str,
    chosen: bool,
}

/// What an OpenID Connect client is configured with, to copy.
struct ClientFacts {
    client_id: String,
    issuer: String,
    discovery_url: String,
}

#[derive(Template)]
#[template(path = "admin/app_single_sign_on.html")]
struct SingleSignOnPage {
    layout: Layout,
    app: Application,
    tab: &'static str,
    modes: Vec<ModeChoice>,
    /// Shown once the application has a client ID and uses OpenID Connect.
    facts: Option<ClientFacts>,
    login_url: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    algs: Vec<(&'static str, bool)>,
    has_secrets: bool,
    max_uris: usize,
    errors: FieldErrors,
}

fn mode_hint(mode: SsoMode) -> &'static str {
    match mode {
        SsoMode::Disabled => "Users cannot open the app from My Apps: its tile leads nowhere.",
        SsoMode::Linked => "The My Apps tile opens the app's homepage; the app signs users in on its own.",
        SsoMode::OpenIdConnect => "The app signs users in through this organization with OpenID Connect.",
    }
}

/// The page, from what is saved or, after a refusal, from what was entered.
async fn page(
    state: &AppState,
    admin: &CurrentUser,
    app_id: &str,
    entered: Option<&SsoInput>,
    errors: FieldErrors,
) -> Result<SingleSignOnPage, AppError> {
    let app = load_app(state, app_id).await?;
    let org = crate::services::organization::current(state).await?;
    let mut conn = state.db.pool().acquire().await?;
    let config: SsoConfig = crate::store::single_sign_on::config(&mut conn, app_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let redirect = crate::store::single_sign_on::redirect_uris(&mut conn, app_id, RedirectKind::Redirect).await?;
    let logout = crate::store::single_sign_on::redirect_uris(&mut conn, app_id, RedirectKind::PostLogout).await?;
    let has_secrets = crate::store::single_sign_on::has_secrets(&mut conn, app_id).await?;
    drop(conn);
    let (mode, login_url, redirect_uris, post_logout_redirect_uris, alg) = match entered {
        Some(f) => (
            f.mode.clone(),
            keep(&f.login_url, 2100),
            keep(&f.redirect_uris, 70_000),
            keep(&f.post_logout_redirect_uris, 70_000),
            f.id_token_alg.clone(),
        ),
        None => (
            config.mode.as_str().to_owned(),
            config.login_url.clone().unwrap_or_default(),
            redirect.join("\n"),
            logout.join("\n"),
            config.id_token_alg.as_str().to_owned(),
        ),
    };
    let facts = match (&config.client_id, config.mode) {
        (Some(client_id), SsoMode::OpenIdConnect) => Some(ClientFacts {
            client_id: client_id.clone(),
            issuer: sso::issuer(&state.public_url, &org.tenant_id),
            discovery_url: sso::discovery_url(&state.public_url, &org.tenant_id),
        }),
        _ => None,
    };
    Ok(SingleSignOnPage {
        layout: Layout::signed_in(&format!("{} · Single sign-on", app.display_name), admin, Section::Apps),
        app,
        tab: "single-sign-on",
        modes: SsoMode::ALL
            .into_iter()
            .map(|m| ModeChoice {
                value: m.as_str(),
                label: m.label(),
                hint: mode_hint(m),
                chosen: m.as_str() == mode,
            })
            .collect(),
        facts,
        login_url,
        redirect_uris,
        post_logout_redirect_uris,
        algs: SigningAlg::ALL
            .into_iter()
            .map(|a| (a.as_str(), a.as_str() == alg))
            .collect(),
        has_secrets,
        max_uris: sso::REDIRECT_URIS_MAX,
        errors,
    })
}

pub async fn single_sign_on_page(
    admin: Authorized<ManageSingleSignOn>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    render(&page(&state, &admin, &id, None, FieldErrors::default()).await?)
}

#[derive(Deserialize)]
pub struct SingleSignOnForm {
    #[serde(default)]
    mode: String,
    #[serde(default)]
    login_url: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    id_token_alg: String,
}

pub async fn save_single_sign_on(
    admin: Authorized<ManageSingleSignOn>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<SingleSignOnForm>,
) -> Result<HttpResponse, AppError> {
    let input = SsoInput {
        mode: form.mode,
        login_url: form.login_url,
        redirect_uris: form.redirect_uris,
        post_logout_redirect_uris: form.post_logout_redirect_uris,
        id_token_alg: form.id_token_alg,
    };
    match sso_service::save_config(&state, &admin.as_admin(), &id, &input).await {
        Ok(config) => {
            admin.session.flash(
                FlashKind::Success,
                format!("Single sign-on was saved: {}.", config.mode.label()),
            );
            Ok(see_other(&format!("/admin/apps/{id}/single-sign-on")))
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &page(&state, &admin, &id, Some(&input), errors).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}
