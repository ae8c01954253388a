//! The Discord adapter against a fake Discord (REST and gateway), with the
//! real desk, store and outbox.

mod conversation;
mod delivery;
mod fake;
mod gateway;
mod helpers;
mod safety;
