//! refdesk: a chat reference desk for public library systems.
//!
//! The library crate holds the platform-neutral core: the knowledge base and
//! its loader, the answer engine, evaluation and checks. Platform adapters
//! live in `adapters/` and are the only code that names a chat platform's crate.

pub mod adapters;
pub mod chat;
pub mod check;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod desk;
pub mod engine;
pub mod eval;
pub mod knowledge;
pub mod outbox;
pub mod report;
pub mod status;
pub mod store;
