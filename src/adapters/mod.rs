//! Platform adapters: the only code that names a chat platform's crate. Each
//! converts platform updates into `chat::Incoming` for `Desk::handle` and
//! implements `chat::Adapter` to send the outbox's messages.

pub mod terminal;
