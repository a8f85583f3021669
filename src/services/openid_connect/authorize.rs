//! The end of a successful authorization request: check who may sign in,
//! then write the grant and its code, and the sign-in log line.

use super::CODE_LIFETIME;
use super::access::{self, Refusal};
use crate::app::AppState;
use crate::services::ServiceResult;
use crate::store::oidc;
use crate::store::sign_in_log::{self, SignInEntry};
use crate::store::single_sign_on::SsoConfig;
use crate::store::users::User;

/// A checked authorization request of a signed-in user.
pub struct CodeRequest<'a> {
    pub app: &'a SsoConfig,
    pub user: &'a User,
    /// The portal session: its id, epoch and when the user signed in.
    pub session_id: &'a str,
    pub session_epoch: i64,
    pub auth_time: i64,
    /// Exactly as registered (already compared).
    pub redirect_uri: &'a str,
    /// Honoured scopes only (`normalize_scope`).
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    /// The S256 challenge, when the client sent one.
    pub code_challenge: Option<&'a str>,
    pub client_ip: Option<&'a str>,
}

/// Issues a code, or says why the user may not sign in. Either way the
/// sign-in log gets a line.
pub async fn issue_code(state: &AppState, request: &CodeRequest<'_>) -> ServiceResult<Result<String, Refusal>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if let Err(refusal) = access::check(&mut tx, request.app, Some(request.user)).await? {
        drop(tx);
        record_failure(state, request.app, Some(request.user), &refusal, request.client_ip).await;
        return Ok(Err(refusal));
    }
    let grant = oidc::Grant {
        id: uuid::Uuid::now_v7().to_string(),
        app_id: request.app.app_id.clone(),
        user_id: request.user.id.clone(),
        scope: request.scope.to_owned(),
        session_id: request.session_id.to_owned(),
        session_epoch: request.session_epoch,
        auth_time: request.auth_time,
        created_at: now,
        revoked_at: None,
    };
    oidc::insert_grant(&mut tx, &grant).await?;
    // 256 random bits; only the digest is kept.
    let code = crate::security::secret::random_token(32);
    oidc::insert_code(
        &mut tx,
        &oidc::NewCode {
            digest: &state.secrets.oidc_tokens.digest(&code),
            grant_id: &grant.id,
            redirect_uri: request.redirect_uri,
            nonce: request.nonce,
            code_challenge: request.code_challenge,
            now,
            expires_at: now + CODE_LIFETIME,
        },
    )
    .await?;
    sign_in_log::record(
        &mut tx,
        &SignInEntry {
            user_id: Some(&request.user.id),
            user_name: Some(crate::services::sign_in_log::user_name(request.user)),
            app_id: Some(&request.app.app_id),
            app_name: Some(&request.app.display_name),
            failure: None,
            client_ip: request.client_ip,
        },
        now,
    )
    .await?;
    // Codes that expired a day ago go, so the table holds about a day of them.
    oidc::prune_codes(&mut tx, now - 24 * 3600).await?;
    tx.commit().await?;
    Ok(Ok(code))
}

/// Writes a failed sign-in to an application. A failure to write it is
/// logged and does not change the answer.
pub async fn record_failure(
    state: &AppState,
    app: &SsoConfig,
    user: Option<&User>,
    refusal: &Refusal,
    client_ip: Option<&str>,
) {
    let entry = SignInEntry {
        user_id: user.map(|u| u.id.as_str()),
        user_name: user.map(crate::services::sign_in_log::user_name),
        app_id: Some(&app.app_id),
        app_name: Some(&app.display_name),
        failure: Some((refusal.number(), refusal.reason)),
        client_ip,
    };
    crate::services::sign_in_log::record(state, &entry).await;
}
