//! Baton's domain, free of I/O: the types that parse their input and the
//! decisions made on every inquiry (moderation, triage, scoring, routing),
//! SLA arithmetic in business hours, and parsing of imported files.

pub mod accountability;
pub mod auth;
pub mod calendar;
pub mod call_sheet;
pub mod charter;
pub mod decision;
pub mod domain;
pub mod export;
pub mod ical;
pub mod import;
pub mod inquiry;
pub mod intake;
pub mod learn;
pub mod lists;
pub mod moderation;
pub mod money;
pub mod routing;
pub mod scoring;
pub mod sla;
pub mod slug;
pub mod text;
pub mod triage;
