//! The Telegram adapter against a fake Bot API server: the real desk with a
//! temporary store and the bundled knowledge, the real outbox, and teloxide
//! talking HTTP to `fake.rs`. Tests assert on what the fake received.

mod conversation;
mod crash;
mod delivery;
mod fake;
mod formatting;
mod helpers;
mod robustness;
