//! CSV as RFC 4180 describes it: fields separated by commas, records by
//! line breaks (CRLF, or LF as most tools also write), a field in double
//! quotes may hold commas, line breaks and doubled quotes. Reading is
//! strict where a mistake would shift columns (an unclosed quote, text
//! after a closing quote) and lenient where spreadsheets differ (a UTF-8
//! byte order mark, a missing final line break, a quote inside an
//! unquoted field). Writing neutralises cells a spreadsheet would run as
//! a formula.

/// One record, numbered as a spreadsheet numbers rows (from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub number: usize,
    pub fields: Vec<String>,
}

impl Record {
    /// True for a line with nothing in it (spreadsheets leave them).
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }

    /// The field at `index`, or "" past the end of a short record.
    pub fn get(&self, index: usize) -> &str {
        self.fields.get(index).map(String::as_str).unwrap_or("")
    }
}

/// No file this portal reads has more columns; a line of millions of
/// commas is refused instead of becoming millions of fields.
pub const MAX_FIELDS: usize = 1_000;

/// Reads every record of `text`.
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    records(text).collect()
}

/// The records of `text`, read one at a time, so a reader that has seen
/// enough can stop without the rest being parsed. After an error there
/// are no more records.
pub fn records(text: &str) -> Records<'_> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Records {
        chars: text.chars().peekable(),
        line: 1,
        number: 1,
        done: false,
    }
}

pub struct Records<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    /// The current line (a quoted field may span several).
    line: usize,
    /// The number of the next record.
    number: usize,
    done: bool,
}

impl Records<'_> {
    fn fail(&mut self, message: String) -> Option<Result<Record, String>> {
        self.done = true;
        Some(Err(message))
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Record, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let number = self.number;
        let mut fields = Vec::new();
        let mut field = String::new();
        // At the start of a field, nothing read yet.
        let mut fresh = true;
        while let Some(c) = self.chars.next() {
            match c {
                '"' if fresh => {
                    let opened_on = self.line;
                    loop {
                        match self.chars.next() {
                            Some('"') if self.chars.peek() == Some(&'"') => {
                                self.chars.next();
                                field.push('"');
                            }
                            Some('"') => break,
                            Some(c) => {
                                if c == '\n' {
                                    self.line += 1;
                                }
                                field.push(c);
                            }
                            None => {
                                return self.fail(format!(
                                    "Row {number}: the quoted field that starts on line {opened_on} is never closed."
                                ));
                            }
                        }
                    }
                    match self.chars.peek() {
                        None | Some(',' | '\n' | '\r') => {}
                        Some(_) => {
                            return self.fail(format!(
                                "Row {number}: a quoted field must end at its closing quote; \
                                 double any quote inside it (\"\")."
                            ));
                        }
                    }
                    fresh = false;
                }
                ',' => {
                    if fields.len() + 1 == MAX_FIELDS {
                        return self.fail(format!("Row {number} has more than {MAX_FIELDS} columns."));
                    }
                    fields.push(std::mem::take(&mut field));
                    fresh = true;
                }
                '\r' | '\n' => {
                    if c == '\r' && self.chars.peek() == Some(&'\n') {
                        self.chars.next();
                    }
                    fields.push(field);
                    self.line += 1;
                    self.number += 1;
                    return Some(Ok(Record { number, fields }));
                }
                c => {
                    field.push(c);
                    fresh = false;
                }
            }
        }
        self.done = true;
        if !fresh || !field.is_empty() || !fields.is_empty() {
            fields.push(field);
            return Some(Ok(Record { number, fields }));
        }
        None
    }
}

/// One CSV record ending with CRLF.
pub fn write_record<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_cell(out, cell);
    }
    out.push_str("\r\n");
}

/// A field per RFC 4180: quoted (quotes doubled) when it holds a comma, a
/// quote or a line break. A value a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a
/// leading `'` so it is shown as text (OWASP's advice on CSV injection).
fn write_cell(out: &mut String, value: &str) {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = value.contains([',', '"', '\n', '\r']);
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    if quoted {
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    fn record(cells: &[&str]) -> String {
        let mut out = String::new();
        write_record(&mut out, cells.iter().copied());
        out
    }

    #[test]
    fn records_end_with_crlf_or_lf_and_the_last_break_is_optional() {
        assert_eq!(fields("a,b\r\nc,d\r\n"), [["a", "b"], ["c", "d"]]);
        assert_eq!(fields("a,b\nc,d"), [["a", "b"], ["c", "d"]]);
        assert_eq!(fields("a,,\n"), [vec!["a", "", ""]]);
        assert_eq!(fields(""), Vec::<Vec<String>>::new());
    }

    #[test]
    fn quoted_fields_hold_commas_quotes_and_line_breaks() {
        assert_eq!(
            fields("\"x,y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\nnext"),
            [vec!["x,y", "say \"hi\"", "two\r\nlines"], vec!["next"]]
        );
        assert_eq!(fields("\"\",b"), [["", "b"]]);
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_numbers_them() {
        let records = parse("a\n\"multi\nline\"\n\nlast\n").unwrap();
        let numbers: Vec<usize> = records.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert!(records[2].is_blank());
        assert_eq!(records[3].get(0), "last");
        assert_eq!(records[3].get(5), "");
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        assert_eq!(fields("\u{feff}version:v1.0\n"), [["version:v1.0"]]);
    }

    #[test]
    fn an_unclosed_quote_or_text_after_a_closing_quote_is_refused() {
        let err = parse("a\n\"never closed,b\n").unwrap_err();
        assert!(err.contains("Row 2") && err.contains("never closed"), "{err}");
        let err = parse("\"closed\" then text,b\n").unwrap_err();
        assert!(err.contains("Row 1") && err.contains("closing quote"), "{err}");
    }

    #[test]
    fn records_are_read_one_at_a_time_and_end_at_an_error() {
        let mut records = records("a\nb\n\"never closed\nc\n");
        assert_eq!(records.next().unwrap().unwrap().fields, ["a"]);
        assert_eq!(records.next().unwrap().unwrap().fields, ["b"]);
        assert!(records.next().unwrap().unwrap_err().contains("Row 3"));
        assert!(records.next().is_none());
    }

    #[test]
    fn a_record_of_too_many_columns_is_refused() {
        let wide = ",".repeat(MAX_FIELDS - 1);
        assert_eq!(parse(&wide).unwrap()[0].fields.len(), MAX_FIELDS);
        let err = parse(&format!("a\n{wide},")).unwrap_err();
        assert_eq!(err, format!("Row 2 has more than {MAX_FIELDS} columns."));
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_kept() {
        assert_eq!(fields("say \"hi\",b"), [["say \"hi\"", "b"]]);
    }

    #[test]
    fn what_is_written_reads_back() {
        let cells = ["plain", "x,y", "say \"hi\"", "two\r\nlines", ""];
        assert_eq!(fields(&record(&cells)), [cells]);
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(record(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(
            record(&["x,y", "say \"hi\"", "two\nlines"]),
            "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            record(&["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "a=b"]),
            "\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),'\tx,a=b\r\n"
        );
        assert_eq!(record(&["\r=1"]), "\"'\r=1\"\r\n");
    }
}
