//! File formats the portal reads and writes, below every layer that uses
//! them: CSV (`rfc4180`) for Bulk invite's template and results and the
//! audit log export.

pub mod rfc4180;
