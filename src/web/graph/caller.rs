//! The application calling the API: its bearer token checked on every
//! request (`services::api_tokens::caller`), with the permissions it holds
//! now and the acting principal the services see for it.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::GraphError;
use crate::app::AppState;
use crate::domain::Role;
use crate::domain::api_permission::ApiPermission;
use crate::services::Admin;
use crate::services::api_tokens::{self, ApiAuthError, ApiCaller};
use crate::store::audit::Actor;

/// A request's authenticated application.
pub struct Caller {
    pub app: ApiCaller,
    client_ip: Option<String>,
}

impl Caller {
    /// Refuses with 403 `Authorization_RequestDenied` unless the caller
    /// holds one of `permissions`.
    pub fn require(&self, permissions: &[ApiPermission]) -> Result<(), GraphError> {
        if self.app.holds_any(permissions) {
            Ok(())
        } else {
            Err(GraphError::denied())
        }
    }

    /// The principal the services act as: the application, named in the
    /// audit log as the initiator, with the rules of `role`
    /// (`ApiPermission::acting_role`), never a Global Administrator's.
    pub fn acting_as(&self, role: Role) -> Admin<'_> {
        const GUEST_INVITER: &[Role] = &[Role::GuestInviter];
        const USER_ADMINISTRATOR: &[Role] = &[Role::UserAdministrator];
        const HELPDESK_ADMINISTRATOR: &[Role] = &[Role::HelpdeskAdministrator];
        let roles = match role {
            Role::GuestInviter => GUEST_INVITER,
            Role::HelpdeskAdministrator => HELPDESK_ADMINISTRATOR,
            Role::UserAdministrator | Role::GlobalAdministrator => USER_ADMINISTRATOR,
        };
        Admin {
            actor: Actor {
                id: Some(self.app.app_id.clone()),
                name: Some(self.app.app_name.clone()),
                client_ip: self.client_ip.clone(),
            },
            id: &self.app.app_id,
            roles,
        }
    }

    /// The acting principal for a permission the caller was checked for.
    pub fn acting_for(&self, permission: ApiPermission) -> Admin<'_> {
        self.acting_as(permission.acting_role())
    }
}

/// The token of `Authorization: Bearer …`.
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 8192)
}

impl FromRequest for Caller {
    type Error = GraphError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, GraphError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(GraphError::internal)?;
            let Some(token) = bearer(&req) else {
                return Err(GraphError::unauthenticated("Access token is empty."));
            };
            match api_tokens::caller(&state, &token).await {
                Ok(app) => {
                    super::rate_limit::check(&state, &app.app_id).await?;
                    Ok(Caller {
                        app,
                        client_ip: crate::web::middleware::client_ip(&req),
                    })
                }
                Err(ApiAuthError::Invalid(message)) => Err(GraphError::unauthenticated(message)),
                Err(ApiAuthError::Server(e)) => Err(e.into()),
            }
        })
    }
}
