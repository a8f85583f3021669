//! Use cases that span the store and the audit log (and, later, the
//! outbox). A service owns its transaction: the change and its audit entry
//! commit together or not at all.

pub mod accounts;
pub mod applications;
pub mod assignments;
pub mod b2b_collaboration;
pub mod block_invitations;
pub mod bulk_invite;
pub mod bulk_template;
pub mod deleted_users;
pub mod groups;
pub mod invitations;
pub mod invite_form;
pub mod organization;
pub mod purge;
pub mod redemption;
pub mod roles;
pub mod settings;
pub mod sign_in_codes;
pub mod users;

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

    /// Parses one field, recording its error.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|e| self.add(field, e)).ok()
    }
}
