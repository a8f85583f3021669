//! Enterprise applications: add one from the gallery or a custom one,
//! edit its properties and logo, delete it, and manage its app roles.
//! Every change and its audit entry commit together; every refusal writes
//! nothing.

use base64::Engine as _;

use crate::app::AppState;
use crate::domain::app_logo::check_logo;
use crate::domain::application::{
    AppName, DEFAULT_ACCESS, RoleFields, parse_homepage_url, parse_notes, same_role_name,
};
use crate::domain::gallery;
use crate::services::Admin;
use crate::services::{FieldErrors, ServiceError, ServiceResult};
use crate::store::applications::{AppRole, Application, NewApplication, NewRole, PropertiesUpdate};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::{self, Conn, Db};

const CATEGORY: &str = "ApplicationManagement";

/// An uploaded logo as received: its first bytes (at most the limit and
/// one more) and its full size.
pub struct LogoUpload {
    pub bytes: Vec<u8>,
    pub size: usize,
}

/// A checked logo, ready to store: (content type, base64).
fn checked_logo(errors: &mut FieldErrors, logo: Option<&LogoUpload>) -> Option<(&'static str, String)> {
    let logo = logo?;
    let kind = errors.check("logo", check_logo(&logo.bytes, logo.size))?;
    Some((
        kind.content_type(),
        base64::engine::general_purpose::STANDARD.encode(&logo.bytes),
    ))
}

/// One audit line about an application (also used by `single_sign_on`).
pub(super) async fn audit(
    conn: &mut Conn,
    actor: &Actor,
    activity: &str,
    app_id: &str,
    app_name: &str,
    details: String,
    now: i64,
) -> sqlx::Result<()> {
    store::audit::record(
        conn,
        actor,
        &AuditEntry {
            activity,
            category: CATEGORY,
            target_id: Some(app_id),
            target_name: Some(app_name),
            details: Some(details),
        },
        now,
    )
    .await
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    ServiceError::Invalid(errors)
}

/// Adds the application with Default Access and `roles`, and its audit entry.
async fn add_application(
    db: &Db,
    actor: &Actor,
    new: NewApplication<'_>,
    roles: &[RoleFields],
) -> ServiceResult<Application> {
    let mut tx = db.begin().await?;
    store::applications::insert(&mut tx, &new).await?;
    let default = RoleFields {
        display_name: DEFAULT_ACCESS.to_owned(),
        description: Some("Access to the application, with no role inside it.".to_owned()),
        value: None,
    };
    for (i, role) in std::iter::once(&default).chain(roles).enumerate() {
        let id = uuid::Uuid::new_v4().to_string();
        store::applications::insert_role(
            &mut tx,
            &NewRole {
                id: &id,
                app_id: new.id,
                display_name: &role.display_name,
                description: role.description.as_deref(),
                value: role.value.as_deref(),
                is_default: i == 0,
                now: new.now,
            },
        )
        .await?;
    }
    let names: Vec<&str> = std::iter::once(&default)
        .chain(roles)
        .map(|r| r.display_name.as_str())
        .collect();
    let details = format!(
        "gallery={}; homepageUrl={}; logo={}; appRoles={}",
        new.gallery_key.unwrap_or("(custom)"),
        new.homepage_url.unwrap_or(""),
        new.logo.map(|(t, _)| t).unwrap_or("none"),
        names.join(", ")
    );
    audit(
        &mut tx,
        actor,
        "Add application",
        new.id,
        new.display_name,
        details,
        new.now,
    )
    .await?;
    let app = store::applications::find(&mut tx, new.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(app)
}

/// New application from the gallery: its sign-in page and app roles come
/// along; the admin may rename it.
pub async fn create_from_gallery(
    state: &AppState,
    admin: &Admin<'_>,
    key: &str,
    name: &str,
) -> ServiceResult<Application> {
    let entry = gallery::find(key).ok_or(ServiceError::NotFound)?;
    let name = AppName::parse(name).map_err(|e| invalid("display_name", e))?;
    let roles: Vec<RoleFields> = entry
        .roles
        .iter()
        .filter_map(|r| RoleFields::parse(r.display_name, r.description, r.value).ok())
        .collect();
    let id = uuid::Uuid::new_v4().to_string();
    let sort_key = name.sort_key();
    let new = NewApplication {
        id: &id,
        display_name: name.as_str(),
        sort_key: &sort_key,
        gallery_key: Some(entry.key),
        homepage_url: Some(entry.homepage_url),
        logo: None,
        now: state.clock.now(),
    };
    add_application(&state.db, &admin.actor, new, &roles).await
}

/// Create your own application: a name, its homepage URL, and an optional
/// PNG or SVG logo.
pub async fn create_custom(
    state: &AppState,
    admin: &Admin<'_>,
    name: &str,
    homepage_url: &str,
    logo: Option<&LogoUpload>,
) -> ServiceResult<Application> {
    let mut errors = FieldErrors::default();
    let name = errors.check("display_name", AppName::parse(name));
    let url = errors.check("homepage_url", parse_homepage_url(homepage_url));
    let logo = checked_logo(&mut errors, logo);
    let (Some(name), Some(url), true) = (name, url, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let id = uuid::Uuid::new_v4().to_string();
    let sort_key = name.sort_key();
    let new = NewApplication {
        id: &id,
        display_name: name.as_str(),
        sort_key: &sort_key,
        gallery_key: None,
        homepage_url: Some(&url),
        logo: logo.as_ref().map(|(t, data)| (*t, data.as_str())),
        now: state.clock.now(),
    };
    add_application(&state.db, &admin.actor, new, &[]).await
}

/// What the Properties page may change.
pub struct Properties {
    pub display_name: String,
    pub homepage_url: String,
    pub enabled: bool,
    pub visible_to_users: bool,
    pub assignment_required: bool,
    pub notes: String,
}

pub async fn update_properties(
    state: &AppState,
    admin: &Admin<'_>,
    id: &str,
    form: &Properties,
    logo: Option<&LogoUpload>,
) -> ServiceResult<Application> {
    let mut errors = FieldErrors::default();
    let name = errors.check("display_name", AppName::parse(&form.display_name));
    let url = errors.check("homepage_url", parse_homepage_url(&form.homepage_url));
    let notes = errors.check("notes", parse_notes(&form.notes));
    let logo = checked_logo(&mut errors, logo);
    let (Some(name), Some(url), Some(notes), true) = (name, url, notes, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = store::applications::find(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let sort_key = name.sort_key();
    store::applications::update_properties(
        &mut tx,
        id,
        &PropertiesUpdate {
            display_name: name.as_str(),
            sort_key: &sort_key,
            homepage_url: &url,
            enabled: form.enabled,
            visible_to_users: form.visible_to_users,
            assignment_required: form.assignment_required,
            notes: notes.as_deref(),
            now,
        },
    )
    .await?;
    if let Some((content_type, data)) = &logo {
        store::applications::set_logo(&mut tx, id, content_type, data).await?;
    }
    let mut details = format!(
        "displayName={}; homepageUrl={}; accountEnabled={}; appRoleAssignmentRequired={}; visibleToUsers={}; notes={}",
        name.as_str(),
        url,
        form.enabled,
        form.assignment_required,
        form.visible_to_users,
        if notes == before.notes { "unchanged" } else { "changed" },
    );
    if let Some((content_type, _)) = &logo {
        details.push_str(&format!("; logo={content_type}"));
    }
    audit(
        &mut tx,
        &admin.actor,
        "Update application",
        id,
        name.as_str(),
        details,
        now,
    )
    .await?;
    let app = store::applications::find(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(app)
}

/// Deletes the application with its roles and assignments.
pub async fn delete(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<Application> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = store::applications::find(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let assignments = store::applications::count_assignments(&mut tx, id).await?;
    store::applications::delete(&mut tx, id).await?;
    let details = format!("assignmentsRemoved={assignments}");
    audit(
        &mut tx,
        &admin.actor,
        "Delete application",
        id,
        &app.display_name,
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(app)
}

/// An app role's fields as entered.
pub struct RoleInput {
    pub display_name: String,
    pub description: String,
    pub value: String,
    pub enabled: bool,
}

fn parse_role(input: &RoleInput) -> ServiceResult<RoleFields> {
    RoleFields::parse(&input.display_name, &input.description, &input.value).map_err(|list| {
        let mut errors = FieldErrors::default();
        for (field, message) in list {
            errors.add(field, message);
        }
        ServiceError::Invalid(errors)
    })
}

/// Refuses a display name or value another role of the app already has.
fn refuse_clashes(existing: &[AppRole], fields: &RoleFields, except: Option<&str>) -> ServiceResult<()> {
    let others = existing.iter().filter(|r| Some(r.id.as_str()) != except);
    let mut errors = FieldErrors::default();
    for other in others {
        if same_role_name(&other.display_name, &fields.display_name) {
            errors.add(
                "display_name",
                format!("This application already has a role named {}.", other.display_name),
            );
        }
        if let (Some(a), Some(b)) = (&other.value, &fields.value)
            && a == b
        {
            errors.add(
                "value",
                format!("The role {} already has the value {a}.", other.display_name),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

fn role_details(role: &RoleFields, enabled: bool) -> String {
    format!(
        "appRole={}; value={}; description={}; isEnabled={enabled}",
        role.display_name,
        role.value.as_deref().unwrap_or(""),
        role.description.as_deref().unwrap_or("")
    )
}

/// The application, locked against concurrent role edits, with its roles.
async fn locked_with_roles(tx: &mut store::Tx, app_id: &str) -> ServiceResult<(Application, Vec<AppRole>)> {
    store::applications::lock(tx, app_id).await?;
    let app = store::applications::find(tx, app_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let roles = store::applications::roles(tx, app_id).await?;
    Ok((app, roles))
}

/// Adds an app role (enabled).
pub async fn add_role(state: &AppState, admin: &Admin<'_>, app_id: &str, input: &RoleInput) -> ServiceResult<AppRole> {
    let fields = parse_role(input)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (app, existing) = locked_with_roles(&mut tx, app_id).await?;
    refuse_clashes(&existing, &fields, None)?;
    let id = uuid::Uuid::new_v4().to_string();
    store::applications::insert_role(
        &mut tx,
        &NewRole {
            id: &id,
            app_id,
            display_name: &fields.display_name,
            description: fields.description.as_deref(),
            value: fields.value.as_deref(),
            is_default: false,
            now,
        },
    )
    .await?;
    let details = role_details(&fields, true);
    audit(
        &mut tx,
        &admin.actor,
        "Add app role",
        app_id,
        &app.display_name,
        details,
        now,
    )
    .await?;
    let role = store::applications::find_role(&mut tx, &id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(role)
}

/// Edits an app role, enabling or disabling it; Default Access can be
/// renamed but never disabled.
pub async fn update_role(
    state: &AppState,
    admin: &Admin<'_>,
    app_id: &str,
    role_id: &str,
    input: &RoleInput,
) -> ServiceResult<AppRole> {
    let fields = parse_role(input)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (app, existing) = locked_with_roles(&mut tx, app_id).await?;
    let role = existing
        .iter()
        .find(|r| r.id == role_id)
        .ok_or(ServiceError::NotFound)?;
    if role.is_default && !input.enabled {
        return Err(invalid(
            "enabled",
            "Default Access cannot be disabled: every application keeps it.",
        ));
    }
    refuse_clashes(&existing, &fields, Some(role_id))?;
    store::applications::update_role(
        &mut tx,
        role_id,
        &fields.display_name,
        fields.description.as_deref(),
        fields.value.as_deref(),
        input.enabled,
    )
    .await?;
    let details = role_details(&fields, input.enabled);
    audit(
        &mut tx,
        &admin.actor,
        "Update app role",
        app_id,
        &app.display_name,
        details,
        now,
    )
    .await?;
    let role = store::applications::find_role(&mut tx, role_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(role)
}

/// Disable or Enable from the Roles list: the role's other fields stay.
pub async fn set_role_enabled(
    state: &AppState,
    admin: &Admin<'_>,
    app_id: &str,
    role_id: &str,
    enabled: bool,
) -> ServiceResult<AppRole> {
    let role = {
        let mut conn = state.db.pool().acquire().await?;
        store::applications::find_role(&mut conn, role_id)
            .await?
            .filter(|r| r.app_id == app_id)
            .ok_or(ServiceError::NotFound)?
    };
    let input = RoleInput {
        display_name: role.display_name,
        description: role.description.unwrap_or_default(),
        value: role.value.unwrap_or_default(),
        enabled,
    };
    update_role(state, admin, app_id, role_id, &input).await
}
