//! The session, typed. The cookie store keeps everything in an encrypted
//! cookie and nothing on the server, so the session carries the user's
//! session epoch and its issue and last-seen times; the user is reloaded on
//! every request and these are checked against the database and the clock.

use std::future::{Ready, ready};

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use serde::{Deserialize, Serialize};

use crate::security::secret::{constant_time_eq, random_token};
use crate::web::error::AppError;

const USER: &str = "user";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
const REDEMPTION: &str = "redemption";
const CODE_FOR: &str = "code_for";
const RETURN_TO: &str = "return_to";
const FEDERATION: &str = "federation";

/// Who the session belongs to, as recorded at sign-in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: String,
    pub epoch: i64,
    pub issued_at: i64,
    pub last_seen: i64,
    /// Seconds this session may last; guests' sessions follow the
    /// organization's guest session length. None: the portal's default.
    #[serde(default)]
    pub max_age: Option<i64>,
    /// This sign-in's id: the `sid` of the tokens applications get from it.
    #[serde(default)]
    pub sid: Option<String>,
}

impl SessionUser {
    /// The session id tokens carry; sessions from before it existed get
    /// one made of their start.
    pub fn session_id(&self) -> String {
        self.sid
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.id, self.issued_at))
    }
}

/// A redemption in progress: which invitation, for whom, and whether the
/// invited address has been proved.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Redemption {
    pub invitation_id: Option<String>,
    pub user_id: String,
    pub address: String,
    pub verified: bool,
    /// The language the invitation was sent in ('' for none): the guest's
    /// pages speak it when the browser asks for none we have.
    #[serde(default)]
    pub language: String,
}

/// A one-shot message shown on the next page.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
}

impl Flash {
    pub fn is_success(&self) -> bool {
        self.kind == FlashKind::Success
    }
}

#[derive(Clone)]
pub struct TypedSession(Session);

impl TypedSession {
    pub fn user(&self) -> Option<SessionUser> {
        self.0.get(USER).ok().flatten()
    }

    /// Starts a signed-in session under a new id (no fixation) with a new
    /// CSRF token.
    pub fn sign_in(&self, user_id: &str, epoch: i64, now: i64, max_age: Option<i64>) -> Result<(), AppError> {
        self.0.renew();
        self.0.remove(CSRF);
        self.0.remove(REDEMPTION);
        self.0.remove(CODE_FOR);
        self.0.insert(
            USER,
            SessionUser {
                id: user_id.to_owned(),
                epoch,
                issued_at: now,
                last_seen: now,
                max_age,
                sid: Some(random_token(16)),
            },
        )?;
        Ok(())
    }

    pub fn redemption(&self) -> Option<Redemption> {
        self.0.get(REDEMPTION).ok().flatten()
    }

    pub fn set_redemption(&self, redemption: &Redemption) -> Result<(), AppError> {
        self.0.insert(REDEMPTION, redemption)?;
        Ok(())
    }

    /// The `state` of a sign-in sent to an identity provider, until it
    /// comes back: the callback must return to the browser that left.
    pub fn set_federation(&self, request_state: &str) -> Result<(), AppError> {
        self.0.insert(FEDERATION, request_state)?;
        Ok(())
    }

    /// The `state` of the sign-in sent to an identity provider, removed.
    pub fn take_federation(&self) -> Option<String> {
        self.0.remove_as(FEDERATION).and_then(Result::ok)
    }

    pub fn clear_redemption(&self) {
        self.0.remove(REDEMPTION);
    }

    /// Where to go once signed in, when that is not My Apps: an
    /// application's sign-in request waiting for a guest's code. Local
    /// paths only (the caller checks).
    pub fn set_return_to(&self, path: &str) -> Result<(), AppError> {
        self.0.insert(RETURN_TO, path)?;
        Ok(())
    }

    /// The waiting destination, left in place.
    pub fn return_to(&self) -> Option<String> {
        self.0.get(RETURN_TO).ok().flatten()
    }

    /// Takes the waiting destination, once.
    pub fn take_return_to(&self) -> Option<String> {
        self.0.remove_as::<String>(RETURN_TO).and_then(Result::ok)
    }

    /// The address a sign-in code was asked for.
    pub fn code_address(&self) -> Option<String> {
        self.0.get(CODE_FOR).ok().flatten()
    }

    pub fn set_code_address(&self, address: &str) -> Result<(), AppError> {
        self.0.insert(CODE_FOR, address)?;
        Ok(())
    }

    /// Records a new epoch after the user changed something that ends their
    /// other sessions, keeping this one.
    pub fn set_epoch(&self, epoch: i64) -> Result<(), AppError> {
        if let Some(mut user) = self.user() {
            user.epoch = epoch;
            self.0.renew();
            self.0.insert(USER, user)?;
        }
        Ok(())
    }

    /// Notes activity; written at most once a minute to keep cookies stable.
    pub fn touch(&self, user: &SessionUser, now: i64) -> Result<(), AppError> {
        if now - user.last_seen >= 60 {
            let mut user = user.clone();
            user.last_seen = now;
            self.0.insert(USER, user)?;
        }
        Ok(())
    }

    /// Ends an expired session but keeps a cookie for the message saying so.
    pub fn expire(&self) {
        self.0.remove(USER);
        self.0.remove(CSRF);
        self.0.renew();
        self.flash(FlashKind::Error, "Your session expired. Sign in again.");
    }

    /// Ends the session on both sides: the cookie is removed.
    pub fn sign_out(&self) {
        self.0.purge();
    }

    /// The synchronizer token of this session, made on first use.
    pub fn csrf_token(&self) -> String {
        if let Ok(Some(token)) = self.0.get::<String>(CSRF) {
            return token;
        }
        let token = random_token(32);
        if let Err(e) = self.0.insert(CSRF, &token) {
            tracing::error!(error = %e, "storing the CSRF token");
        }
        token
    }

    pub fn csrf_matches(&self, given: &str) -> bool {
        match self.0.get::<String>(CSRF) {
            Ok(Some(expected)) => !given.is_empty() && constant_time_eq(&expected, given),
            _ => false,
        }
    }

    pub fn flash(&self, kind: FlashKind, message: impl Into<String>) {
        let flash = Flash {
            kind,
            message: message.into(),
        };
        if let Err(e) = self.0.insert(FLASH, flash) {
            tracing::error!(error = %e, "storing a flash message");
        }
    }

    pub fn take_flash(&self) -> Option<Flash> {
        self.0.remove_as::<Flash>(FLASH).and_then(Result::ok)
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Ok(TypedSession(req.get_session())))
    }
}
