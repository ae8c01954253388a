//! The Discord adapter, on serenity: the gateway connection that turns
//! messages and slash commands into `Incoming`s for the desk, the backfill that
//! reads what was missed while disconnected, and the sender for the outbox.
//!
//! Only this module (and `adapters/`) names serenity. Invariants: every message
//! the bot posts has empty `allowed_mentions` and an enforced nonce; patron and
//! staff text is escaped; an update is acknowledged (interaction response,
//! read cursor) only after `Desk::handle` has made it durable.

mod backfill;
mod commands;
mod receive;
pub mod render;
mod send;

use std::sync::Arc;

use serenity::all::{ClientBuilder, Context, Event, GatewayIntents, HttpBuilder, Interaction, RawEventHandler};
use tokio::sync::mpsc;

use super::{Shutdown, Started};
use crate::config::DiscordConfig;
use crate::desk::Desk;
pub use send::DiscordSender;

/// The environment variable the daemon reads the bot token from.
pub const TOKEN_VARIABLE: &str = "DISCORD_BOT_TOKEN";

#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    #[error("no Discord bot token: set {TOKEN_VARIABLE}")]
    MissingToken,
    #[error("[discord] api_url {url:?} is not a URL: {reason}")]
    InvalidApiUrl { url: String, reason: String },
    #[error("Discord refused the bot token (HTTP 401); check {TOKEN_VARIABLE}")]
    Unauthorized,
    #[error("cannot reach Discord: {0}")]
    Unreachable(String),
    #[error("cannot set up the Discord client: {0}")]
    Client(String),
}

/// What the gateway delivered, as the receiving loop needs it.
#[derive(Debug)]
enum GatewayEvent {
    /// A new session: the start, or a reconnect that could not resume.
    Ready {
        guilds: Vec<serenity::all::GuildId>,
    },
    /// A reconnect that resumed; Discord replays only part of what was missed.
    Resumed,
    GuildCreate(serenity::all::GuildId),
    Message(Box<serenity::all::Message>),
    Command(Box<serenity::all::CommandInteraction>),
    /// An event serenity could not read (a malformed payload, or a kind it doesn't know).
    Unreadable {
        kind: String,
    },
}

/// Connects to Discord and starts receiving. `token` comes from the
/// environment (`DISCORD_BOT_TOKEN`), never from config.toml.
pub async fn start(
    desk: Arc<Desk>,
    config: DiscordConfig,
    token: String,
    shutdown: Shutdown,
) -> Result<Started, DiscordError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(DiscordError::MissingToken);
    }
    let authorization = if token.starts_with("Bot ") {
        token.to_string()
    } else {
        format!("Bot {token}")
    };
    let mut builder = HttpBuilder::new(&authorization);
    let proxy = match &config.api_url {
        Some(url) => {
            let parsed = reqwest::Url::parse(url).map_err(|error| DiscordError::InvalidApiUrl {
                url: url.clone(),
                reason: error.to_string(),
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(DiscordError::InvalidApiUrl {
                    url: url.clone(),
                    reason: "expected http:// or https://".to_string(),
                });
            }
            let base = url.trim_end_matches('/').to_string();
            // serenity#1739: with a proxy, serenity's ratelimiter still sends to
            // discord.com, so it is disabled; the outbox handles 429s itself.
            builder = builder.proxy(base.clone()).ratelimiter_disabled(true);
            Some(base)
        }
        None => None,
    };
    let http = builder.build();
    // Checks the token before connecting, and learns the bot's own id (to
    // recognise mentions of it and its own messages, also in backfilled history).
    let me = http.get_current_user().await.map_err(|error| match &error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response))
            if response.status_code.as_u16() == 401 =>
        {
            DiscordError::Unauthorized
        }
        _ => DiscordError::Unreachable(error.to_string()),
    })?;
    tracing::info!(bot = %me.id, "Discord token accepted");

    let sender = DiscordSender::new(authorization, proxy).map_err(|error| DiscordError::Client(error.to_string()))?;
    let (events, receiving) = mpsc::unbounded_channel();
    let intents = GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT;
    let mut client = ClientBuilder::new_with_http(http, intents)
        .raw_event_handler(Forwarder { events })
        .await
        .map_err(|error| DiscordError::Client(error.to_string()))?;
    let shared = Arc::new(receive::Shared::new(desk, Arc::clone(&client.http), me.id));
    // Before the gateway connects: a channel's first read position must not be later than the
    // first message the gateway could miss (a channel first read after a drop lost those).
    if let Err(error) = backfill::start_cursors(&shared) {
        tracing::error!(%error, "cannot record the channels' first read positions");
    }
    let shard_manager = Arc::clone(&client.shard_manager);
    let gateway_shutdown = shutdown.clone();
    tokio::spawn(async move {
        // serenity reconnects by itself; `start` returns only on a fatal error
        // (a revoked token, disallowed intents) or after shutdown.
        if let Err(error) = client.start().await
            && !gateway_shutdown.is_cancelled()
        {
            tracing::error!(%error, "the Discord gateway stopped; Discord messages are not received until a restart");
        }
    });
    let receiver = tokio::spawn(receive::run(shared, receiving, shard_manager, shutdown));
    Ok(Started {
        adapter: Arc::new(sender),
        receiver,
    })
}

/// Hands gateway events to the receiving loop. serenity runs each event in a
/// task of its own; the loop handles them one at a time.
struct Forwarder {
    events: mpsc::UnboundedSender<GatewayEvent>,
}

#[serenity::async_trait]
impl RawEventHandler for Forwarder {
    async fn raw_event(&self, _context: Context, event: Event) {
        let event = match event {
            Event::Ready(ready) => GatewayEvent::Ready {
                guilds: ready.ready.guilds.iter().map(|guild| guild.id).collect(),
            },
            Event::Resumed(_) => GatewayEvent::Resumed,
            Event::GuildCreate(create) => GatewayEvent::GuildCreate(create.guild.id),
            Event::MessageCreate(create) => GatewayEvent::Message(Box::new(create.message)),
            Event::InteractionCreate(create) => match create.interaction {
                Interaction::Command(command) => GatewayEvent::Command(Box::new(command)),
                _ => return,
            },
            Event::Unknown(unknown) => GatewayEvent::Unreadable { kind: unknown.kind },
            _ => return,
        };
        // Closed only when the receiving loop has ended (shutdown).
        let _ = self.events.send(event);
    }
}
