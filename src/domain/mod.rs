//! Pure types and rules, no I/O. Each type is built only through its
//! parser, so a value of it is always valid.

pub mod api_permission;
pub mod app_logo;
pub mod application;
pub mod collaboration_restrictions;
pub mod display_name;
pub mod email;
pub mod gallery;
pub mod graph_query;
pub mod identity_provider;
pub mod invite_level;
pub mod language;
pub mod membership_rule;
pub mod organization;
pub mod password;
pub mod redirect;
pub mod role;
pub mod single_sign_on;
pub mod url_query;
pub mod user;
pub mod user_action;

pub use display_name::DisplayName;
pub use email::Email;
pub use password::NewPassword;
pub use role::{Permission, Role};
pub use user::{ExternalUserState, UserType};
