//! The languages guests read their invitation, code email and pages in
//! (Graph's `messageLanguage` and `preferredLanguage`). A tag such as
//! `de-DE` or `fr-CA` names its language by its primary subtag; a region
//! or script is accepted and ignored.

use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    #[default]
    English,
    German,
    French,
    Spanish,
    Japanese,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::English,
        Language::German,
        Language::French,
        Language::Spanish,
        Language::Japanese,
    ];

    /// The ISO 639-1 code, as stored and as in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
            Language::French => "fr",
            Language::Spanish => "es",
            Language::Japanese => "ja",
        }
    }

    /// The language's name in itself, for a choice list.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::German => "Deutsch",
            Language::French => "Français",
            Language::Spanish => "Español",
            Language::Japanese => "日本語",
        }
    }

    /// A stored code; anything else (never written by the portal) is English.
    pub fn from_code(code: &str) -> Self {
        Self::from_tag(code).unwrap_or_default()
    }

    /// A BCP 47 tag (`de`, `de-DE`, `fr_CA`, `ja-JP`), case-insensitive;
    /// `None` for a malformed tag or a language the portal does not speak.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let tag = tag.trim();
        if tag.is_empty() || tag.len() > 35 {
            return None;
        }
        let mut subtags = tag.split(['-', '_']);
        let primary = subtags.next()?.to_ascii_lowercase();
        if !subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())) {
            return None;
        }
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// Parses a field's value, with the message a form or the API shows.
    pub fn parse(input: &str) -> Result<Self, String> {
        Self::from_tag(input).ok_or_else(|| {
            format!(
                "Choose a supported language: {}.",
                Self::ALL
                    .map(|l| format!("{} ({})", l.native_name(), l.code()))
                    .join(", ")
            )
        })
    }

    /// The best supported language of an `Accept-Language` header, by its
    /// q-values (ties keep the header's order); `None` when it names none.
    pub fn negotiate(accept_language: &str) -> Option<Self> {
        let mut best: Option<(u16, Self)> = None;
        for item in accept_language.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let mut quality = 1000u16;
            for param in parts {
                if let Some(q) = param.trim().strip_prefix("q=") {
                    quality = parse_quality(q).unwrap_or(0);
                }
            }
            if quality == 0 {
                continue;
            }
            if let Some(language) = Self::from_tag(tag)
                && best.is_none_or(|(q, _)| quality > q)
            {
                best = Some((quality, language));
            }
        }
        best.map(|(_, language)| language)
    }

    /// A date as people write it in this language (UTC).
    pub fn format_date(self, at: OffsetDateTime) -> String {
        let (y, m, d) = (at.year(), u8::from(at.month()), at.day());
        match self {
            Language::English => {
                let month = at.month().to_string();
                format!("{} {d}, {y}", &month[..3])
            }
            Language::German => format!("{d:02}.{m:02}.{y}"),
            Language::French | Language::Spanish => format!("{d:02}/{m:02}/{y}"),
            Language::Japanese => format!("{y}年{m}月{d}日"),
        }
    }
}

/// An `Accept-Language` q-value in thousandths (`0.8` is 800).
fn parse_quality(q: &str) -> Option<u16> {
    let q = q.trim();
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
    match whole {
        "0" => digits.parse().ok(),
        "1" if digits == "000" => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_their_language_by_the_primary_subtag() {
        assert_eq!(Language::from_tag("de-DE"), Some(Language::German));
        assert_eq!(Language::from_tag("fr-CA"), Some(Language::French));
        assert_eq!(Language::from_tag("ES"), Some(Language::Spanish));
        assert_eq!(Language::from_tag("ja_JP"), Some(Language::Japanese));
        assert_eq!(Language::from_tag("en-US"), Some(Language::English));
        assert_eq!(Language::from_tag("pt-BR"), None);
        assert_eq!(Language::from_tag("de-<b>"), None);
        assert_eq!(Language::from_tag(""), None);
        assert!(Language::parse("xx").unwrap_err().contains("Deutsch (de)"));
    }

    #[test]
    fn accept_language_follows_q_values() {
        assert_eq!(Language::negotiate("fr"), Some(Language::French));
        assert_eq!(Language::negotiate("pt-BR, de;q=0.5, fr;q=0.9"), Some(Language::French));
        assert_eq!(Language::negotiate("ja;q=0, es;q=0.1"), Some(Language::Spanish));
        assert_eq!(Language::negotiate("de-CH, en;q=0.8"), Some(Language::German));
        assert_eq!(Language::negotiate("pt, zh"), None);
        assert_eq!(Language::negotiate("*"), None);
    }

    #[test]
    fn dates_follow_the_language() {
        let at = time::macros::datetime!(2026-03-07 10:00 UTC);
        assert_eq!(Language::English.format_date(at), "Mar 7, 2026");
        assert_eq!(Language::German.format_date(at), "07.03.2026");
        assert_eq!(Language::French.format_date(at), "07/03/2026");
        assert_eq!(Language::Japanese.format_date(at), "2026年3月7日");
    }
}
