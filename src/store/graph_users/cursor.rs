//! The position of a page in the list, and its compact text.

use base64::Engine as _;

/// A position in the list: the last row of a page, by its sort key. The
/// API signs it into `$skiptoken`; [`Cursor::encode`] is its compact text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub display_name_lower: String,
    pub id: String,
}

/// The longest text [`Cursor::decode`] reads: a 256-character name,
/// lower-cased (which may lengthen it) and quoted, with an id.
const MAX_CURSOR_LEN: usize = 4096;

impl Cursor {
    /// Base64url (no padding) of the JSON array `[display_name_lower, id]`.
    pub fn encode(&self) -> String {
        let json = serde_json::json!([self.display_name_lower, self.id]).to_string();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// The cursor [`Cursor::encode`] wrote; `None` for anything else.
    pub fn decode(text: &str) -> Option<Cursor> {
        if text.is_empty() || text.len() > MAX_CURSOR_LEN {
            return None;
        }
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
        let (display_name_lower, id): (String, String) = serde_json::from_slice(&json).ok()?;
        let id_ok = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic());
        let name_ok = display_name_lower.chars().count() <= 1024 && !display_name_lower.chars().any(char::is_control);
        (id_ok && name_ok).then_some(Cursor { display_name_lower, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let c = Cursor {
            display_name_lower: "zoë \"o'brien\" 日本".into(),
            id: "0190a3c4-0000-7000-8000-000000000001".into(),
        };
        let text = c.encode();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(Cursor::decode(&text), Some(c));
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        for garbage in [
            String::new(),
            "not base64!".into(),
            b64("not json"),
            b64("[\"a\"]"),
            b64("[\"a\",\"b\",\"c\"]"),
            b64("[\"a\",2]"),
            b64("{\"a\":\"b\"}"),
            b64("[\"a\",\"\"]"),
            b64("[\"a\",\"has space\"]"),
            b64("[\"a\\u0000\",\"id\"]"),
            b64(&format!("[\"a\",\"{}\"]", "x".repeat(65))),
            "A".repeat(5000),
        ] {
            assert_eq!(Cursor::decode(&garbage), None, "{garbage}");
        }
    }
}
