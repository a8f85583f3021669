//! Who is asking. Every extractor here reloads the user behind the session
//! on every request and ends the session when its epoch is stale, the user
//! is gone or blocked, or it has been idle too long. `CurrentUser` also
//! sends a user with a temporary password to change it first; `SignedIn`
//! does not, for the pages that user may still open. `Authorized<P>` adds a
//! role check: every admin route names its permission in its signature.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::app::AppState;
use crate::domain::role::any_allows;
use crate::domain::{Permission, Role};
use crate::store::audit::Actor;
use crate::store::users::User;
use crate::web::error::AppError;
use crate::web::session::TypedSession;

pub struct CurrentUser {
    pub user: User,
    pub roles: Vec<Role>,
    pub session: TypedSession,
    pub client_ip: Option<String>,
}

impl CurrentUser {
    pub fn may(&self, permission: Permission) -> bool {
        any_allows(&self.roles, permission)
    }

    /// The audit log's "who".
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.user.id.clone()),
            name: Some(self.user.user_principal_name.clone()),
            client_ip: self.client_ip.clone(),
        }
    }

    /// The acting principal, as services take it.
    pub fn as_admin(&self) -> crate::services::Admin<'_> {
        crate::services::Admin {
            actor: self.actor(),
            id: &self.user.id,
            roles: &self.roles,
        }
    }
}

pub fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}

fn sign_in_required(req: &HttpRequest) -> AppError {
    // Come back to the page after signing in, for pages one can come back to.
    let next = (req.method() == Method::GET).then(|| req.uri().path_and_query().map(|p| p.to_string()));
    AppError::SignInRequired { next: next.flatten() }
}

async fn load(req: HttpRequest) -> Result<CurrentUser, AppError> {
    let state = state(&req)?;
    let session = TypedSession::extract(&req)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let Some(who) = session.user() else {
        return Err(sign_in_required(&req));
    };
    let now = state.clock.now();
    let idle = state.settings.session_idle_timeout.as_secs() as i64;
    let max_age = who.max_age.unwrap_or(state.settings.session_max_age.as_secs() as i64);
    if now - who.last_seen > idle || now - who.issued_at > max_age {
        session.expire();
        return Err(sign_in_required(&req));
    }
    let mut conn = state.db.pool().acquire().await?;
    let found = crate::store::users::find_active_with_roles(&mut conn, &who.id).await?;
    drop(conn);
    let Some((user, roles)) = found.filter(|(u, _)| u.session_epoch == who.epoch && u.account_enabled) else {
        session.sign_out();
        return Err(sign_in_required(&req));
    };
    session.touch(&who, now)?;
    let client_ip = crate::web::middleware::client_ip(&req);
    Ok(CurrentUser {
        user,
        roles,
        session,
        client_ip,
    })
}

/// A signed-in user, even one who must still change a temporary password.
pub struct SignedIn(pub CurrentUser);

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load(req).await.map(SignedIn) })
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = load(req).await?;
            if user.user.must_change_password {
                return Err(AppError::PasswordChangeRequired);
            }
            Ok(user)
        })
    }
}

/// A permission, as a type, so a route states what it needs in its signature.
pub trait Requirement {
    const PERMISSION: Permission;
}

macro_rules! requirements {
    ($($name:ident),* $(,)?) => {
        /// Marker types naming the permission an admin route needs.
        pub mod permits {
            use super::{Permission, Requirement};
            $(
                pub struct $name;
                impl Requirement for $name {
                    const PERMISSION: Permission = Permission::$name;
                }
            )*
        }
    };
}

requirements!(
    AdminPortal,
    ReadUsers,
    InviteGuests,
    BulkInvite,
    InviteMembersOrAssignments,
    ResendInvitation,
    ResetRedemption,
    EditUsers,
    DeleteUsers,
    ManageGroups,
    ManageApps,
    ManageSingleSignOn,
    ManageApiPermissions,
    ReadAuditLogs,
    ManageSettings,
    ManageRoles,
);

/// A signed-in user whose roles allow `R`; anyone else gets the 403 page.
pub struct Authorized<R: Requirement> {
    pub user: CurrentUser,
    _requirement: PhantomData<R>,
}

impl<R: Requirement> std::ops::Deref for Authorized<R> {
    type Target = CurrentUser;

    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

impl<R: Requirement + 'static> FromRequest for Authorized<R> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let user = current.await?;
            if !user.may(R::PERMISSION) {
                return Err(AppError::Forbidden);
            }
            Ok(Authorized {
                user,
                _requirement: PhantomData,
            })
        })
    }
}
