//! The browser suite: headless Chromium, driven through chromedriver, against
//! a Baton server started in-process over a fresh database (SQLite, or
//! PostgreSQL when TEST_DATABASE_URL is set). A failing journey leaves a
//! screenshot in `target/browser-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/chromium.sh`);
//! `CHROMEDRIVER` and `CHROMIUM` override their paths.

mod harness;
#[path = "../support/server.rs"]
mod server;

mod lists;
mod moderation;
mod pipeline;
mod queues;
mod roles;
mod sign_in;
