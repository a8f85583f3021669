//! What the tokens say: the ID token (OpenID Connect Core §2, with Entra's
//! v2.0 claims) and the access token (a JWT, RFC 9068).

use serde::{Deserialize, Serialize};

use super::has_scope;
use crate::store::oidc::Grant;
use crate::store::users::User;

#[derive(Debug, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub sub: String,
    /// The user's directory id.
    pub oid: String,
    /// The tenant ID.
    pub tid: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// Only when the request sent one: an ID token with a nonce nobody
    /// asked for is refused by strict clients.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub sid: String,
    pub ver: String,
    /// The values of the user's app roles in this application; absent
    /// when there are none, as in Entra.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub aud: String,
    pub client_id: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub sub: String,
    pub oid: String,
    pub tid: String,
    pub scope: String,
    pub jti: String,
    pub sid: String,
    /// The grant the token was issued from: UserInfo checks it is still
    /// live.
    pub grant: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub roles: Vec<String>,
}

/// The profile claims the scopes allow, shared by the ID token and UserInfo.
pub struct Profile {
    pub name: Option<String>,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
}

impl Profile {
    pub fn of(user: &User, scope: &str) -> Self {
        let profile = has_scope(scope, "profile");
        Self {
            name: profile.then(|| user.display_name.clone()),
            preferred_username: profile.then(|| user.user_principal_name.clone()),
            email: has_scope(scope, "email").then(|| user.mail.clone()).flatten(),
        }
    }
}

/// Everything a token is made from.
pub struct TokenContext<'a> {
    pub issuer: &'a str,
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    pub subject: &'a str,
    pub user: &'a User,
    pub grant: &'a Grant,
    pub nonce: Option<&'a str>,
    pub roles: Vec<String>,
    pub now: i64,
}

impl TokenContext<'_> {
    pub fn id_token(&self) -> IdTokenClaims {
        let profile = Profile::of(self.user, &self.grant.scope);
        IdTokenClaims {
            iss: self.issuer.to_owned(),
            aud: self.client_id.to_owned(),
            exp: self.now + super::ID_TOKEN_LIFETIME,
            iat: self.now,
            nbf: self.now,
            sub: self.subject.to_owned(),
            oid: self.user.id.clone(),
            tid: self.tenant_id.to_owned(),
            name: profile.name,
            preferred_username: profile.preferred_username,
            email: profile.email,
            nonce: self.nonce.map(str::to_owned),
            auth_time: self.grant.auth_time,
            sid: self.grant.session_id.clone(),
            ver: "2.0".into(),
            roles: self.roles.clone(),
        }
    }

    pub fn access_token(&self) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: self.issuer.to_owned(),
            aud: self.client_id.to_owned(),
            client_id: self.client_id.to_owned(),
            exp: self.now + super::ACCESS_TOKEN_LIFETIME,
            iat: self.now,
            nbf: self.now,
            sub: self.subject.to_owned(),
            oid: self.user.id.clone(),
            tid: self.tenant_id.to_owned(),
            scope: self.grant.scope.clone(),
            jti: uuid::Uuid::new_v4().to_string(),
            sid: self.grant.session_id.clone(),
            grant: self.grant.id.clone(),
            roles: self.roles.clone(),
        }
    }
}
