//! Baton's storage: one [`Db`] over SQLite and PostgreSQL.
//!
//! Queries are written once with `$1` placeholders, which both backends accept,
//! and run through sqlx's `Any` driver; the few statements where the dialects
//! differ ask [`Db::backend`]. Times are stored as UTC milliseconds, money as
//! integer minor units.

// Rows are read as tuples that mirror their SELECT lists.
#![allow(clippy::type_complexity)]

pub mod accounts;
pub mod activities;
pub mod appointments;
pub mod call_sheets;
pub mod campaigns;
pub mod charter;
mod checks;
mod connect;
pub mod contacts;
pub mod dashboard;
pub mod demo;
pub mod error;
pub mod forecasts;
pub mod forms;
pub mod import;
pub mod intake;
pub mod large_company;
pub mod leads;
pub mod leases;
pub mod listing;
mod migrate;
pub mod models;
pub mod opportunities;
pub mod queues;
pub mod reports;
pub mod settings;
mod sql;
pub mod teams;
pub mod testing;
pub mod training;
pub mod users;
pub mod webhooks;
pub mod work_items;

pub use connect::{Backend, Db, DbOptions};
pub use error::{DbError, Result};

/// Now, as stored: UTC milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
