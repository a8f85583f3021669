//! Use cases: every change to the directory goes through one of these. A
//! use case takes the application context, the acting principal (`Admin`)
//! and its input, in that order: `fn(state: &AppState, admin: &Admin<'_>,
//! input…)`. It owns its transaction: the change, its audit entries and the
//! mail it queues commit together or not at all, and it wakes the outbox
//! worker after the commit. Pieces that other use cases compose inside
//! their own transaction end in `_in` and take that transaction instead.
//! Use cases that no one acts in (a guest redeeming, signing in, the
//! start-up bootstrap) take the context and their input.

pub mod accounts;
pub mod api_permissions;
pub mod api_tokens;
pub mod applications;
pub mod assignments;
pub mod b2b_collaboration;
pub mod block_invitations;
pub mod bulk_invite;
pub mod bulk_jobs;
pub mod bulk_template;
pub mod deleted_users;
pub mod dynamic_groups;
pub mod group_members;
pub mod groups;
pub mod identity_providers;
pub mod invitations;
pub mod invite_form;
pub mod languages;
pub mod openid_connect;
pub mod organization;
pub mod principal;
pub mod purge;
pub mod redemption;
pub mod roles;
pub mod settings;
pub mod sign_in_codes;
pub mod sign_in_log;
pub mod signing_keys;
pub mod single_sign_on;
pub mod users;

pub use principal::Admin;

/// What a service refuses, in words an admin can act on, or a store failure.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Refused(String),
    /// Input that does not parse: a message per form field.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The actor's role does not reach this target.
    #[error("{0}")]
    Denied(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl From<crate::mail::invitation::QueueError> for ServiceError {
    fn from(e: crate::mail::invitation::QueueError) -> Self {
        use crate::mail::invitation::QueueError;
        match e {
            QueueError::InviterGone => ServiceError::NotFound,
            QueueError::Store(e) => ServiceError::Store(e),
            QueueError::Compose(e) => ServiceError::Internal(e),
        }
    }
}

/// Messages keyed by the form field they belong to.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The message for a field, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every message in one line, for answers without form fields (the API).
    pub fn summary(&self) -> String {
        let messages: Vec<&str> = self.0.iter().map(|(_, m)| m.as_str()).collect();
        messages.join(" ")
    }

    /// Parses one field, recording its error.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|e| self.add(field, e)).ok()
    }
}
