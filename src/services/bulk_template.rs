//! Entra's bulk invite template, read as Entra reads it: row 1 is the
//! version row (`version:v1.0`), row 2 the headings, each naming its
//! property in brackets (`Email address to invite [inviteeEmail] Required`),
//! then one guest per row. Columns are found by their bracketed property
//! names, in any order; other columns are ignored. The template's examples
//! row must be removed. And the results file: row, email, status, reason.

use crate::format::rfc4180;
use crate::services::bulk_invite::{BulkRow, MAX_FILE_BYTES, MAX_ROWS, RowResult};

pub const VERSION: &str = "version:v1.0";

/// The columns Vestibule reads, by property name.
pub mod columns {
    pub const EMAIL: &str = "inviteeEmail";
    pub const REDIRECT: &str = "inviteRedirectURL";
    pub const SEND: &str = "sendEmail";
    pub const MESSAGE: &str = "customizedMessageBody";
    pub const NAME: &str = "inviteeName";
}
use columns::{EMAIL, MESSAGE, NAME, REDIRECT, SEND};

/// The template Bulk invite offers for download: the version row, the
/// headings (Entra's four, then the invitee's name) and Entra's examples
/// row, which must be removed before the file is uploaded.
pub const TEMPLATE: &str = "version:v1.0\r\n\
Email address to invite [inviteeEmail] Required,Redirection url [inviteRedirectURL] Required,\
Send invitation message (true or false) [sendEmail],Customized invitation message \
[customizedMessageBody],Name of invitee [inviteeName]\r\n\
Example: guest@fabrikam.example,https://myapps.microsoft.com,true,Welcome to our organization,Grace Hopper\r\n";

/// Where each known column is.
#[derive(Default)]
struct Columns {
    email: usize,
    redirect: Option<usize>,
    send: Option<usize>,
    message: Option<usize>,
    name: Option<usize>,
}

/// The rows of a filled-in template, or why the file cannot be used.
pub fn read(text: &str) -> Result<Vec<BulkRow>, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "The file is larger than {} MB: split it into several files.",
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    read_records(rfc4180::records(text))
}

/// The rows of a template, read record by record: reading stops at the
/// first unusable record or at the first guest past the cap, so a huge
/// file is never held as a huge list.
fn read_records(mut records: impl Iterator<Item = Result<rfc4180::Record, String>>) -> Result<Vec<BulkRow>, String> {
    check_version(records.next().transpose()?)?;
    let columns = columns(records.next().transpose()?)?;
    let mut rows = Vec::new();
    let mut first = true;
    for record in records {
        let record = record?;
        if record.is_blank() {
            continue;
        }
        if first && is_examples_row(&record) {
            return Err(format!(
                "Row {} is the template's examples row: remove it, keep rows 1 and 2 as they are, \
                 and list one guest per row below them.",
                record.number
            ));
        }
        first = false;
        if rows.len() == MAX_ROWS {
            return Err(too_many_rows());
        }
        rows.push(row(&record, &columns));
    }
    if rows.is_empty() {
        return Err("The file has no guests to invite: list one per row under the headings.".into());
    }
    Ok(rows)
}

fn too_many_rows() -> String {
    format!("The file has more than {MAX_ROWS} guests: split it into several files.")
}

fn check_version(record: Option<rfc4180::Record>) -> Result<(), String> {
    let first = record.as_ref().map(|r| r.get(0).trim()).unwrap_or("");
    let rest_blank = record
        .as_ref()
        .is_none_or(|r| r.fields.iter().skip(1).all(|f| f.trim().is_empty()));
    if first.eq_ignore_ascii_case(VERSION) && rest_blank {
        return Ok(());
    }
    if first.to_ascii_lowercase().starts_with("version:") {
        return Err(format!(
            "Row 1 says {first}; Vestibule reads the template of {VERSION}: download the bulk invite \
             template again."
        ));
    }
    Err(format!(
        "Row 1 must be the template's version row, {VERSION}: keep the first two rows of the bulk \
         invite template as they are."
    ))
}

/// The property named in brackets in a heading, if any.
fn property(heading: &str) -> Option<&str> {
    let start = heading.find('[')? + 1;
    let end = heading[start..].find(']')? + start;
    Some(heading[start..end].trim())
}

fn columns(record: Option<rfc4180::Record>) -> Result<Columns, String> {
    let record = record.ok_or(
        "Row 2 must hold the template's column headings, such as \
        Email address to invite [inviteeEmail] Required.",
    )?;
    let mut email = None;
    let mut columns = Columns::default();
    for (i, heading) in record.fields.iter().enumerate() {
        let Some(name) = property(heading) else { continue };
        let slot = if name.eq_ignore_ascii_case(EMAIL) {
            &mut email
        } else if name.eq_ignore_ascii_case(REDIRECT) {
            &mut columns.redirect
        } else if name.eq_ignore_ascii_case(SEND) {
            &mut columns.send
        } else if name.eq_ignore_ascii_case(MESSAGE) {
            &mut columns.message
        } else if name.eq_ignore_ascii_case(NAME) {
            &mut columns.name
        } else {
            continue;
        };
        if slot.is_some() {
            return Err(format!("Row 2 has two [{name}] columns: keep one."));
        }
        *slot = Some(i);
    }
    columns.email = email.ok_or(
        "Row 2, the headings, has no Email address to invite [inviteeEmail] column: keep the first \
         two rows of the bulk invite template as they are.",
    )?;
    Ok(columns)
}

/// The template's examples row: Entra marks its first cell "Example:".
fn is_examples_row(record: &rfc4180::Record) -> bool {
    record
        .fields
        .iter()
        .map(|f| f.trim().to_ascii_lowercase())
        .find(|f| !f.is_empty())
        .is_some_and(|f| f == "example" || f.starts_with("example:") || f.starts_with("examples:"))
}

fn row(record: &rfc4180::Record, columns: &Columns) -> BulkRow {
    let cell = |i: Option<usize>| i.map(|i| record.get(i).to_owned()).unwrap_or_default();
    let mut row = BulkRow {
        row: record.number,
        email: record.get(columns.email).to_owned(),
        display_name: cell(columns.name),
        redirect_url: my_apps_or(cell(columns.redirect)),
        send_message: true,
        message: cell(columns.message),
        error: None,
    };
    match cell(columns.send).trim().to_ascii_lowercase().as_str() {
        "" | "true" | "yes" | "1" => {}
        "false" | "no" | "0" => row.send_message = false,
        other => row.error = Some(format!("Send invitation message must be true or false, not {other:?}.")),
    }
    row
}

/// Entra's My Apps addresses, which files written for Entra carry, mean
/// this portal's My Apps.
fn my_apps_or(url: String) -> String {
    let host = url::Url::parse(url.trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    match host.as_deref() {
        Some("myapps.microsoft.com" | "myapplications.microsoft.com") => String::new(),
        _ => url,
    }
}

/// The results file: one line per row of the file, in its order.
pub fn results_csv(rows: &[RowResult]) -> String {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    rfc4180::write_record(&mut out, ["row", "email", "status", "reason"]);
    for r in rows {
        let number = r.row.to_string();
        rfc4180::write_record(&mut out, [number.as_str(), &r.email, r.status_label(), r.reason()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADINGS: &str = "Email address to invite [inviteeEmail] Required,Redirection url [inviteRedirectURL] \
        Required,Send invitation message (true or false) [sendEmail],Customized invitation message \
        [customizedMessageBody]";

    fn file(rows: &[&str]) -> String {
        let mut text = format!("{VERSION}\r\n{HEADINGS}\r\n");
        for r in rows {
            text.push_str(r);
            text.push_str("\r\n");
        }
        text
    }

    #[test]
    fn the_template_reads_row_by_row() {
        let rows = read(&file(&[
            "grace@fabrikam.example,https://apps.fabrikam.example,true,\"Welcome, Grace\"",
            "",
            "alan@fabrikam.example,https://myapps.microsoft.com/?tenantid=x,false,",
            "ada@fabrikam.example,,,",
        ]))
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].row, 3);
        assert_eq!(rows[0].email, "grace@fabrikam.example");
        assert_eq!(rows[0].redirect_url, "https://apps.fabrikam.example");
        assert!(rows[0].send_message);
        assert_eq!(rows[0].message, "Welcome, Grace");
        assert_eq!(rows[1].row, 5, "the blank row still counts");
        assert_eq!(rows[1].redirect_url, "", "Entra's My Apps is this portal's");
        assert!(!rows[1].send_message);
        assert!(rows[2].send_message, "an empty flag sends the message");
    }

    #[test]
    fn columns_are_found_by_property_in_any_order_and_others_ignored() {
        let text = "version:v1.0,,\nNotes [notes],Name of invitee [inviteeName],Email [inviteeEmail] Required\n\
            a note,Grace Hopper,grace@fabrikam.example\n";
        let rows = read(text).unwrap();
        assert_eq!(rows[0].email, "grace@fabrikam.example");
        assert_eq!(rows[0].display_name, "Grace Hopper");
        assert_eq!(rows[0].redirect_url, "");
    }

    #[test]
    fn an_unusable_file_says_why() {
        let no_version = format!("{HEADINGS}\ngrace@fabrikam.example,,,\n");
        assert!(read(&no_version).unwrap_err().contains("version row"));
        let other_version = file(&["g@fabrikam.example"]).replace(VERSION, "version:v2.0");
        assert!(read(&other_version).unwrap_err().contains("version:v2.0"));
        let no_email = "version:v1.0\nRedirection url [inviteRedirectURL] Required\nhttps://x.example\n";
        assert!(read(no_email).unwrap_err().contains("[inviteeEmail]"));
        let examples = file(&[
            "Example:,https://myapps.microsoft.com,true,Hello",
            "g@fabrikam.example,,,",
        ]);
        assert!(read(&examples).unwrap_err().contains("examples row"));
        assert!(
            read(&file(&["\"g@fabrikam.example,,,"]))
                .unwrap_err()
                .contains("never closed")
        );
        assert!(read(&file(&[])).unwrap_err().contains("no guests"));
        assert!(
            read(&file(&["g@fabrikam.example,,maybe,"])).unwrap()[0]
                .error
                .as_deref()
                .unwrap()
                .contains("true or false")
        );
    }

    fn record(number: usize, cells: &[&str]) -> Result<rfc4180::Record, String> {
        Ok(rfc4180::Record {
            number,
            fields: cells.iter().map(|c| (*c).to_owned()).collect(),
        })
    }

    #[test]
    fn reading_stops_at_the_first_guest_past_the_cap() {
        // Ten times the cap, with a blank line after every guest: the reader
        // must take the guests up to one past the cap and not a record more.
        let pulled = std::cell::Cell::new(0usize);
        let guests = (0..MAX_ROWS * 20).map(|i| {
            pulled.set(pulled.get() + 1);
            if i % 2 == 1 {
                record(i + 3, &["", " ", ""])
            } else {
                record(i + 3, &["guest@fabrikam.example"])
            }
        });
        let head = [record(1, &[VERSION]), record(2, &[HEADINGS])];
        let err = read_records(head.into_iter().chain(guests)).unwrap_err();
        assert_eq!(err, too_many_rows());
        assert_eq!(
            pulled.get(),
            2 * MAX_ROWS + 1,
            "{MAX_ROWS} guests and their blank lines, then the guest past the cap"
        );
    }

    #[test]
    fn a_file_over_the_cap_is_refused_before_the_rest_is_parsed() {
        let mut text = file(&[]);
        for _ in 0..=MAX_ROWS {
            text.push_str("g@fabrikam.example\r\n,,,\r\n");
        }
        // An error after the cap is never reached: the cap is what is reported.
        text.push_str("\"never closed\r\n");
        assert_eq!(read(&text).unwrap_err(), too_many_rows());
        assert!(
            read(&text.replacen("g@fabrikam.example\r\n", "", 1))
                .unwrap_err()
                .contains("never closed")
        );
    }

    #[test]
    fn the_downloaded_template_reads_once_its_examples_row_is_replaced() {
        assert!(read(TEMPLATE).unwrap_err().contains("examples row"));
        let lines: Vec<&str> = TEMPLATE.split("\r\n").collect();
        let filled = format!(
            "{}\r\n{}\r\ngrace@fabrikam.example,,true,Hello,Grace\r\n",
            lines[0], lines[1]
        );
        let rows = read(&filled).unwrap();
        assert_eq!(rows[0].email, "grace@fabrikam.example");
        assert_eq!(rows[0].display_name, "Grace");
    }

    #[test]
    fn results_are_csv() {
        let rows = [RowResult {
            row: 3,
            email: "=evil@fabrikam.example".into(),
            status: crate::services::bulk_invite::RowStatus::Failed("Bad, very bad.".into()),
            errors: Vec::new(),
        }];
        assert_eq!(
            results_csv(&rows),
            "row,email,status,reason\r\n3,'=evil@fabrikam.example,Failed,\"Bad, very bad.\"\r\n"
        );
    }
}
