//! Splits a rule into tokens, each with the 1-based character column where
//! it starts, so every later error can point at the spot.

use super::RuleError;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    /// A bare word: `user.mail`, `true`, `null`, `and`.
    Word(String),
    /// A word after a dash, without the dash: `-eq` is `Dash("eq")`.
    Dash(String),
    /// A quoted value, escapes resolved.
    Str(String),
    End,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    /// 1-based character column of the token's first character.
    pub pos: usize,
}

impl Tok {
    /// How an error message names this token.
    pub fn describe(&self) -> String {
        match self {
            Tok::LParen => "\"(\"".into(),
            Tok::RParen => "\")\"".into(),
            Tok::LBracket => "\"[\"".into(),
            Tok::RBracket => "\"]\"".into(),
            Tok::Comma => "\",\"".into(),
            Tok::Word(w) => format!("\"{}\"", shorten(w)),
            Tok::Dash(w) => format!("\"-{}\"", shorten(w)),
            Tok::Str(s) => format!("the text {}", super::quote(&shorten(s))),
            Tok::End => "the end of the rule".into(),
        }
    }

    /// `and`, `-and`, `AND`: the word `keyword` with or without a dash.
    pub fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, Tok::Word(w) | Tok::Dash(w) if w.eq_ignore_ascii_case(keyword))
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 30;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        s.chars().take(MAX).chain("…".chars()).collect()
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

fn scan_word(chars: &[char], from: usize) -> usize {
    from + chars[from..].iter().take_while(|c| is_word_char(**c)).count()
}

pub(super) fn tokenize(chars: &[char]) -> Result<Vec<Token>, RuleError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        let (tok, next) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            '[' => (Tok::LBracket, i + 1),
            ']' => (Tok::RBracket, i + 1),
            ',' => (Tok::Comma, i + 1),
            '"' | '\'' => string(chars, i)?,
            '-' => {
                let end = scan_word(chars, i + 1);
                if end == i + 1 {
                    return Err(RuleError::at(
                        pos,
                        "expected an operator such as -eq or -and after \"-\"",
                    ));
                }
                (Tok::Dash(chars[i + 1..end].iter().collect()), end)
            }
            c if is_word_char(c) => {
                let end = scan_word(chars, i);
                (Tok::Word(chars[i..end].iter().collect()), end)
            }
            _ => return Err(unexpected(chars, i)),
        };
        out.push(Token { tok, pos });
        i = next;
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len() + 1,
    });
    Ok(out)
}

/// A quoted value starting at `start`; returns it and the index after the
/// closing quote. `\"`, `\'` and `\\` escape; any other backslash is refused
/// so that a mistyped value is not silently changed.
fn string(chars: &[char], start: usize) -> Result<(Tok, usize), RuleError> {
    let quote = chars[start];
    let mut value = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            c if c == quote => return Ok((Tok::Str(value), i + 1)),
            '\\' => match chars.get(i + 1) {
                Some(&e @ ('"' | '\'' | '\\')) => {
                    value.push(e);
                    i += 2;
                }
                Some(&e) => {
                    return Err(RuleError::at(
                        i + 1,
                        format!("unknown escape \\{e}: inside quotes write \\\" for a quote and \\\\ for a backslash"),
                    ));
                }
                None => break,
            },
            c => {
                value.push(c);
                i += 1;
            }
        }
    }
    Err(RuleError::at(
        start + 1,
        format!("this value is never closed: add a closing {quote} at its end"),
    ))
}

fn unexpected(chars: &[char], i: usize) -> RuleError {
    let next = chars.get(i + 1).copied();
    let message = match (chars[i], next) {
        ('=', Some('=')) => "use -eq instead of ==".to_string(),
        ('=', _) => "use -eq instead of =".to_string(),
        ('!', Some('=')) => "use -ne instead of !=".to_string(),
        ('!', _) => "use -not instead of !".to_string(),
        ('&', _) => "use -and instead of &".to_string(),
        ('|', _) => "use -or instead of |".to_string(),
        ('“' | '”' | '„' | '‘' | '’', _) => {
            "curly quotes are not understood: type straight quotes \" instead".into()
        }
        (c, _) => format!("unexpected character \"{}\"", c.escape_debug()),
    };
    RuleError::at(i + 1, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(input: &str) -> Vec<Tok> {
        let chars: Vec<char> = input.chars().collect();
        tokenize(&chars).unwrap().into_iter().map(|t| t.tok).collect()
    }

    fn err(input: &str) -> RuleError {
        let chars: Vec<char> = input.chars().collect();
        tokenize(&chars).unwrap_err()
    }

    #[test]
    fn a_comparison_splits_into_words_dashes_and_values() {
        assert_eq!(
            toks("user.mail -EQ \"a b\""),
            [
                Tok::Word("user.mail".into()),
                Tok::Dash("EQ".into()),
                Tok::Str("a b".into()),
                Tok::End
            ]
        );
        assert_eq!(
            toks("(['x','y'])"),
            [
                Tok::LParen,
                Tok::LBracket,
                Tok::Str("x".into()),
                Tok::Comma,
                Tok::Str("y".into()),
                Tok::RBracket,
                Tok::RParen,
                Tok::End
            ]
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let chars: Vec<char> = "\"日本\" -eq".chars().collect();
        let tokens = tokenize(&chars).unwrap();
        assert_eq!(tokens.iter().map(|t| t.pos).collect::<Vec<_>>(), [1, 6, 9]);
    }

    #[test]
    fn escapes_work_in_both_quote_styles() {
        assert_eq!(toks(r#""a\"b\\c'd""#)[0], Tok::Str(r#"a"b\c'd"#.into()));
        assert_eq!(toks(r#"'a\'b"c\\'"#)[0], Tok::Str(r#"a'b"c\"#.into()));
        assert_eq!(toks("\"\"")[0], Tok::Str(String::new()));
    }

    #[test]
    fn unclosed_values_point_at_their_opening_quote() {
        let e = err("user.mail -eq \"abc");
        assert_eq!(e.position, 15);
        assert!(e.message.contains("never closed"), "{e}");
        assert_eq!(err("x -eq 'abc\\'").position, 7);
    }

    #[test]
    fn unknown_escapes_are_refused_where_they_are() {
        let e = err(r#""DOMAIN\user""#);
        assert_eq!(e.position, 8);
        assert!(e.message.contains("\\u"), "{e}");
    }

    #[test]
    fn symbols_from_other_languages_get_a_hint() {
        assert_eq!(
            err("user.mail == 'a'").to_string(),
            "at character 11: use -eq instead of =="
        );
        assert!(err("a != b").message.contains("-ne"));
        assert!(err("a && b").message.contains("-and"));
        assert!(err("a || b").message.contains("-or"));
        assert!(err("!a").message.contains("-not"));
        assert!(err("a -eq “b”").message.contains("straight quotes"));
        assert_eq!(err("a ; b").to_string(), "at character 3: unexpected character \";\"");
        assert_eq!(err("a - b").position, 3);
    }
}
