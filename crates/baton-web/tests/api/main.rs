//! The API suite: every test starts real servers on 127.0.0.1:0 over a fresh
//! database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set) and talks
//! to them with a real HTTP client.

mod helpers;
#[path = "../support/server.rs"]
mod server;

mod admin_lists;
mod appointments;
mod bad_input;
mod call_sheets;
mod campaign_pages;
mod entities;
mod forecast_pages;
mod forms;
mod intake;
mod list_pages;
mod models;
mod pages;
mod people_list;
mod queues;
mod refusals;
mod reports;
mod roles;
mod routing;
mod rule_pages;
mod settings;
mod taking_work;
mod tokens;
mod two_servers;
mod webhooks;
mod work_items;
