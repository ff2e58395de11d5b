//! Parsing of files that bring inquiries in bulk: CSV exports and e-mail.

pub mod csv;
pub mod email;
pub mod mapping;
pub mod quotes;
