//! Use cases that span the store and the audit log (and, later, the
//! outbox). A service owns its transaction: the change and its audit entry
//! commit together or not at all.

pub mod accounts;
pub mod roles;

/// What a service refuses, in words an admin can act on, or a store failure.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ServiceResult<T> = Result<T, ServiceError>;
