//! A small OpenID Connect provider on the loopback, for the failures a
//! real one does not produce on request: it signs in whoever the test
//! says, and its ID tokens can be unsigned, forged, for another issuer or
//! with another nonce. It checks the client secret and PKCE like a real
//! provider.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// `email_verified`, or no such claim.
    pub email_verified: Option<bool>,
    /// Microsoft's `xms_edov`, when sent.
    pub xms_edov: Option<bool>,
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
            email_verified: Some(true),
            xms_edov: None,
            issuer: None,
            nonce: None,
            unsigned: false,
            forged: false,
        }
    }
}

struct Shared {
    base: String,
    /// The key it signs with and publishes; `rotate_key` replaces it.
    key: Mutex<SigningKey>,
    forger: SigningKey,
    plan: Mutex<Plan>,
    /// Authorization requests by code.
    codes: Mutex<HashMap<String, HashMap<String, String>>>,
    /// How often its JWKS and its token endpoint were asked.
    jwks_reads: AtomicUsize,
    token_requests: AtomicUsize,
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
            key: Mutex::new(key),
            forger,
            plan: Mutex::new(plan),
            codes: Mutex::new(HashMap::new()),
            jwks_reads: AtomicUsize::new(0),
            token_requests: AtomicUsize::new(0),
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

    /// Signs with a new key under a new `kid`, and publishes only that one.
    pub fn rotate_key(&self, kid: &str) {
        let (key, _) = SigningKey::generate(kid.into(), JwsAlg::Rs256).unwrap();
        *self.shared.key.lock().unwrap() = key;
    }

    pub fn jwks_reads(&self) -> usize {
        self.shared.jwks_reads.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> usize {
        self.shared.token_requests.load(Ordering::SeqCst)
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
    s.jwks_reads.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().json(json!({ "keys": [s.key.lock().unwrap().public_jwk()] }))
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
    s.token_requests.fetch_add(1, Ordering::SeqCst);
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
    let mut claims = json!({
        "iss": plan.issuer.clone().unwrap_or_else(|| s.base.clone()),
        "sub": plan.subject,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": plan.nonce.clone().unwrap_or_else(|| request["nonce"].clone()),
        "email": plan.email,
    });
    if let Some(verified) = plan.email_verified {
        claims["email_verified"] = json!(verified);
    }
    if let Some(edov) = plan.xms_edov {
        claims["xms_edov"] = json!(edov);
    }
    let id_token = if plan.unsigned {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        format!("{header}.{body}.")
    } else if plan.forged {
        s.forger.sign("JWT", &claims).unwrap()
    } else {
        s.key.lock().unwrap().sign("JWT", &claims).unwrap()
    };
    HttpResponse::Ok().json(json!({
        "access_token": "opaque",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
}
