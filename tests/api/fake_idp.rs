//! A small OpenID Connect provider on the loopback, for the failures a
//! real one does not produce on request: it signs in whoever the test
//! says, and its ID tokens can be unsigned, forged, for another issuer or
//! with another nonce. It checks the client secret and PKCE like a real
//! provider.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use vestibule::security::jws::{JwsAlg, SigningKey, pkce_s256};

pub const CLIENT_ID: &str = "vestibule-test-client";
pub const CLIENT_SECRET: &str = "fake-idp-secret";

/// What the next ID token says, and how it is made.
#[derive(Clone, Debug)]
pub struct Plan {
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub issuer: Option<String>,
    pub nonce: Option<String>,
    pub unsigned: bool,
    pub forged: bool,
}

impl Plan {
    pub fn account(subject: &str, email: &str) -> Plan {
        Plan {
            subject: subject.into(),
            email: email.into(),
            email_verified: true,
            issuer: None,
            nonce: None,
            unsigned: false,
            forged: false,
        }
    }
}

struct Shared {
    base: String,
    key: SigningKey,
    forger: SigningKey,
    plan: Mutex<Plan>,
    /// Authorization requests by code.
    codes: Mutex<HashMap<String, HashMap<String, String>>>,
}

pub struct FakeIdp {
    pub base: String,
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
}

impl FakeIdp {
    pub async fn start(plan: Plan) -> FakeIdp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (key, _) = SigningKey::generate("idp-key-1".into(), JwsAlg::Rs256).unwrap();
        let (forger, _) = SigningKey::generate("idp-key-1".into(), JwsAlg::Rs256).unwrap();
        let shared = Arc::new(Shared {
            base: base.clone(),
            key,
            forger,
            plan: Mutex::new(plan),
            codes: Mutex::new(HashMap::new()),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/.well-known/openid-configuration", web::get().to(discovery))
                .route("/jwks", web::get().to(jwks))
                .route("/authorize", web::get().to(authorize))
                .route("/token", web::post().to(token))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeIdp { base, shared, handle }
    }

    pub fn metadata_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.base)
    }

    pub fn set_plan(&self, plan: Plan) {
        *self.shared.plan.lock().unwrap() = plan;
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

async fn discovery(s: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "issuer": s.base,
        "authorization_endpoint": format!("{}/authorize", s.base),
        "token_endpoint": format!("{}/token", s.base),
        "jwks_uri": format!("{}/jwks", s.base),
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks(s: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "keys": [s.key.public_jwk()] }))
}

/// Signs in at once: back to the redirect URI with a code.
async fn authorize(s: web::Data<Shared>, q: web::Query<HashMap<String, String>>) -> HttpResponse {
    let code = uuid::Uuid::new_v4().to_string();
    let mut back = url::Url::parse(&q["redirect_uri"]).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &q["state"]);
    s.codes.lock().unwrap().insert(code, q.into_inner());
    HttpResponse::Found()
        .insert_header(("location", back.to_string()))
        .finish()
}

async fn token(s: web::Data<Shared>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let request = s.codes.lock().unwrap().remove(field("code"));
    let Some(request) = request else {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
    };
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    if pkce_s256(field("code_verifier")) != request["code_challenge"]
        || field("redirect_uri") != request["redirect_uri"]
    {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant", "error_description": "PKCE"}));
    }
    let plan = s.plan.lock().unwrap().clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({
        "iss": plan.issuer.clone().unwrap_or_else(|| s.base.clone()),
        "sub": plan.subject,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": plan.nonce.clone().unwrap_or_else(|| request["nonce"].clone()),
        "email": plan.email,
        "email_verified": plan.email_verified,
    });
    let id_token = if plan.unsigned {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        format!("{header}.{body}.")
    } else if plan.forged {
        s.forger.sign("JWT", &claims).unwrap()
    } else {
        s.key.sign("JWT", &claims).unwrap()
    };
    HttpResponse::Ok().json(json!({
        "access_token": "opaque",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
}
