//! Enterprise applications: All applications, New application (the
//! gallery, or Create your own application), an app's Properties and
//! Delete, and the logo route that tiles use everywhere. Roles are in
//! `apps/roles.rs`; Users and groups is `assignments.rs`; Single sign-on
//! and Certificates & secrets are `apps/single_sign_on.rs` and
//! `apps/credentials.rs`; API permissions is `apps/api_permissions.rs`.

mod api_permissions;
mod credentials;
mod roles;
mod single_sign_on;
mod upload;

pub use api_permissions::{
    add_permissions, api_permissions_page, consent_form, grant_consent, remove_permission, revoke_consent,
};
pub use credentials::{credentials_page, delete_secret, delete_secret_form, new_client_secret};
pub use roles::{add_role, edit_role_form, roles_page, save_role, set_role_enabled};
pub use single_sign_on::{save_single_sign_on, single_sign_on_page};

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use base64::Engine as _;
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::app_logo::{LogoType, monogram_svg};
use crate::domain::gallery::{self, GALLERY, GalleryApp};
use crate::services::applications::{self as app_service, Properties};
use crate::services::{FieldErrors, ServiceError};
use crate::store::applications::Application;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::permits::ManageApps;
use crate::web::extractors::{Authorized, CurrentUser};
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

/// Keeps at most `n` characters of what was entered, for a re-rendered form.
fn keep(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A generated tile as a `data:` URL, for apps not created yet.
fn monogram_data_url(name: &str) -> String {
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(monogram_svg(name))
    )
}

pub(crate) async fn load_app(state: &AppState, id: &str) -> Result<Application, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    crate::store::applications::find(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "admin/apps.html")]
struct AllAppsPage {
    layout: Layout,
    apps: Vec<Application>,
}

pub async fn all_apps(admin: Authorized<ManageApps>, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let apps = crate::store::applications::list(&mut conn).await?;
    drop(conn);
    render(&AllAppsPage {
        layout: Layout::signed_in("Enterprise applications", &admin, Section::Apps),
        apps,
    })
}

struct GalleryTile {
    key: &'static str,
    name: &'static str,
    summary: &'static str,
    roles: String,
    tile: String,
}

impl GalleryTile {
    fn of(app: &GalleryApp) -> Self {
        GalleryTile {
            key: app.key,
            name: app.name,
            summary: app.summary,
            roles: app.roles.iter().map(|r| r.display_name).collect::<Vec<_>>().join(", "),
            tile: monogram_data_url(app.name),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/app_new.html")]
struct NewAppPage {
    layout: Layout,
    gallery: Vec<GalleryTile>,
    display_name: String,
    homepage_url: String,
    errors: FieldErrors,
}

fn new_app_page(admin: &CurrentUser, display_name: String, homepage_url: String, errors: FieldErrors) -> NewAppPage {
    NewAppPage {
        layout: Layout::signed_in("New application", admin, Section::Apps),
        gallery: GALLERY.iter().map(GalleryTile::of).collect(),
        display_name,
        homepage_url,
        errors,
    }
}

pub async fn new_app_form(admin: Authorized<ManageApps>) -> Result<HttpResponse, AppError> {
    render(&new_app_page(
        &admin,
        String::new(),
        String::new(),
        FieldErrors::default(),
    ))
}

/// Create your own application: a multipart form, for the logo.
pub async fn create_custom_app(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let form = upload::read_form(&admin.session, payload, "logo").await?;
    let created = app_service::create_custom(
        &state,
        &admin.as_admin(),
        form.text("display_name"),
        form.text("homepage_url"),
        form.logo.as_ref(),
    )
    .await;
    match created {
        Ok(app) => {
            admin
                .session
                .flash(FlashKind::Success, format!("{} was added.", app.display_name));
            Ok(see_other(&format!("/admin/apps/{}", app.id)))
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &new_app_page(
                &admin,
                keep(form.text("display_name"), 300),
                keep(form.text("homepage_url"), 2100),
                errors,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/app_gallery_create.html")]
struct GalleryCreatePage {
    layout: Layout,
    entry: GalleryTile,
    homepage_url: &'static str,
    display_name: String,
    errors: FieldErrors,
}

fn gallery_entry(key: &str) -> Result<&'static GalleryApp, AppError> {
    gallery::find(key).ok_or(AppError::NotFound)
}

/// The Create step of a gallery application: its name, prefilled.
pub async fn gallery_create_form(
    admin: Authorized<ManageApps>,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let entry = gallery_entry(&key)?;
    render(&GalleryCreatePage {
        layout: Layout::signed_in(entry.name, &admin, Section::Apps),
        entry: GalleryTile::of(entry),
        homepage_url: entry.homepage_url,
        display_name: entry.name.to_owned(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct GalleryCreateForm {
    #[serde(default)]
    display_name: String,
}

pub async fn create_gallery_app(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    CsrfForm(form): CsrfForm<GalleryCreateForm>,
) -> Result<HttpResponse, AppError> {
    let entry = gallery_entry(&key)?;
    match app_service::create_from_gallery(&state, &admin.as_admin(), &key, &form.display_name).await {
        Ok(app) => {
            admin
                .session
                .flash(FlashKind::Success, format!("{} was added.", app.display_name));
            Ok(see_other(&format!("/admin/apps/{}", app.id)))
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &GalleryCreatePage {
                layout: Layout::signed_in(entry.name, &admin, Section::Apps),
                entry: GalleryTile::of(entry),
                homepage_url: entry.homepage_url,
                display_name: keep(&form.display_name, 300),
                errors,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/app_properties.html")]
struct PropertiesPage {
    layout: Layout,
    app: Application,
    tab: &'static str,
    gallery_name: Option<&'static str>,
    created: String,
    display_name: String,
    homepage_url: String,
    enabled: bool,
    visible_to_users: bool,
    assignment_required: bool,
    notes: String,
    errors: FieldErrors,
}

fn properties_page(
    admin: &CurrentUser,
    app: Application,
    form: Option<&Properties>,
    errors: FieldErrors,
) -> PropertiesPage {
    let (display_name, homepage_url, enabled, visible_to_users, assignment_required, notes) = match form {
        Some(f) => (
            keep(&f.display_name, 300),
            keep(&f.homepage_url, 2100),
            f.enabled,
            f.visible_to_users,
            f.assignment_required,
            keep(&f.notes, 1100),
        ),
        None => (
            app.display_name.clone(),
            app.homepage_url.clone().unwrap_or_default(),
            app.enabled,
            app.visible_to_users,
            app.assignment_required,
            app.notes.clone().unwrap_or_default(),
        ),
    };
    PropertiesPage {
        layout: Layout::signed_in(&app.display_name, admin, Section::Apps),
        tab: "properties",
        gallery_name: app.gallery_key.as_deref().and_then(gallery::find).map(|g| g.name),
        created: crate::clock::format_time(app.created_at),
        app,
        display_name,
        homepage_url,
        enabled,
        visible_to_users,
        assignment_required,
        notes,
        errors,
    }
}

pub async fn app_properties(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let app = load_app(&state, &id).await?;
    render(&properties_page(&admin, app, None, FieldErrors::default()))
}

/// Save on Properties: a multipart form, for the optional new logo.
pub async fn save_properties(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let form = upload::read_form(&admin.session, payload, "logo").await?;
    let properties = Properties {
        display_name: form.text("display_name").to_owned(),
        homepage_url: form.text("homepage_url").to_owned(),
        enabled: form.checked("enabled"),
        visible_to_users: form.checked("visible_to_users"),
        assignment_required: form.checked("assignment_required"),
        notes: form.text("notes").to_owned(),
    };
    let saved = app_service::update_properties(&state, &admin.as_admin(), &id, &properties, form.logo.as_ref()).await;
    match saved {
        Ok(_) => {
            admin.session.flash(FlashKind::Success, "The properties were saved.");
            Ok(see_other(&format!("/admin/apps/{id}")))
        }
        Err(ServiceError::Invalid(errors)) => {
            let app = load_app(&state, &id).await?;
            render_with(
                &properties_page(&admin, app, Some(&properties), errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/app_delete.html")]
struct DeletePage {
    layout: Layout,
    app: Application,
    assignments: i64,
}

pub async fn delete_form(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let app = load_app(&state, &id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let assignments = crate::store::applications::count_assignments(&mut conn, &app.id).await?;
    drop(conn);
    render(&DeletePage {
        layout: Layout::signed_in("Delete application", &admin, Section::Apps),
        app,
        assignments,
    })
}

#[derive(Deserialize)]
pub struct NoFields {}

pub async fn delete_app(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let app = app_service::delete(&state, &admin.as_admin(), &id).await?;
    admin
        .session
        .flash(FlashKind::Success, format!("{} was deleted.", app.display_name));
    Ok(see_other("/admin/apps"))
}

/// `GET /apps/{id}/logo`, for any signed-in user (My Apps shows tiles):
/// the uploaded logo with the type it was checked to be, or the generated
/// monogram. Served so that a browser opening it directly runs nothing.
pub async fn app_logo(
    _user: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let (name, stored) = crate::store::applications::logo(&mut conn, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let uploaded = stored.and_then(|(content_type, data)| {
        let kind = LogoType::parse(&content_type)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(data).ok()?;
        Some((kind, bytes))
    });
    let (kind, body) = uploaded.unwrap_or_else(|| (LogoType::Svg, monogram_svg(&name).into_bytes()));
    Ok(HttpResponse::Ok()
        .content_type(kind.content_type())
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ))
        .insert_header((header::CONTENT_DISPOSITION, "inline; filename=\"logo\""))
        .body(body))
}
