//! Application tiles: the monogram drawn for an app without a logo, and
//! the rules an uploaded logo must pass. A logo is judged by its content,
//! never by the name or type the browser gave it.

/// The largest logo accepted (Entra's limit).
pub const MAX_LOGO_BYTES: usize = 100 * 1024;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The kinds of logo stored and served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoType {
    Png,
    Svg,
}

impl LogoType {
    /// The stored value, which is also the `Content-Type` served.
    pub fn content_type(self) -> &'static str {
        match self {
            LogoType::Png => "image/png",
            LogoType::Svg => "image/svg+xml",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "image/png" => Some(LogoType::Png),
            "image/svg+xml" => Some(LogoType::Svg),
            _ => None,
        }
    }
}

/// Checks an uploaded logo of `size` bytes (`bytes` may hold only its
/// first part when it was too big to keep).
pub fn check_logo(bytes: &[u8], size: usize) -> Result<LogoType, String> {
    if size > MAX_LOGO_BYTES {
        return Err("The logo must be 100 KB or smaller.".into());
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return Ok(LogoType::Png);
    }
    let not_an_image = || "Upload a PNG or SVG image.".to_string();
    let text = std::str::from_utf8(bytes).map_err(|_| not_an_image())?;
    let body = skip_prolog(text.trim_start_matches('\u{feff}')).ok_or_else(not_an_image)?;
    let is_svg_root = body
        .strip_prefix("<svg")
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_whitespace() || c == '>' || c == '/');
    if !is_svg_root {
        return Err(not_an_image());
    }
    if let Some(what) = active_content(text) {
        return Err(format!(
            "This SVG contains {what}, which a logo may not have: upload a plain drawing."
        ));
    }
    Ok(LogoType::Svg)
}

/// The text from the root element on, after the XML declaration and any
/// comments; None when the prolog holds anything else (a DOCTYPE, whose
/// entities could expand or fetch).
fn skip_prolog(mut text: &str) -> Option<&str> {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("<?xml") {
            text = &rest[rest.find("?>")? + 2..];
        } else if let Some(rest) = text.strip_prefix("<!--") {
            text = &rest[rest.find("-->")? + 3..];
        } else if text.starts_with("<!") || text.starts_with("<?") {
            return None;
        } else {
            return Some(text);
        }
    }
}

/// The first thing in an SVG that could run script or reach outside it.
fn active_content(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    for (needle, what) in [
        ("<script", "a script"),
        ("javascript:", "a javascript: link"),
        ("<foreignobject", "embedded HTML"),
        ("<!entity", "an entity declaration"),
        ("<!doctype", "a document type declaration"),
        ("<iframe", "embedded HTML"),
        ("<embed", "embedded content"),
        ("<object", "embedded content"),
        ("@import", "an external stylesheet"),
    ] {
        if lower.contains(needle) {
            return Some(what);
        }
    }
    if has_event_attribute(&lower) {
        return Some("an event handler");
    }
    if has_external_reference(&lower) {
        return Some("an external reference");
    }
    None
}

/// ` onload=`, `/onclick =` and the like.
fn has_event_attribute(lower: &str) -> bool {
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(at) = lower[from..].find("on").map(|i| i + from) {
        from = at + 2;
        let before_ok = at > 0 && matches!(bytes[at - 1], b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'"' | b'\'');
        if !before_ok {
            continue;
        }
        let mut i = at + 2;
        while i < bytes.len() && bytes[i].is_ascii_lowercase() {
            i += 1;
        }
        if i == at + 2 {
            continue;
        }
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) == Some(&b'=') {
            return true;
        }
    }
    false
}

/// An `href` (or `xlink:href`) to anything but a fragment of the file
/// itself, or a CSS `url(…)` that is not one.
fn has_external_reference(lower: &str) -> bool {
    let refers_outside = |value: &str| {
        let value = value.trim_start_matches(['"', '\'', ' ', '\t', '\n', '\r']);
        !value.starts_with('#')
    };
    let mut from = 0;
    while let Some(at) = lower[from..].find("href").map(|i| i + from) {
        from = at + 4;
        let rest = lower[at + 4..].trim_start();
        if let Some(value) = rest.strip_prefix('=')
            && refers_outside(value)
        {
            return true;
        }
    }
    let mut from = 0;
    while let Some(at) = lower[from..].find("url(").map(|i| i + from) {
        from = at + 4;
        if refers_outside(&lower[at + 4..]) {
            return true;
        }
    }
    false
}

/// Up to two letters for a tile: the initials of the first two words, or
/// of the two humps of a single CamelCase word ("DocuSign" → "DS"), or its
/// first letter.
pub fn monogram_initials(name: &str) -> String {
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_' || c == '.')
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let first_letter = |w: &str| w.chars().find(|c| c.is_alphanumeric());
    let letters: Vec<char> = match words.as_slice() {
        [] => vec!['?'],
        [one] => {
            let mut chars = one.chars().filter(|c| c.is_alphanumeric());
            let first = chars.next();
            let hump = chars.find(|c| c.is_uppercase());
            first.into_iter().chain(hump).collect()
        }
        [a, b, ..] => first_letter(a).into_iter().chain(first_letter(b)).collect(),
    };
    letters.into_iter().flat_map(char::to_uppercase).take(2).collect()
}

/// Dark tile colours, each with at least 4.5:1 contrast against white text.
const PALETTE: [&str; 10] = [
    "#0f5bbd", "#1d6b3a", "#8a1c7c", "#b42318", "#5b3fb5", "#0e6670", "#7a4b00", "#3b4a5e", "#a3216b", "#24577a",
];

/// The tile colour of a name: the same name always gets the same colour.
pub fn monogram_colour(name: &str) -> &'static str {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = name.to_lowercase().bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    PALETTE[(hash % PALETTE.len() as u64) as usize]
}

/// The generated tile of an app without a logo: its initials in white on a
/// colour derived from its name. Never a vendor's logo.
pub fn monogram_svg(name: &str) -> String {
    let initials = escape_xml(&monogram_initials(name));
    let colour = monogram_colour(name);
    let label = escape_xml(name);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 96 96\" width=\"96\" height=\"96\" \
         role=\"img\" aria-label=\"{label}\"><rect width=\"96\" height=\"96\" rx=\"14\" fill=\"{colour}\"/>\
         <text x=\"48\" y=\"50\" dominant-baseline=\"central\" text-anchor=\"middle\" \
         font-family=\"Segoe UI, Helvetica, Arial, sans-serif\" font-size=\"40\" font-weight=\"600\" \
         fill=\"#ffffff\">{initials}</text></svg>"
    )
}

fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN_SVG: &str = "<?xml version=\"1.0\"?>\n<!-- tile -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
        viewBox=\"0 0 10 10\"><defs><linearGradient id=\"g\"/></defs>\
        <rect width=\"10\" height=\"10\" fill=\"url(#g)\"/><use href=\"#g\"/></svg>";

    #[test]
    fn initials_follow_words_and_humps() {
        assert_eq!(monogram_initials("DocuSign"), "DS");
        assert_eq!(monogram_initials("GitHub"), "GH");
        assert_eq!(monogram_initials("ServiceNow"), "SN");
        assert_eq!(monogram_initials("Slack"), "S");
        assert_eq!(monogram_initials("zoom"), "Z");
        assert_eq!(monogram_initials("Contoso expense portal"), "CE");
        assert_eq!(monogram_initials("  --  "), "?");
        assert_eq!(monogram_initials("été rapide"), "ÉR");
    }

    #[test]
    fn the_monogram_is_stable_escaped_svg() {
        let svg = monogram_svg("<Acme & \"Co\">");
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains("&lt;Acme &amp; &quot;Co&quot;&gt;"));
        assert!(!svg.contains("<Acme"));
        assert_eq!(monogram_svg("Slack"), monogram_svg("Slack"));
        assert_eq!(monogram_colour("Slack"), monogram_colour("SLACK"));
        assert_eq!(check_logo(monogram_svg("DocuSign").as_bytes(), 10), Ok(LogoType::Svg));
    }

    #[test]
    fn png_and_plain_svg_pass() {
        let png = [PNG_SIGNATURE, &[0u8; 32]].concat();
        assert_eq!(check_logo(&png, png.len()), Ok(LogoType::Png));
        assert_eq!(check_logo(PLAIN_SVG.as_bytes(), PLAIN_SVG.len()), Ok(LogoType::Svg));
        assert_eq!(check_logo(b"<svg/>", 6), Ok(LogoType::Svg));
    }

    #[test]
    fn other_content_is_refused() {
        for bad in [
            &b"GIF89a\x01\x00"[..],
            b"\xff\xd8\xff\xe0JFIF",
            b"<html><svg></svg></html>",
            b"<svgx></svgx>",
            b"",
            b"\x89PNG",
            b"<!DOCTYPE svg [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><svg>&x;</svg>",
        ] {
            assert!(check_logo(bad, bad.len()).is_err(), "{bad:?}");
        }
        let png = [PNG_SIGNATURE, &[0u8; 32]].concat();
        assert_eq!(
            check_logo(&png, MAX_LOGO_BYTES + 1),
            Err("The logo must be 100 KB or smaller.".into())
        );
    }

    #[test]
    fn active_svg_content_is_refused() {
        for bad in [
            "<svg><script>alert(1)</script></svg>",
            "<svg><SCRIPT>alert(1)</SCRIPT></svg>",
            "<svg onload=\"alert(1)\"></svg>",
            "<svg><rect\nonclick = \"x()\"/></svg>",
            "<svg><a href=\"javascript:alert(1)\"><rect/></a></svg>",
            "<svg><a xlink:href=\"https://evil.example\"><rect/></a></svg>",
            "<svg><image href='http://evil.example/x.png'/></svg>",
            "<svg><use href=\"data:image/svg+xml;base64,AAAA\"/></svg>",
            "<svg><foreignObject><div/></foreignObject></svg>",
            "<svg><style>rect { fill: url(https://evil.example/x) }</style></svg>",
            "<svg><style>@import 'https://evil.example/x.css';</style></svg>",
        ] {
            assert!(check_logo(bad.as_bytes(), bad.len()).is_err(), "{bad}");
        }
        // Words that merely contain "on" are fine.
        let ok = "<svg><text font-family=\"Montserrat\">Wonder on=off</text></svg>";
        assert_eq!(check_logo(ok.as_bytes(), ok.len()), Ok(LogoType::Svg));
    }
}
