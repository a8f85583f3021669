//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at
//! `/{tenant}/oauth2/v2.0/logout`. With a valid `id_token_hint` for the
//! signed-in user, Vestibule signs out at once; without one it asks
//! "Sign out?" first, so another site cannot sign a user out by a link.
//! `post_logout_redirect_uri` must be registered for the application
//! exactly; it is followed only then.

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::authorize::problem;
use super::params::{Params, RawParams, with_query};
use crate::app::AppState;
use crate::domain::single_sign_on::RedirectKind;
use crate::security::jws::{Expect, verify};
use crate::services::openid_connect as oidc;
use crate::store::single_sign_on::SsoConfig;
use crate::web::error::AppError;
use crate::web::layout::{Layout, render_with};
use crate::web::session::TypedSession;

#[derive(Template)]
#[template(path = "oidc/sign_out.html")]
struct SignOutPage {
    layout: Layout,
    action: String,
    app_name: Option<String>,
    user_name: String,
    fields: Vec<(String, String)>,
}

/// What an ID token hint must say.
#[derive(Deserialize)]
struct HintClaims {
    aud: String,
    oid: String,
}

/// GET and POST alike (the confirmation form posts here too).
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: web::Path<String>,
    RawParams(raw): RawParams,
) -> Result<HttpResponse, AppError> {
    let tenant = tenant.as_str();
    let now = state.clock.now();
    let bad = |message: &str, app: Option<&SsoConfig>| {
        Ok(problem(
            StatusCode::BAD_REQUEST,
            "The sign-out request is not valid",
            message,
            app.map(|a| a.display_name.as_str()),
            now,
        ))
    };
    let org = crate::services::organization::current(&state).await?;
    if !oidc::is_this_tenant(&org, tenant) {
        return bad(&format!("AADSTS90002: Tenant '{tenant}' not found."), None);
    }
    let params = match Params::parse(&raw) {
        Ok(p) => p,
        Err(message) => return bad(&message, None),
    };
    // The hint, when it is a token Vestibule signed (expired ones too).
    let hint: Option<HintClaims> = match params.get("id_token_hint") {
        None => None,
        Some(token) => {
            let keys = oidc::keys(&state).await.map_err(AppError::Internal)?;
            let issuer = oidc::issuer_of(&state, &org);
            let expect = Expect {
                issuer: &issuer,
                audience: None,
                typ: "JWT",
                allow_expired: true,
            };
            verify::<HintClaims>(token, &keys.published, &expect)
        }
    };
    let app = match (hint.as_ref().map(|h| h.aud.as_str()), params.get("client_id")) {
        (Some(aud), Some(id)) if aud != id => {
            return bad("The client_id does not match the ID token hint.", None);
        }
        (Some(id), _) | (None, Some(id)) => oidc::client(&state, id).await?,
        (None, None) => None,
    };
    let target = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let Some(app) = &app else {
                return bad(
                    "A post_logout_redirect_uri needs the application: send an id_token_hint or a client_id.",
                    None,
                );
            };
            let mut conn = state.db.pool().acquire().await?;
            if !crate::store::single_sign_on::has_redirect_uri(&mut conn, &app.app_id, RedirectKind::PostLogout, uri)
                .await?
            {
                let message = format!(
                    "The post-logout redirect URI '{uri}' is not registered for the application '{}'.",
                    app.display_name
                );
                return bad(&message, Some(app));
            }
            let mut pairs = Vec::new();
            if let Some(s) = params.get("state") {
                pairs.push(("state", s));
            }
            Some(with_query(uri, &pairs))
        }
    };
    // Where the confirmation's post ends: the application, when it named
    // a registered address.
    let target_origin = target
        .as_deref()
        .and_then(crate::security::origin::Origin::of_url)
        .and_then(|o| o.csp_source());
    let destination = target.unwrap_or_else(|| "/signin?signed_out=1".to_owned());
    let session = TypedSession::extract(&req)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let Some(who) = session.user() else {
        // Nobody to sign out here: on to where the application asked.
        return Ok(found(&destination));
    };
    let confirmed = params.get("confirm") == Some("1") && session.csrf_matches(params.get("csrf_token").unwrap_or(""));
    let hinted_user = hint.as_ref().is_some_and(|h| h.oid == who.id);
    if confirmed || hinted_user {
        crate::services::accounts::sign_out(&state.db, &who.id, who.epoch).await?;
        session.sign_out();
        return Ok(found(&destination));
    }
    let mut conn = state.db.pool().acquire().await?;
    let user = crate::store::users::find_active(&mut conn, &who.id).await?;
    drop(conn);
    let mut fields: Vec<(String, String)> = vec![("confirm".into(), "1".into())];
    for name in ["post_logout_redirect_uri", "client_id", "state"] {
        if let Some(value) = params.get(name) {
            fields.push((name.to_owned(), value.to_owned()));
        }
    }
    if let Some(app) = &app
        && params.get("client_id").is_none()
        && let Some(id) = &app.client_id
    {
        fields.push(("client_id".into(), id.clone()));
    }
    let page = SignOutPage {
        layout: Layout::anonymous("Sign out?", &session),
        action: req.path().to_owned(),
        app_name: app.map(|a| a.display_name),
        user_name: user.map(|u| u.user_principal_name).unwrap_or_default(),
        fields,
    };
    Ok(super::let_forms_reach(
        render_with(&page, StatusCode::OK)?,
        target_origin.as_deref(),
    ))
}

fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish()
}
