//! Guest-facing text in the guest's language, from the Fluent files under
//! `locales/<code>/` (compiled in). A key a language lacks falls back to
//! English; `tests` fails when any language lacks a key English has.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

pub use crate::domain::language::Language;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around placeables: names and
        // addresses are printed exactly as stored.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

fn identifier(language: Language) -> LanguageIdentifier {
    language
        .code()
        .parse()
        .expect("every language code is a valid identifier")
}

/// The message `key` in `language` (English when the language lacks it).
pub fn text(language: Language, key: &str) -> String {
    LOCALES.lookup(&identifier(language), key)
}

/// The message `key` with its placeables filled in, as plain text.
pub fn text_with(language: Language, key: &str, args: &[(&'static str, &str)]) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.to_string())))
        .collect();
    LOCALES.lookup_with_args(&identifier(language), key, &args)
}

/// HTML-escapes a value the way askama's templates do.
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&#38;"),
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a template calls to print text in one language. In HTML mode the
/// placeables are escaped and the message itself (ours, which may hold
/// markup) is not: print the result with `|safe`.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub language: Language,
    html: bool,
}

impl Tr {
    pub fn html(language: Language) -> Self {
        Self { language, html: true }
    }

    pub fn text(language: Language) -> Self {
        Self { language, html: false }
    }

    /// `<html lang="…">`.
    pub fn code(&self) -> &'static str {
        self.language.code()
    }

    pub fn get(&self, key: &str) -> String {
        text(self.language, key)
    }

    /// One placeable.
    pub fn arg(&self, key: &str, name: &'static str, value: &str) -> String {
        self.args(key, &[(name, value)])
    }

    /// Two placeables.
    pub fn arg2(&self, key: &str, n1: &'static str, v1: &str, n2: &'static str, v2: &str) -> String {
        self.args(key, &[(n1, v1), (n2, v2)])
    }

    pub fn args(&self, key: &str, args: &[(&'static str, &str)]) -> String {
        if self.html {
            let escaped: Vec<(&'static str, String)> = args.iter().map(|(n, v)| (*n, escape_html(v))).collect();
            let borrowed: Vec<(&'static str, &str)> = escaped.iter().map(|(n, v)| (*n, v.as_str())).collect();
            text_with(self.language, key, &borrowed)
        } else {
            text_with(self.language, key, args)
        }
    }

    /// A message whose `link` placeable is an HTML link (markup kept).
    pub fn with_link(&self, key: &str, link: &str, args: &[(&'static str, &str)]) -> String {
        let mut escaped: Vec<(&'static str, String)> = args.iter().map(|(n, v)| (*n, escape_html(v))).collect();
        escaped.push(("link", link.to_owned()));
        let borrowed: Vec<(&'static str, &str)> = escaped.iter().map(|(n, v)| (*n, v.as_str())).collect();
        text_with(self.language, key, &borrowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_falls_back_to_english_and_fills_placeables() {
        assert_eq!(
            text_with(Language::German, "invitation-subject", &[("inviter", "Ada")]),
            "Ada hat Sie eingeladen, auf Anwendungen in der Organisation zuzugreifen"
        );
        assert_eq!(text(Language::French, "consent-accept"), "Accepter");
        assert_eq!(
            Tr::html(Language::English).arg("consent-privacy-statement", "org", "A&B's"),
            "A&#38;B&#39;s's privacy statement"
        );
        assert_eq!(
            Tr::text(Language::English).arg("consent-privacy-statement", "org", "A&B"),
            "A&B's privacy statement"
        );
    }

    /// Each message's id and the placeables it uses, from one .ftl file
    /// (which must also parse as Fluent).
    fn messages(code: &str) -> HashMap<String, Vec<String>> {
        let path = format!("{}/locales/{code}/main.ftl", env!("CARGO_MANIFEST_DIR"));
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        if let Err((_, errors)) = fluent_templates::fluent_bundle::FluentResource::try_new(source.clone()) {
            panic!("{path} is not valid Fluent: {errors:?}");
        }
        let mut out = HashMap::new();
        for line in source.lines() {
            let Some((id, value)) = line.split_once(" = ") else {
                continue;
            };
            if line.starts_with(' ') || line.starts_with('#') {
                continue;
            }
            let mut placeables: Vec<String> = value
                .split("{ $")
                .skip(1)
                .filter_map(|rest| rest.split_once(" }").map(|(name, _)| name.to_owned()))
                .collect();
            placeables.sort();
            assert!(out.insert(id.to_owned(), placeables).is_none(), "{path}: {id} twice");
        }
        out
    }

    #[test]
    fn every_language_has_every_english_key_with_its_placeables() {
        let english = messages("en");
        assert!(english.len() > 50, "the English file is read");
        for language in Language::ALL {
            let other = messages(language.code());
            for (id, placeables) in &english {
                let Some(theirs) = other.get(id) else {
                    panic!("{} lacks the key {id}", language.code());
                };
                assert_eq!(theirs, placeables, "{}: {id} has other placeables", language.code());
            }
            for id in other.keys() {
                assert!(
                    english.contains_key(id),
                    "{} has {id}, which English lacks",
                    language.code()
                );
            }
        }
    }
}
