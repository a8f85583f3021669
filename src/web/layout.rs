//! What `base.html` needs on every page: title, navigation for the
//! signed-in user's roles, the user menu, the CSRF token and a flash.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::domain::Permission;
use crate::i18n::{Language, Tr};
use crate::web::error::AppError;
use crate::web::extractors::CurrentUser;
use crate::web::session::{Flash, TypedSession};

pub struct NavLink {
    pub label: std::borrow::Cow<'static, str>,
    pub href: &'static str,
    pub active: bool,
    pub testid: &'static str,
}

pub struct Layout {
    pub title: String,
    /// The signed-in user's display name, when there is one.
    pub user_name: Option<String>,
    pub user_initials: String,
    /// Members have a password to change; guests sign in with codes.
    pub has_password: bool,
    pub nav: Vec<NavLink>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Whether the signed-in user may open an application's Single sign-on
    /// and Certificates & secrets tabs.
    pub manages_single_sign_on: bool,
    /// Whether the user menu offers Invite a guest (set by the pages that
    /// know the guest invite settings: My Apps and Invite a guest).
    pub may_invite_guests: bool,
    /// The page's language: English for the admin portal; a guest page
    /// speaks the guest's (`in_language`).
    pub t: Tr,
}

/// Where a page sits in the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    None,
    MyApps,
    Users,
    Groups,
    Apps,
    Audit,
    SignInLogs,
    Settings,
    Roles,
}

const NAV: [(Section, &str, &str, &str, Permission); 7] = [
    (
        Section::Users,
        "All users",
        "/admin/users",
        "nav-users",
        Permission::ReadUsers,
    ),
    (
        Section::Groups,
        "All groups",
        "/admin/groups",
        "nav-groups",
        Permission::ManageGroups,
    ),
    (
        Section::Apps,
        "Enterprise applications",
        "/admin/apps",
        "nav-apps",
        Permission::ManageApps,
    ),
    (
        Section::Audit,
        "Audit logs",
        "/admin/audit",
        "nav-audit",
        Permission::ReadAuditLogs,
    ),
    (
        Section::SignInLogs,
        "Sign-in logs",
        "/admin/sign-in-logs",
        "nav-sign-in-logs",
        Permission::ReadAuditLogs,
    ),
    (
        Section::Settings,
        "Settings",
        "/admin/settings",
        "nav-settings",
        Permission::ManageSettings,
    ),
    (
        Section::Roles,
        "Roles and administrators",
        "/admin/roles",
        "nav-roles",
        Permission::ManageRoles,
    ),
];

impl Layout {
    /// A page with no one signed in (Sign in, error pages).
    pub fn bare(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            user_name: None,
            user_initials: String::new(),
            has_password: false,
            nav: Vec::new(),
            csrf: String::new(),
            flash: None,
            manages_single_sign_on: false,
            may_invite_guests: false,
            t: Tr::html(Language::English),
        }
    }

    /// A page for someone not signed in that has a form.
    pub fn anonymous(title: &str, session: &TypedSession) -> Self {
        Self {
            csrf: session.csrf_token(),
            flash: session.take_flash(),
            ..Self::bare(title)
        }
    }

    /// A page for the signed-in user: their navigation and menu.
    pub fn signed_in(title: &str, user: &CurrentUser, section: Section) -> Self {
        let mut nav: Vec<NavLink> = NAV
            .iter()
            .filter(|(_, _, _, _, permission)| user.may(*permission))
            .map(|(s, label, href, testid, _)| NavLink {
                label: (*label).into(),
                href,
                active: *s == section,
                testid,
            })
            .collect();
        nav.push(NavLink {
            label: "My Apps".into(),
            href: "/myapps",
            active: section == Section::MyApps,
            testid: "nav-myapps",
        });
        Self {
            title: title.to_owned(),
            user_name: Some(user.user.display_name.clone()),
            user_initials: initials(&user.user.display_name),
            has_password: user.user.password_hash.is_some(),
            nav,
            csrf: user.session.csrf_token(),
            flash: user.session.take_flash(),
            manages_single_sign_on: user.may(Permission::ManageSingleSignOn),
            may_invite_guests: false,
            t: Tr::html(Language::English),
        }
    }

    /// The same page in a guest's language: `<html lang>`, the page's
    /// frame and the My Apps link.
    pub fn in_language(mut self, language: Language) -> Self {
        self.t = Tr::html(language);
        if language != Language::English {
            for link in &mut self.nav {
                if link.href == "/myapps" {
                    link.label = self.t.get("page-my-apps").into();
                }
            }
        }
        self
    }
}

/// "Ada Lovelace" → "AL", for the avatar in the user menu.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// A page with status 200.
pub fn render<T: Template>(page: &T) -> Result<HttpResponse, AppError> {
    render_with(page, StatusCode::OK)
}

/// A page with another status: 422 for a form with errors, and so on.
pub fn render_with<T: Template>(page: &T, status: StatusCode) -> Result<HttpResponse, AppError> {
    let body = page.render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// 303 See Other: where every successful form post goes.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}
