//! Export CSV of a log (audit, sign-in) with the page's filters: RFC 4180
//! text streamed a page of rows at a time, so a large range neither waits
//! for the whole result nor holds it in memory (nor a pooled connection
//! between pages). Cells a spreadsheet would read as a formula are
//! neutralised by `write_record`.

use std::future::Future;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use futures_util::stream;

use crate::format::rfc4180::write_record;
use crate::store::Db;

/// Rows read by key and sent as one body chunk.
const CHUNK_ROWS: i64 = 1_000;

/// One log's export: its columns, how to read the rows after the current
/// key (moving the key on), and how to write a row.
pub trait LogExport: 'static {
    type Row;
    /// Entra's column names where it has the column.
    const HEADER: &'static [&'static str];
    /// What the server log says when the export stops.
    const NAME: &'static str;

    /// Up to `limit` rows after the key, newest first; the key moves past them.
    fn next_rows(&mut self, db: &Db, limit: i64) -> impl Future<Output = sqlx::Result<Vec<Self::Row>>>;

    fn write_row(out: &mut String, row: &Self::Row);
}

/// The streamed CSV response, as `filename`.
pub fn csv_response<E: LogExport>(db: Db, export: E, filename: &str) -> HttpResponse {
    let cursor = Cursor {
        db,
        export,
        started: false,
    };
    let body = stream::unfold(Some(cursor), |cursor| async move {
        let mut cursor = cursor?;
        match cursor.next_chunk().await {
            Ok(Some((bytes, more))) => Some((Ok(bytes), more.then_some(cursor))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "{} export stopped", E::NAME);
                Some((Err(actix_web::error::ErrorInternalServerError("export failed")), None))
            }
        }
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

struct Cursor<E> {
    db: Db,
    export: E,
    started: bool,
}

impl<E: LogExport> Cursor<E> {
    /// The next chunk (the header row comes with the first) and whether
    /// more may follow; `None` when nothing is left to send.
    async fn next_chunk(&mut self) -> Result<Option<(Bytes, bool)>, sqlx::Error> {
        let rows = self.export.next_rows(&self.db, CHUNK_ROWS).await?;
        if rows.is_empty() && self.started {
            return Ok(None);
        }
        let mut out = String::with_capacity(rows.len() * 160 + 128);
        if !self.started {
            write_record(&mut out, E::HEADER.iter().copied());
            self.started = true;
        }
        for row in &rows {
            E::write_row(&mut out, row);
        }
        Ok(Some((Bytes::from(out), rows.len() as i64 == CHUNK_ROWS)))
    }
}

/// An optional cell.
pub fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// A time as RFC 3339, UTC.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}
