//! Reading a `multipart/form-data` form with a logo. Text fields and the
//! logo are bounded while they stream: no more of a logo than the limit
//! (and one byte to tell it was bigger) is ever kept in memory. The CSRF
//! token travels as the `csrf_token` field and is checked before the
//! caller sees any field.

use actix_multipart::Multipart;
use futures_util::StreamExt as _;

use crate::domain::app_logo::MAX_LOGO_BYTES;
use crate::services::applications::LogoUpload;
use crate::web::error::AppError;
use crate::web::session::TypedSession;

/// The longest text field read (Notes is the longest at 1,024 characters,
/// and a form re-rendered with an overlong value keeps only its start).
const MAX_TEXT_BYTES: usize = 16 * 1024;
const MAX_FIELDS: usize = 32;
/// A bigger logo is read and dropped so the form can say "too big" with a
/// 422; past this the request is refused outright.
const MAX_DRAINED_BYTES: usize = 8 * 1024 * 1024;

/// The form's text fields, and the logo if one was chosen.
pub struct UploadForm {
    fields: Vec<(String, String)>,
    pub logo: Option<LogoUpload>,
}

impl UploadForm {
    /// The field's value, or "" when absent.
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Whether a checkbox was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == name)
    }
}

fn unreadable() -> AppError {
    AppError::BadRequest("The form could not be read.".into())
}

/// Reads the whole form, then checks its CSRF token against the session.
pub async fn read_form(
    session: &TypedSession,
    mut payload: Multipart,
    logo_field: &str,
) -> Result<UploadForm, AppError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut logo = None;
    let mut count = 0;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        count += 1;
        if count > MAX_FIELDS {
            return Err(AppError::PayloadTooLarge);
        }
        let name = field.name().unwrap_or("").to_owned();
        let is_file = field.content_disposition().and_then(|cd| cd.get_filename()).is_some();
        let (keep, cap) = if name == logo_field && is_file {
            (MAX_LOGO_BYTES + 1, MAX_DRAINED_BYTES)
        } else {
            (MAX_TEXT_BYTES, MAX_TEXT_BYTES)
        };
        let mut bytes = Vec::new();
        let mut size = 0usize;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| unreadable())?;
            size += chunk.len();
            if size > cap {
                return Err(AppError::PayloadTooLarge);
            }
            let room = keep.saturating_sub(bytes.len());
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        if name == logo_field && is_file {
            // A file input left empty still sends an empty part.
            if size > 0 {
                logo = Some(LogoUpload { bytes, size });
            }
        } else {
            let value = String::from_utf8(bytes).map_err(|_| unreadable())?;
            fields.push((name, value));
        }
    }
    let token = fields
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !session.csrf_matches(token) {
        tracing::warn!("refused a multipart form without a valid CSRF token");
        return Err(AppError::CsrfRejected);
    }
    Ok(UploadForm { fields, logo })
}
