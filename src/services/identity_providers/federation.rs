//! Signing a guest in at their own OpenID Connect provider: the
//! authorization code flow with PKCE (S256), `state` and `nonce`, and the
//! ID token checked against the provider's keys (fetched again when the
//! token names an unknown key), issuer, audience, expiry and nonce. The
//! identity counts only when the provider asserts the expected address as
//! verified.

use serde_json::{Map, Value};

use super::http::{self, FetchError};
use crate::app::AppState;
use crate::domain::identity_provider::domain_of;
use crate::security::jws::pkce_s256;
use crate::security::secret::random_token;
use crate::services::ServiceResult;
use crate::store::federation_requests::{self, FederationRequestRow};
use crate::store::identity_providers::{self as store, ProviderRow};

/// A sign-in sent to a provider, kept in the database until the provider
/// sends the browser back; used once.
#[derive(Clone, Debug)]
pub struct AuthRequest {
    pub provider_id: String,
    pub nonce: String,
    pub verifier: String,
    /// The address the identity must match (redemption), or the address
    /// typed on the Sign in page (sign-in).
    pub address: String,
    /// A returning guest signing in (found by issuer and subject), rather
    /// than a redemption.
    pub sign_in: bool,
}

/// How long a provider has to send the browser back.
pub const REQUEST_LIFETIME_SECS: i64 = 600;

/// The account the provider vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub provider_id: String,
    pub provider_name: String,
    pub issuer: String,
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
}

/// Why a sign-in at a provider did not give the invited identity.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("the identity provider is no longer available")]
    ProviderGone,
    #[error("the identity provider answered with an error: {0}")]
    ProviderError(String),
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the identity provider's ID token was refused: {0}")]
    BadToken(&'static str),
    #[error("the account at the identity provider ({0}) does not match the invited address")]
    WrongAccount(String),
    #[error("the identity provider did not say the address is verified")]
    Unverified,
    #[error("the answer names another issuer than the identity provider asked (iss: mix-up)")]
    MixUp,
}

/// The enabled provider serving the address's domain.
pub async fn provider_for_address(state: &AppState, address: &str) -> ServiceResult<Option<ProviderRow>> {
    let Some(domain) = domain_of(address) else {
        return Ok(None);
    };
    let mut conn = state.db.pool().acquire().await?;
    Ok(store::for_domain(&mut conn, &domain).await?)
}

pub fn redirect_uri(state: &AppState) -> String {
    format!("{}/federation/callback", state.public_url.trim_end_matches('/'))
}

/// Keeps a new request and gives its `state` (for the browser's session)
/// and the provider's authorization URL to send the browser to. Requests
/// whose browser never came back are forgotten on the way.
pub async fn start(
    state: &AppState,
    provider: &ProviderRow,
    address: &str,
    sign_in: bool,
) -> ServiceResult<(String, String)> {
    let now = state.clock.now();
    let request_state = random_token(24);
    let row = FederationRequestRow {
        provider_id: provider.id.clone(),
        nonce: random_token(24),
        verifier: random_token(32),
        address: address.to_owned(),
        sign_in: i64::from(sign_in),
        expires_at: now + REQUEST_LIFETIME_SECS,
    };
    let digest = state.secrets.federation_states.digest(&request_state);
    let mut conn = state.db.pool().acquire().await?;
    federation_requests::delete_expired(&mut conn, now).await?;
    federation_requests::insert(&mut conn, &digest, &row).await?;
    let mut url = url::Url::parse(&provider.authorization_endpoint).expect("checked when the provider was saved");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", &redirect_uri(state))
        .append_pair("scope", &provider.scope)
        .append_pair("state", &request_state)
        .append_pair("nonce", &row.nonce)
        .append_pair("code_challenge", &pkce_s256(&row.verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("login_hint", address);
    Ok((request_state, url.to_string()))
}

/// The request a callback's `state` names, removed so that it is used
/// once; None when it is unknown, expired or already used.
pub async fn take_request(state: &AppState, request_state: &str) -> ServiceResult<Option<AuthRequest>> {
    if request_state.is_empty() {
        return Ok(None);
    }
    let digest = state.secrets.federation_states.digest(request_state);
    let mut conn = state.db.pool().acquire().await?;
    let row = federation_requests::take(&mut conn, &digest, state.clock.now()).await?;
    Ok(row.map(|r| AuthRequest {
        provider_id: r.provider_id,
        nonce: r.nonce,
        verifier: r.verifier,
        address: r.address,
        sign_in: r.sign_in != 0,
    }))
}

fn unreachable(e: FetchError) -> FederationError {
    match e {
        FetchError::Status(_, body) => FederationError::ProviderError(error_text(&body)),
        other => FederationError::Unreachable(other.to_string()),
    }
}

/// An OAuth error answer in a few words (the code, and the description cut short).
pub fn error_text(body: &Value) -> String {
    let code = body.get("error").and_then(Value::as_str).unwrap_or("unknown_error");
    match body.get("error_description").and_then(Value::as_str) {
        Some(d) => format!("{} ({})", code, d.chars().take(200).collect::<String>()),
        None => code.chars().take(100).collect(),
    }
}

/// Trades the code for tokens and checks the ID token.
/// `iss`: the authorization response's issuer (RFC 9207), when the
/// provider sends one; it must be the provider asked.
pub async fn finish(
    state: &AppState,
    request: &AuthRequest,
    code: &str,
    iss: Option<&str>,
) -> Result<Identity, FederationError> {
    let provider = {
        let mut conn = state
            .db
            .pool()
            .acquire()
            .await
            .map_err(|_| FederationError::ProviderGone)?;
        store::get(&mut conn, &request.provider_id).await.ok().flatten()
    }
    .filter(|p| p.enabled != 0)
    .ok_or(FederationError::ProviderGone)?;
    if iss.is_some_and(|iss| iss != provider.issuer) {
        return Err(FederationError::MixUp);
    }
    let secret = state
        .secrets
        .provider_secret_seal
        .open(&provider.id, &provider.sealed_client_secret)
        .and_then(|s| String::from_utf8(s).ok())
        .ok_or(FederationError::ProviderGone)?;
    let redirect = redirect_uri(state);
    let (status, body) = http::post_form(
        &provider.token_endpoint,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect),
            ("code_verifier", &request.verifier),
            ("client_id", &provider.client_id),
            ("client_secret", &secret),
        ],
    )
    .await
    .map_err(unreachable)?;
    if status != 200 {
        return Err(FederationError::ProviderError(error_text(&body)));
    }
    let id_token = body
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or(FederationError::BadToken("the token answer has no ID token"))?;
    let claims = verify_id_token(state, &provider, id_token, &request.nonce).await?;
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(FederationError::BadToken("no subject"))?;
    let email = claims
        .get(&provider.email_claim)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let email_verified = email_verified(&claims);
    if !request.sign_in {
        if !email.eq_ignore_ascii_case(&request.address) {
            return Err(FederationError::WrongAccount(if email.is_empty() {
                "no email address".into()
            } else {
                email
            }));
        }
        if !email_verified {
            return Err(FederationError::Unverified);
        }
    }
    Ok(Identity {
        provider_id: provider.id.clone(),
        provider_name: provider.display_name.clone(),
        issuer: provider.issuer.clone(),
        subject: subject.to_owned(),
        email,
        email_verified,
    })
}

/// Whether the provider vouches for the address: `email_verified`, or,
/// where that claim is absent, Microsoft's `xms_edov` (the email domain's
/// owner verified it), which Microsoft sends as an optional claim instead.
fn email_verified(claims: &Map<String, Value>) -> bool {
    let yes = |v: &Value| match v {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true" || s == "1",
        Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    };
    match claims.get("email_verified") {
        Some(v) => yes(v),
        None => claims.get("xms_edov").is_some_and(yes),
    }
}

/// The signing algorithms accepted from providers: asymmetric only, never `none`.
fn accepted(alg: jsonwebtoken::Algorithm) -> Option<&'static str> {
    use jsonwebtoken::Algorithm::*;
    match alg {
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Some("RSA"),
        ES256 | ES384 => Some("EC"),
        _ => None,
    }
}

fn decoding_key(jwk: &Value, kty: &str) -> Option<jsonwebtoken::DecodingKey> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    if field("kty")? != kty || field("use").is_some_and(|u| u != "sig") {
        return None;
    }
    match kty {
        "RSA" => jsonwebtoken::DecodingKey::from_rsa_components(field("n")?, field("e")?).ok(),
        _ => jsonwebtoken::DecodingKey::from_ec_components(field("x")?, field("y")?).ok(),
    }
}

/// The provider's published key the token names, from the cache, or read
/// again when the token names a key not among those cached (the provider
/// rotated its keys).
async fn find_key(
    state: &AppState,
    provider: &ProviderRow,
    kid: Option<&str>,
    kty: &str,
) -> Result<jsonwebtoken::DecodingKey, FederationError> {
    let find = |keys: &[Value]| {
        keys.iter()
            .filter(|k| match (kid, k.get("kid").and_then(Value::as_str)) {
                (Some(kid), Some(k)) => kid == k,
                (None, _) => true,
                _ => false,
            })
            .find_map(|k| decoding_key(k, kty))
    };
    if let Some(key) = state.provider_keys.get(&provider.jwks_uri).and_then(|keys| find(&keys)) {
        return Ok(key);
    }
    let jwks = http::get_json(&provider.jwks_uri).await.map_err(unreachable)?;
    let keys = jwks.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
    let keys = state.provider_keys.put(&provider.jwks_uri, keys);
    find(&keys).ok_or(FederationError::BadToken(
        "it is signed with a key the provider does not publish",
    ))
}

/// Checks the token's signature against the provider's published keys,
/// then its issuer, audience, expiry and nonce.
async fn verify_id_token(
    state: &AppState,
    provider: &ProviderRow,
    token: &str,
    nonce: &str,
) -> Result<Map<String, Value>, FederationError> {
    let bad = FederationError::BadToken;
    // `none` and unknown algorithms do not parse as a header at all.
    let header = jsonwebtoken::decode_header(token).map_err(|_| bad("it is unsigned or malformed"))?;
    let kty = accepted(header.alg).ok_or(bad("its algorithm is not accepted"))?;
    let key = find_key(state, provider, header.kid.as_deref(), kty).await?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[&provider.issuer]);
    validation.set_audience(&[&provider.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // Expiry is checked below against the portal's clock.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::InvalidIssuer => bad("it names another issuer"),
            ErrorKind::InvalidAudience => bad("it is meant for another client"),
            ErrorKind::InvalidSignature => bad("its signature does not verify"),
            _ => bad("it is malformed"),
        }
    })?;
    let claims = data.claims;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(bad("it has no expiry"))?;
    if exp + 60 < state.clock.now() {
        return Err(bad("it has expired"));
    }
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err(bad("its nonce does not match the request"));
    }
    Ok(claims)
}

/// Links the user to the account at the provider. False when the account
/// is already linked to another user.
pub async fn link(state: &AppState, user_id: &str, identity: &Identity) -> ServiceResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    match store::linked_user(&mut tx, &identity.issuer, &identity.subject).await? {
        Some(owner) => return Ok(owner == user_id),
        None => {
            store::link(
                &mut tx,
                user_id,
                &identity.provider_id,
                &identity.issuer,
                &identity.subject,
                now,
            )
            .await?
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// The user a returning guest's account at the provider is linked to. A
/// guest not linked to this provider yet (redeemed with the email code
/// before it was added) is linked once, when the provider asserts that
/// guest's address as verified; a guest already linked to another account
/// there is never taken over by address.
pub async fn user_for_sign_in(state: &AppState, identity: &Identity) -> ServiceResult<Option<String>> {
    let mut conn = state.db.pool().acquire().await?;
    if let Some(user_id) = store::linked_user(&mut conn, &identity.issuer, &identity.subject).await? {
        return Ok(Some(user_id));
    }
    if !identity.email_verified || identity.email.is_empty() {
        return Ok(None);
    }
    let Some(user) = crate::store::users::find_by_sign_in_name(&mut conn, &identity.email).await? else {
        return Ok(None);
    };
    let is_guest_by_mail = user.user_type == crate::domain::UserType::Guest
        && user
            .mail
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case(&identity.email));
    if !is_guest_by_mail || store::has_identity_at(&mut conn, &user.id, &identity.provider_id).await? {
        return Ok(None);
    }
    drop(conn);
    Ok(link(state, &user.id, identity).await?.then_some(user.id))
}

/// The origin of a provider's authorization endpoint: where the portal's
/// forms may end up (the pages' `form-action`).
pub fn authorization_origin(provider: &ProviderRow) -> Option<String> {
    let url = url::Url::parse(&provider.authorization_endpoint).ok()?;
    Some(url.origin().ascii_serialization())
}

/// The origins of every enabled provider's authorization endpoint (the
/// Sign in page's form may lead to any of them).
pub async fn authorization_origins(state: &AppState) -> ServiceResult<Vec<String>> {
    let mut conn = state.db.pool().acquire().await?;
    let mut origins: Vec<String> = store::list(&mut conn)
        .await?
        .iter()
        .filter(|p| p.enabled != 0)
        .filter_map(authorization_origin)
        .collect();
    origins.sort();
    origins.dedup();
    Ok(origins)
}
