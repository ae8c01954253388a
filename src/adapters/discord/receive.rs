//! The receiving loop: converts Discord messages and slash commands into
//! `Incoming`s, hands them to the desk one at a time, and only then
//! acknowledges them (the interaction response, the channel's read cursor).

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

use serenity::all::{
    ChannelId, CommandInteraction, CreateAllowedMentions, CreateInteractionResponse, CreateInteractionResponseMessage,
    GuildId, Http, Message, MessageId, MessageType, ShardManager, UserId,
};
use tokio::sync::{Notify, mpsc};

use super::GatewayEvent;
use super::{backfill, commands};
use crate::adapters::Shutdown;
use crate::chat::{ChatKind, ChatRef, Incoming, Platform, UserRef};
use crate::desk::{Desk, DeskError, Handled};

/// State shared by the receiving loop and the backfill worker.
pub(super) struct Shared {
    pub desk: Arc<Desk>,
    pub http: Arc<Http>,
    pub bot: UserId,
    /// Configured Discord channels (staff and branch channels), whose history
    /// is backfilled after a reconnect.
    pub tracked: BTreeSet<ChannelId>,
    /// Staff channels: every reply or command there is for the desk.
    staff: HashSet<ChannelId>,
    /// Channels whose cursor must not move until the next backfill, because
    /// handling one of their messages failed.
    held: Mutex<HashSet<ChannelId>>,
    registered: Mutex<HashSet<GuildId>>,
}

/// Where a message came from, which decides whether it is a direct chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The gateway: a message without a guild is a DM.
    Live,
    /// A tracked guild channel's history (REST messages carry no guild id).
    Backfill,
    /// A patron's DM channel's history: direct, though REST messages don't say so.
    DirectHistory,
}

impl Shared {
    pub fn new(desk: Arc<Desk>, http: Arc<Http>, bot: UserId) -> Self {
        let config = desk.config();
        let discord_channel = |chat: &ChatRef| {
            (chat.platform == Platform::Discord)
                .then(|| chat.chat_id.parse::<u64>().ok())
                .flatten()
                .filter(|id| *id != 0)
                .map(ChannelId::new)
        };
        let staff: HashSet<ChannelId> = config
            .branch_staff
            .values()
            .flatten()
            .chain(&config.system_staff)
            .filter_map(discord_channel)
            .collect();
        let tracked = staff
            .iter()
            .copied()
            .chain(config.branch_chats.keys().filter_map(discord_channel))
            .collect();
        Shared {
            desk,
            http,
            bot,
            tracked,
            staff,
            held: Mutex::new(HashSet::new()),
            registered: Mutex::new(HashSet::new()),
        }
    }

    /// Hands one message to the desk, then moves its channel's read cursor.
    pub async fn handle_message(&self, message: Message, source: Source) {
        let channel = message.channel_id;
        let message_id = message.id;
        if source == Source::Live && message.guild_id.is_none() && !message.author.bot {
            self.remember_direct_chat(channel, message_id);
        }
        let handled = match self.convert(&message, source) {
            Some(incoming) => self.handle(incoming).await.map(Some),
            None => Ok(None),
        };
        match handled {
            Ok(outcome) => {
                if let Some(outcome) = outcome {
                    tracing::debug!(update = %message_id, channel = %channel, ?outcome, "Discord message handled");
                }
                // Only history read in order moves the read position: live
                // events can arrive out of order, and after a reconnect they
                // resume past a gap the backfill has not read yet.
                match source {
                    Source::Backfill if self.tracked.contains(&channel) => {
                        self.advance_cursor(channel, &backfill::cursor_name(channel), message_id.get());
                    }
                    Source::DirectHistory => {
                        self.advance_cursor(channel, &backfill::direct_cursor_name(channel), message_id.get());
                    }
                    Source::Backfill | Source::Live => {}
                }
            }
            Err(error) => {
                // Left behind the cursor, the message is read again by the next backfill.
                tracing::error!(update = %message_id, channel = %channel, %error, "cannot handle a Discord message");
                self.lock_held().insert(channel);
            }
        }
    }

    /// Runs the desk's synchronous, flushing `handle` off the async workers.
    async fn handle(&self, incoming: Incoming) -> Result<Handled, DeskError> {
        let desk = Arc::clone(&self.desk);
        match tokio::task::spawn_blocking(move || desk.handle(&incoming)).await {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic.into_panic()),
        }
    }

    fn lock_held(&self) -> std::sync::MutexGuard<'_, HashSet<ChannelId>> {
        self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Lets the channel's cursor move again; called when a backfill starts from it.
    pub fn release(&self, channel: ChannelId) {
        self.lock_held().remove(&channel);
    }

    fn advance_cursor(&self, channel: ChannelId, cursor: &str, position: u64) {
        if self.lock_held().contains(&channel) {
            return;
        }
        if let Err(error) = self.desk.store().advance_cursor(cursor, position) {
            tracing::warn!(channel = %channel, %error, "cannot record the read position");
        }
    }

    /// Starts reading a patron's DM channel after reconnects, from just before
    /// the first message seen live there (read again, it is a duplicate): DMs
    /// sent while the gateway is down are otherwise never delivered. A position
    /// too old to be read again starts over from this message.
    fn remember_direct_chat(&self, channel: ChannelId, seen: MessageId) {
        let store = self.desk.store();
        let cursor = backfill::direct_cursor_name(channel);
        let current = match store.cursor(&cursor) {
            Ok(current) => current,
            Err(error) => {
                tracing::warn!(channel = %channel, %error, "cannot read a DM read position");
                return;
            }
        };
        if current.is_some_and(backfill::is_recent) {
            return;
        }
        if let Err(error) = store.advance_cursor(&cursor, seen.get().saturating_sub(1)) {
            tracing::warn!(channel = %channel, %error, "cannot record a DM read position");
        }
    }

    /// The desk's view of a Discord message; `None` for messages the desk never
    /// sees: the bot's own, other bots', system messages.
    pub fn convert(&self, message: &Message, source: Source) -> Option<Incoming> {
        if message.author.bot || message.author.id == self.bot {
            return None;
        }
        if !matches!(message.kind, MessageType::Regular | MessageType::InlineReply) {
            return None;
        }
        let direct = match source {
            Source::Live => message.guild_id.is_none(),
            Source::DirectHistory => true,
            Source::Backfill => false,
        };
        let mention = format!("<@{}>", self.bot);
        let nickname_mention = format!("<@!{}>", self.bot);
        let mentioned = message.mentions.iter().any(|user| user.id == self.bot)
            || message.content.contains(&mention)
            || message.content.contains(&nickname_mention);
        let text = message
            .content
            .replace(&nickname_mention, "")
            .replace(&mention, "")
            .trim()
            .to_string();
        let reply_to = message
            .message_reference
            .as_ref()
            .and_then(|reference| reference.message_id)
            .map(|id| id.to_string());
        let reply_to_bot_text = message
            .referenced_message
            .as_ref()
            .filter(|replied| replied.author.id == self.bot)
            .map(|replied| replied.content.clone());
        let replied_to_bot = reply_to_bot_text.is_some();
        // In a staff chat every reply and command goes to the desk: a reply to a
        // ticket may arrive (from history) without the message it replies to.
        let for_staff_desk = self.staff.contains(&message.channel_id) && (reply_to.is_some() || text.starts_with('/'));
        Some(Incoming {
            update_id: message.id.to_string(),
            chat: ChatRef::new(Platform::Discord, message.channel_id.to_string()),
            chat_kind: if direct { ChatKind::Direct } else { ChatKind::Group },
            message_id: message.id.to_string(),
            sender: UserRef::new(Platform::Discord, message.author.id.to_string()),
            display_name: display_name(&message.author),
            text,
            reply_to,
            reply_to_bot_text,
            addressed: direct || mentioned || replied_to_bot || for_staff_desk,
        })
    }

    /// A slash command: handled like the message it stands for, then answered
    /// with a short note only its sender sees; the answer follows in the channel.
    async fn handle_command(&self, command: CommandInteraction) {
        if command.user.bot {
            return;
        }
        let Some(text) = commands::command_text(&command.data.name, &command.data.options) else {
            tracing::info!(interaction = %command.id, "unknown slash command");
            self.acknowledge(&command, "I don't know that command. Try /ask with your question.")
                .await;
            return;
        };
        let incoming = Incoming {
            update_id: command.id.to_string(),
            chat: ChatRef::new(Platform::Discord, command.channel_id.to_string()),
            chat_kind: if command.guild_id.is_some() {
                ChatKind::Group
            } else {
                ChatKind::Direct
            },
            // An interaction is not a message; the sender posts replies to it as plain messages.
            message_id: command.id.to_string(),
            sender: UserRef::new(Platform::Discord, command.user.id.to_string()),
            display_name: display_name(&command.user),
            text,
            reply_to: None,
            reply_to_bot_text: None,
            addressed: true,
        };
        let note = match self.handle(incoming).await {
            Ok(outcome) => {
                tracing::debug!(interaction = %command.id, ?outcome, "slash command handled");
                "Got it. The answer will appear in this channel."
            }
            Err(error) => {
                tracing::error!(interaction = %command.id, %error, "cannot handle a slash command");
                "Sorry, something went wrong on my side. Please try again in a minute."
            }
        };
        self.acknowledge(&command, note).await;
    }

    async fn acknowledge(&self, command: &CommandInteraction, note: &str) {
        let response = CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .content(note)
                .ephemeral(true)
                .allowed_mentions(CreateAllowedMentions::new()),
        );
        if let Err(error) = command.create_response(&self.http, response).await {
            tracing::warn!(interaction = %command.id, %error, "cannot acknowledge a slash command");
        }
    }

    /// Registers the slash commands in a guild, once per run.
    async fn register_commands(&self, guild: GuildId) {
        if !self
            .registered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(guild)
        {
            return;
        }
        match guild.set_commands(&self.http, commands::definitions()).await {
            Ok(_) => tracing::info!(guild = %guild, "slash commands registered"),
            Err(error) => {
                tracing::warn!(guild = %guild, %error, "cannot register slash commands");
                self.registered
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .remove(&guild);
            }
        }
    }
}

/// The name staff read: the global display name, else the username.
fn display_name(user: &serenity::all::User) -> String {
    user.global_name.clone().unwrap_or_else(|| user.name.clone())
}

/// Receives until shutdown, then stops the gateway and handles what is queued.
pub(super) async fn run(
    shared: Arc<Shared>,
    mut events: mpsc::UnboundedReceiver<GatewayEvent>,
    shard_manager: Arc<ShardManager>,
    shutdown: Shutdown,
) {
    let backfill_wanted = Arc::new(Notify::new());
    let backfill_worker = tokio::spawn(backfill::worker(
        Arc::clone(&shared),
        Arc::clone(&backfill_wanted),
        shutdown.clone(),
    ));
    loop {
        let event = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            event = events.recv() => event,
        };
        let Some(event) = event else {
            // The gateway client is gone (a fatal error, logged there).
            shutdown.cancelled().await;
            break;
        };
        match event {
            GatewayEvent::Ready { guilds } => {
                tracing::info!(guilds = guilds.len(), "Discord session started");
                backfill_wanted.notify_one();
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    for guild in guilds {
                        shared.register_commands(guild).await;
                    }
                });
            }
            GatewayEvent::Resumed => {
                tracing::info!("Discord session resumed");
                backfill_wanted.notify_one();
            }
            GatewayEvent::GuildCreate(guild) => {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move { shared.register_commands(guild).await });
            }
            // A session began even if its payload was unreadable: catch up all the same.
            GatewayEvent::Unreadable { kind } if kind == "READY" || kind == "RESUMED" => {
                tracing::warn!(event = %kind, "malformed Discord event; backfilling anyway");
                backfill_wanted.notify_one();
            }
            event => handle_update(&shared, event).await,
        }
    }
    shard_manager.shutdown_all().await;
    // Updates already received are handled before the loop ends.
    events.close();
    while let Some(event) = events.recv().await {
        handle_update(&shared, event).await;
    }
    let _ = backfill_worker.await;
}

async fn handle_update(shared: &Shared, event: GatewayEvent) {
    match event {
        GatewayEvent::Message(message) => shared.handle_message(*message, Source::Live).await,
        GatewayEvent::Command(command) => shared.handle_command(*command).await,
        GatewayEvent::Unreadable { kind } => {
            if matches!(
                kind.as_str(),
                "MESSAGE_CREATE" | "INTERACTION_CREATE" | "READY" | "RESUMED"
            ) {
                tracing::warn!(event = %kind, "malformed Discord event skipped");
            } else {
                tracing::debug!(event = %kind, "unknown Discord event skipped");
            }
        }
        GatewayEvent::Ready { .. } | GatewayEvent::Resumed | GatewayEvent::GuildCreate(_) => {}
    }
}
