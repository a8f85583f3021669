//! Which language a guest is written to in: the invitation's message
//! language, then the guest's preferred language, then the organization's
//! (Entra's order, without a home tenant's notification language).

use crate::domain::language::Language;
use crate::store::organization::Organization;
use crate::store::{self, Conn};

/// The language of an email to an existing user (a code, a resend): their
/// preferred language, else the one their newest invitation was sent in,
/// else the organization's.
pub async fn for_user(conn: &mut Conn, user_id: &str, org: &Organization) -> sqlx::Result<Language> {
    if let Some(tag) = store::users::preferred_language(conn, user_id).await?
        && let Some(language) = Language::from_tag(&tag)
    {
        return Ok(language);
    }
    let sent_in = store::invitations::latest_for_user(conn, user_id)
        .await?
        .and_then(|i| Language::from_tag(&i.language));
    Ok(sent_in.unwrap_or_else(|| org.language()))
}
