//! Splits a `$filter` into tokens, each with the 1-based character position
//! where it starts. A character that cannot start a token ends the list
//! with [`Tok::Bad`], so the parser reports the first problem in reading
//! order: `otherMails/any(x:x eq 'a')` is refused for its lambda, not for
//! the colon inside it.

use super::QueryError;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    Comma,
    /// A name or keyword: `displayName`, `eq`, `startswith`, `true`,
    /// `otherMails/any`.
    Word(String),
    /// A quoted string, `''` resolved to `'`.
    Str(String),
    /// Something starting with a digit, as typed: a DateTimeOffset such as
    /// `2024-01-01T00:00:00Z`, or a number.
    Literal(String),
    /// What could not be read here, and why.
    Bad(QueryError),
    End,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    /// 1-based character position of the token's first character.
    pub pos: usize,
}

impl Tok {
    /// How a message names this token.
    pub fn describe(&self) -> String {
        match self {
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Word(w) | Tok::Literal(w) => format!("'{}'", super::shorten(w, 40)),
            Tok::Str(s) => format!("the string '{}'", super::shorten(&s.replace('\'', "''"), 40)),
            Tok::Bad(_) => "an unreadable character".into(),
            Tok::End => "the end of the filter".into(),
        }
    }

    /// The word `keyword`, in any case.
    pub fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.')
}

fn is_literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '+' | '-')
}

/// The tokens of `chars`, ending with [`Tok::End`] or [`Tok::Bad`].
pub(super) fn tokenize(chars: &[char]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        let scan = |from: usize, ok: fn(char) -> bool| from + chars[from..].iter().take_while(|c| ok(**c)).count();
        let (tok, next) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            ',' => (Tok::Comma, i + 1),
            '\'' => match string(chars, i) {
                Ok(found) => found,
                Err(e) => {
                    out.push(Token { tok: Tok::Bad(e), pos });
                    return out;
                }
            },
            c if is_word_start(c) => {
                let end = scan(i, is_word_char);
                (Tok::Word(chars[i..end].iter().collect()), end)
            }
            c if c.is_ascii_digit() => {
                let end = scan(i, is_literal_char);
                (Tok::Literal(chars[i..end].iter().collect()), end)
            }
            _ => {
                out.push(Token {
                    tok: Tok::Bad(unexpected(chars, i)),
                    pos,
                });
                return out;
            }
        };
        out.push(Token { tok, pos });
        i = next;
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len() + 1,
    });
    out
}

/// The string opening at `start`, and the index after its closing quote.
/// Inside, `''` stands for one quote; nothing else is special.
fn string(chars: &[char], start: usize) -> Result<(Tok, usize), QueryError> {
    let mut value = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                value.push('\'');
                i += 2;
                continue;
            }
            return Ok((Tok::Str(value), i + 1));
        }
        value.push(chars[i]);
        i += 1;
    }
    Err(QueryError::syntax(
        start + 1,
        "the string opened here is never closed (end it with ', and write a quote inside it as '')",
    ))
}

fn unexpected(chars: &[char], i: usize) -> QueryError {
    let next = chars.get(i + 1).copied();
    let detail = match (chars[i], next) {
        ('"', _) => "strings are written in single quotes, like 'Guest'".to_owned(),
        ('“' | '”' | '„' | '‘' | '’', _) => {
            "curly quotes are not understood: use straight single quotes".to_owned()
        }
        ('=', Some('=')) => "use eq instead of ==".to_owned(),
        ('=', _) => "use eq instead of =".to_owned(),
        ('!', Some('=')) => "use ne instead of !=".to_owned(),
        ('<', Some('>')) => "use ne instead of <>".to_owned(),
        ('!', _) => "use not instead of !".to_owned(),
        ('&', _) => "use and instead of &".to_owned(),
        ('|', _) => "use or instead of |".to_owned(),
        ('>', Some('=')) => "use ge instead of >=".to_owned(),
        ('<', Some('=')) => "use le instead of <=".to_owned(),
        ('>', _) => "use gt instead of >".to_owned(),
        ('<', _) => "use lt instead of <".to_owned(),
        (c, _) => format!("unexpected character '{}'", c.escape_debug()),
    };
    QueryError::syntax(i + 1, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(input: &str) -> Vec<Tok> {
        let chars: Vec<char> = input.chars().collect();
        tokenize(&chars).into_iter().map(|t| t.tok).collect()
    }

    fn bad(input: &str) -> (usize, String) {
        let chars: Vec<char> = input.chars().collect();
        let last = tokenize(&chars).pop().unwrap();
        match last.tok {
            Tok::Bad(e) => (last.pos, e.message().to_owned()),
            other => panic!("{input}: ends with {other:?}"),
        }
    }

    #[test]
    fn a_clause_splits_into_words_strings_and_literals() {
        assert_eq!(
            toks("startsWith(displayName,'a b') or createdDateTime ge 2024-01-01T00:00:00+02:00"),
            [
                Tok::Word("startsWith".into()),
                Tok::LParen,
                Tok::Word("displayName".into()),
                Tok::Comma,
                Tok::Str("a b".into()),
                Tok::RParen,
                Tok::Word("or".into()),
                Tok::Word("createdDateTime".into()),
                Tok::Word("ge".into()),
                Tok::Literal("2024-01-01T00:00:00+02:00".into()),
                Tok::End,
            ]
        );
        assert_eq!(toks("otherMails/any"), [Tok::Word("otherMails/any".into()), Tok::End]);
    }

    #[test]
    fn doubled_quotes_stand_for_one() {
        assert_eq!(toks("'O''Brien'")[0], Tok::Str("O'Brien".into()));
        assert_eq!(toks("''")[0], Tok::Str(String::new()));
        assert_eq!(toks("''''")[0], Tok::Str("'".into()));
        assert_eq!(toks("'a\\b'")[0], Tok::Str("a\\b".into()));
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let chars: Vec<char> = "'日本' eq x".chars().collect();
        let positions: Vec<usize> = tokenize(&chars).iter().map(|t| t.pos).collect();
        assert_eq!(positions, [1, 6, 9, 10]);
    }

    #[test]
    fn an_unclosed_string_is_reported_where_it_opens() {
        let (pos, message) = bad("mail eq 'abc");
        assert_eq!(pos, 9);
        assert!(message.contains("never closed"), "{message}");
        assert!(message.ends_with("at position 9."), "{message}");
        assert_eq!(bad("mail eq 'it''s").0, 9);
        assert_eq!(bad("'").0, 1);
    }

    #[test]
    fn symbols_from_other_languages_get_a_hint() {
        assert_eq!(
            bad("mail == 'a'"),
            (6, "Invalid filter clause: use eq instead of == at position 6.".into())
        );
        assert!(bad("a != b").1.contains("use ne"));
        assert!(bad("a <> b").1.contains("use ne"));
        assert!(bad("a >= b").1.contains("use ge"));
        assert!(bad("a && b").1.contains("use and"));
        assert!(bad("a || b").1.contains("use or"));
        assert!(bad("mail eq \"a\"").1.contains("single quotes"));
        assert!(bad("mail eq ‘a’").1.contains("curly quotes"));
        assert!(bad("a ; b").1.contains("unexpected character ';'"));
        assert!(bad("a \u{0} b").1.contains("'\\0'"));
    }

    #[test]
    fn reading_stops_at_the_first_unreadable_character() {
        assert_eq!(
            toks("otherMails/any(x:x eq 'a')"),
            [
                Tok::Word("otherMails/any".into()),
                Tok::LParen,
                Tok::Word("x".into()),
                Tok::Bad(QueryError::syntax(17, "unexpected character ':'")),
            ]
        );
    }
}
