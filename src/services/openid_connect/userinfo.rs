//! UserInfo (OpenID Connect Core §5.3): the profile claims for a valid
//! access token whose grant is still live, whose user may still sign in to
//! the application, and whose session has not ended.

use serde::Serialize;

use super::access;
use super::claims::{AccessTokenClaims, Profile};
use super::{issuer_of, keys};
use crate::app::AppState;
use crate::security::jws::{Expect, verify};
use crate::store;

#[derive(Debug, Serialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub oid: String,
    pub tid: String,
}

/// Why a token was refused; the description goes in `WWW-Authenticate`.
#[derive(Debug)]
pub enum UserInfoError {
    InvalidToken(&'static str),
    Server(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for UserInfoError {
    fn from(e: E) -> Self {
        UserInfoError::Server(e.into())
    }
}

pub async fn userinfo(state: &AppState, access_token: &str) -> Result<UserInfo, UserInfoError> {
    let org = crate::services::organization::current(state)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let issuer = issuer_of(state, &org);
    let keys = keys(state).await?;
    let expect = Expect {
        issuer: &issuer,
        audience: None,
        typ: "at+jwt",
        allow_expired: false,
    };
    let Some(claims) = verify::<AccessTokenClaims>(access_token, &keys.published, &expect) else {
        return Err(UserInfoError::InvalidToken(
            "The access token is not valid or has expired.",
        ));
    };
    let mut conn = state.db.pool().acquire().await?;
    let Some(grant) = store::oidc::find_grant(&mut conn, &claims.grant).await? else {
        return Err(UserInfoError::InvalidToken("The access token is not valid."));
    };
    if grant.revoked_at.is_some() {
        return Err(UserInfoError::InvalidToken("The access token was revoked."));
    }
    let Some(app) = store::single_sign_on::config(&mut conn, &grant.app_id).await? else {
        return Err(UserInfoError::InvalidToken("The application no longer exists."));
    };
    if app.client_id.as_deref() != Some(claims.client_id.as_str()) {
        return Err(UserInfoError::InvalidToken("The access token is not valid."));
    }
    let user = store::users::find_active(&mut conn, &grant.user_id).await?;
    if access::check(&mut conn, &app, user.as_ref()).await?.is_err() {
        return Err(UserInfoError::InvalidToken(
            "The user may no longer sign in to this application.",
        ));
    }
    let user = user.expect("checked by access::check");
    if user.session_epoch != grant.session_epoch {
        return Err(UserInfoError::InvalidToken("The user's session has ended."));
    }
    let profile = Profile::of(&user, &grant.scope);
    Ok(UserInfo {
        sub: claims.sub,
        name: profile.name,
        preferred_username: profile.preferred_username,
        email: profile.email,
        oid: user.id,
        tid: org.tenant_id,
    })
}
