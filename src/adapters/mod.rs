//! Platform adapters: the only code that names a chat platform's crate. Each
//! converts platform updates into `chat::Incoming` for `Desk::handle` and
//! implements `chat::Adapter` to send the outbox's messages.
//!
//! Every platform module offers the same entry point, called by the daemon:
//! `start(desk, config, token, shutdown) -> Result<Started, _>`, which connects,
//! spawns the receiving loop and returns the sending half for the outbox.

#[cfg(feature = "discord")]
pub mod discord;
pub mod terminal;

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::chat::Adapter;

/// A running platform connection.
pub struct Started {
    /// The sending half, handed to the outbox sender.
    pub adapter: Arc<dyn Adapter>,
    /// The receiving loop; it ends after the shutdown token is cancelled and
    /// every update already received has been handled.
    pub receiver: JoinHandle<()>,
}

/// Cancelled once, by the daemon, to stop taking new updates.
pub type Shutdown = tokio_util::sync::CancellationToken;
