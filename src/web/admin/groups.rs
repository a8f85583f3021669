//! All groups, New group, a group's Overview, Edit and Delete group.
//! Members are in `group_members.rs`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::clock::format_time;
use crate::domain::membership_rule::MembershipRule;
use crate::services::groups::{self as group_service, GroupForm};
use crate::services::{FieldErrors, ServiceError};
use crate::store::groups::Group;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ManageGroups;
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

pub(super) type Admin = Authorized<ManageGroups>;

struct GroupRow {
    id: String,
    display_name: String,
    description: String,
    membership: &'static str,
    member_count: i64,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct GroupsPage {
    layout: Layout,
    groups: Vec<GroupRow>,
    search: String,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub search: String,
    pub after_name: Option<String>,
    pub after_id: Option<String>,
}

pub async fn all_groups(
    admin: Admin,
    state: web::Data<AppState>,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let search: String = q.search.trim().chars().take(256).collect();
    let mut conn = state.db.pool().acquire().await?;
    let groups = crate::store::groups::list(&mut conn, Some(&search), 200)
        .await?
        .into_iter()
        .map(|g| GroupRow {
            membership: if g.membership_type == "DynamicUser" {
                "Dynamic User"
            } else {
                "Assigned"
            },
            id: g.id,
            display_name: g.display_name,
            description: g.description.unwrap_or_default(),
            member_count: g.member_count,
        })
        .collect();
    render(&GroupsPage {
        layout: Layout::signed_in("All groups", &admin, Section::Groups),
        groups,
        search,
    })
}

struct Preview {
    summary: String,
    names: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/group_form.html")]
struct GroupFormPage {
    layout: Layout,
    heading: String,
    action: String,
    validate_action: String,
    cancel_href: String,
    submit_label: &'static str,
    editing: bool,
    form: GroupForm,
    errors: FieldErrors,
    preview: Option<Preview>,
}

fn bounded(mut form: GroupForm) -> GroupForm {
    form.display_name = form.display_name.chars().take(256).collect();
    form.description = form.description.chars().take(1024).collect();
    form.membership_rule = form.membership_rule.chars().take(3072).collect();
    form
}

fn new_group_page(admin: &Admin, form: GroupForm, errors: FieldErrors, preview: Option<Preview>) -> GroupFormPage {
    GroupFormPage {
        layout: Layout::signed_in("New group", admin, Section::Groups),
        heading: "New group".into(),
        action: "/admin/groups/new".into(),
        validate_action: "/admin/groups/new/validate".into(),
        cancel_href: "/admin/groups".into(),
        submit_label: "Create",
        editing: false,
        form: bounded(form),
        errors,
        preview,
    }
}

pub async fn new_group_form(admin: Admin) -> Result<HttpResponse, AppError> {
    render(&new_group_page(
        &admin,
        GroupForm::default(),
        FieldErrors::default(),
        None,
    ))
}

pub async fn create_group(
    admin: Admin,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<GroupForm>,
) -> Result<HttpResponse, AppError> {
    match group_service::create_group(&state, &admin.as_admin(), &form).await {
        Ok(id) => {
            admin.session.flash(
                FlashKind::Success,
                format!("Created group {}.", form.display_name.trim()),
            );
            Ok(see_other(&format!("/admin/groups/{id}")))
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &new_group_page(&admin, form, errors, None),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

/// Validate rule: which existing users the rule matches; nothing is saved.
async fn preview(state: &AppState, form: &GroupForm) -> Result<Result<Preview, FieldErrors>, AppError> {
    let rule = match MembershipRule::parse(&form.membership_rule) {
        Ok(rule) => rule,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add("membership_rule", format!("The rule is not valid {e}."));
            return Ok(Err(errors));
        }
    };
    let (count, names) = group_service::preview_rule(state, &rule, 20).await?;
    let summary = match count {
        0 => "No existing user matches this rule.".to_owned(),
        1 => "1 existing user matches this rule:".to_owned(),
        n => format!(
            "{n} existing users match this rule{}:",
            if n > 20 { ", among them" } else { "" }
        ),
    };
    Ok(Ok(Preview { summary, names }))
}

pub async fn validate_new_rule(
    admin: Admin,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<GroupForm>,
) -> Result<HttpResponse, AppError> {
    match preview(&state, &form).await? {
        Ok(p) => render(&new_group_page(&admin, form, FieldErrors::default(), Some(p))),
        Err(errors) => render_with(
            &new_group_page(&admin, form, errors, None),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

pub(super) async fn load(state: &AppState, id: &str) -> Result<Group, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    crate::store::groups::find(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "admin/group.html")]
struct GroupPage {
    layout: Layout,
    group: Group,
    description: String,
    member_count: i64,
    created: String,
}

pub async fn group_page(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let group = load(&state, &id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let count = crate::store::groups::list(&mut conn, Some(&group.display_name), 200)
        .await?
        .into_iter()
        .find(|g| g.id == group.id)
        .map(|g| g.member_count)
        .unwrap_or(0);
    render(&GroupPage {
        layout: Layout::signed_in(&group.display_name, &admin, Section::Groups),
        description: group.description.clone().unwrap_or_default(),
        created: format_time(group.created_at),
        member_count: count,
        group,
    })
}

fn edit_page(
    admin: &Admin,
    group: &Group,
    form: GroupForm,
    errors: FieldErrors,
    preview: Option<Preview>,
) -> GroupFormPage {
    GroupFormPage {
        layout: Layout::signed_in("Edit group", admin, Section::Groups),
        heading: format!("Edit {}", group.display_name),
        action: format!("/admin/groups/{}/edit", group.id),
        validate_action: format!("/admin/groups/{}/edit/validate", group.id),
        cancel_href: format!("/admin/groups/{}", group.id),
        submit_label: "Save",
        editing: true,
        form: bounded(GroupForm {
            membership_type: group.membership_type.clone(),
            ..form
        }),
        errors,
        preview,
    }
}

pub async fn edit_form(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let group = load(&state, &id).await?;
    let form = GroupForm {
        display_name: group.display_name.clone(),
        description: group.description.clone().unwrap_or_default(),
        membership_type: group.membership_type.clone(),
        membership_rule: group.membership_rule.clone().unwrap_or_default(),
    };
    render(&edit_page(&admin, &group, form, FieldErrors::default(), None))
}

pub async fn update_group(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<GroupForm>,
) -> Result<HttpResponse, AppError> {
    match group_service::update_group(&state, &admin.as_admin(), &id, &form).await {
        Ok(()) => {
            admin.session.flash(FlashKind::Success, "The group was saved.");
            Ok(see_other(&format!("/admin/groups/{id}")))
        }
        Err(ServiceError::Invalid(errors)) => {
            let group = load(&state, &id).await?;
            render_with(
                &edit_page(&admin, &group, form, errors, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn validate_edited_rule(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<GroupForm>,
) -> Result<HttpResponse, AppError> {
    let group = load(&state, &id).await?;
    match preview(&state, &form).await? {
        Ok(p) => render(&edit_page(&admin, &group, form, FieldErrors::default(), Some(p))),
        Err(errors) => render_with(
            &edit_page(&admin, &group, form, errors, None),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

/// "Delete …?" before a delete: the question, what follows, and where
/// Delete posts (a group, a client secret).
#[derive(Template)]
#[template(path = "admin/confirm_delete.html")]
pub(super) struct ConfirmDeletePage {
    pub layout: Layout,
    pub heading: String,
    pub question: String,
    pub consequence: &'static str,
    pub action: String,
    pub cancel_href: String,
}

pub async fn delete_form(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let group = load(&state, &id).await?;
    render(&ConfirmDeletePage {
        layout: Layout::signed_in("Delete group", &admin, Section::Groups),
        heading: "Delete group".into(),
        question: format!("Delete the group {}?", group.display_name),
        consequence: "Its members stay in the directory; the group's app assignments are removed with it.",
        action: format!("/admin/groups/{}/delete", group.id),
        cancel_href: format!("/admin/groups/{}", group.id),
    })
}

#[derive(Deserialize)]
pub struct NoFields {}

pub async fn delete_group(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let group = group_service::delete_group(&state, &admin.as_admin(), &id).await?;
    admin
        .session
        .flash(FlashKind::Success, format!("{} was deleted.", group.display_name));
    Ok(see_other("/admin/groups"))
}
