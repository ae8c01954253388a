//! Platform adapters: the only code that names a chat platform's crate. Each
//! converts platform updates into `chat::Incoming` for `Desk::handle` and
//! implements `chat::Adapter` to send the outbox's messages.
//!
//! Every platform module offers the same entry point, called by the daemon:
//! `start(desk, config, token, shutdown) -> Result<Started, _>`, which connects,
//! spawns the receiving loop and returns the sending half for the outbox.

#[cfg(feature = "discord")]
pub mod discord;
#[cfg(feature = "telegram")]
pub mod telegram;
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

/// Starts every platform that has both a config section and a token.
/// A platform that fails to connect stops startup with its reason.
pub async fn start_configured(
    desk: Arc<crate::desk::Desk>,
    config: &crate::config::Config,
    tokens: &crate::daemon::Tokens,
    shutdown: Shutdown,
) -> Result<Vec<Started>, (crate::chat::Platform, String)> {
    #[cfg_attr(not(any(feature = "telegram", feature = "discord")), allow(unused_mut))]
    let mut started = Vec::new();
    #[cfg(feature = "telegram")]
    match (&config.telegram, &tokens.telegram) {
        (Some(telegram_config), Some(token)) => {
            let running = telegram::start(
                Arc::clone(&desk),
                telegram_config.clone(),
                token.clone(),
                shutdown.clone(),
            )
            .await
            .map_err(|error| (crate::chat::Platform::Telegram, error.to_string()))?;
            started.push(running);
        }
        (None, Some(_)) => {
            tracing::warn!("TELEGRAM_BOT_TOKEN is set but the config has no [telegram] section; Telegram is off");
        }
        _ => {}
    }
    #[cfg(feature = "discord")]
    match (&config.discord, &tokens.discord) {
        (Some(discord_config), Some(token)) => {
            let running = discord::start(
                Arc::clone(&desk),
                discord_config.clone(),
                token.clone(),
                shutdown.clone(),
            )
            .await
            .map_err(|error| (crate::chat::Platform::Discord, error.to_string()))?;
            started.push(running);
        }
        (None, Some(_)) => {
            tracing::warn!("DISCORD_BOT_TOKEN is set but the config has no [discord] section; Discord is off");
        }
        _ => {}
    }
    let _ = (desk, config, tokens, shutdown);
    Ok(started)
}
