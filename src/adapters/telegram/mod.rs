//! The Telegram adapter, on teloxide: our own `getUpdates` loop that hands
//! each update to `Desk::handle` and confirms it to Telegram only afterwards,
//! and a sender that renders outbox messages as HTML within Telegram's limits.
//!
//! Nothing lost, nothing doubled: Telegram forgets an update once a later
//! `getUpdates` names an offset past it. The offset here moves past an update
//! only after `Desk::handle` returned for it, and the desk made its effects
//! durable (with the update id marked handled) before returning. A crash in
//! between means Telegram delivers the update again and the desk skips it as
//! a duplicate. teloxide's stock polling is not used because it confirms
//! updates before the handler has run.
//!
//! The token never appears in logs or errors: teloxide's network errors
//! carry the request URL, which contains it, so they are redacted here.

mod convert;
mod format;
mod limiter;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use teloxide::payloads::{GetUpdatesSetters, SendMessageSetters, SetMyCommandsSetters};
use teloxide::requests::{Request, Requester};
use teloxide::types::{
    AllowedUpdate, BotCommand, BotCommandScope, ChatId, MessageId, ParseMode, Recipient, ReplyParameters, Update,
};
use teloxide::{ApiError, Bot, RequestError};

use self::convert::{BotIdentity, Converted};
use self::limiter::{Limiter, Limits};
use super::{Shutdown, Started};
use crate::chat::{Adapter, Delivered, Outgoing, Platform, SendError};
use crate::config::TelegramConfig;
use crate::desk::Desk;

pub use self::format::{MAX_PART_UNITS, escape_html, render_parts};

/// Why the adapter could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("telegram.api_url {url:?} is not a valid URL: {reason}")]
    ApiUrl { url: String, reason: String },
    #[error("Telegram refused the bot token; check TELEGRAM_BOT_TOKEN (create one with @BotFather)")]
    Unauthorized,
    #[error("cannot reach the Telegram Bot API: {0}")]
    Connect(String),
}

/// Long-poll length. teloxide's HTTP client gives up after 17 s, so a poll
/// must end well before that.
const POLL_TIMEOUT_SECONDS: u32 = 10;
/// Waits after a failed `getUpdates`, doubling up to the maximum.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long shutdown spends confirming the last handled updates.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(3);

/// Patron commands, shown in every chat's command menu.
const PATRON_COMMANDS: &[(&str, &str)] = &[
    ("start", "Say hello and see what I can do"),
    ("help", "What I can answer, and the commands"),
    ("hours", "This week's opening hours (optionally a branch)"),
    ("events", "What's on this week (optionally a branch)"),
    ("branch", "Choose your home branch"),
    ("staff", "Send your question straight to library staff"),
    ("forget", "Erase everything stored about you"),
];

/// Staff commands, shown only in staff chats.
const STAFF_COMMANDS: &[(&str, &str)] = &[
    ("help", "Staff commands"),
    ("tickets", "Open tickets, oldest first"),
    ("reply", "N TEXT: answer ticket N"),
    ("close", "N: close ticket N"),
    ("claim", "N: take ticket N"),
    ("transfer", "N BRANCH: pass ticket N to another branch"),
];

/// Connects (`getMe`), registers the command menus, spawns the receiving
/// loop and returns the sending half for the outbox.
pub async fn start(
    desk: Arc<Desk>,
    config: TelegramConfig,
    token: String,
    shutdown: Shutdown,
) -> Result<Started, TelegramError> {
    let mut bot = Bot::new(token.clone());
    if let Some(url) = &config.api_url {
        let parsed = url::Url::parse(url).map_err(|error| TelegramError::ApiUrl {
            url: url.clone(),
            reason: error.to_string(),
        })?;
        bot = bot.set_api_url(parsed);
    }
    let redactor = Redactor { token };
    let me = bot.get_me().await.map_err(|error| match error {
        RequestError::Api(ApiError::InvalidToken) => TelegramError::Unauthorized,
        other => TelegramError::Connect(redactor.describe(&other)),
    })?;
    let identity = BotIdentity {
        id: me.user.id,
        username: me.user.username.clone().unwrap_or_default(),
    };
    tracing::info!(bot = identity.id.0, "connected to Telegram");
    if !me.can_read_all_group_messages {
        tracing::info!("privacy mode is on: in groups the bot sees only commands, mentions and replies to it");
    }
    register_commands(&bot, &desk, &redactor).await;
    let receiver = Receiver {
        bot: bot.clone(),
        desk,
        identity,
        redactor: redactor.clone(),
        shutdown,
    };
    let adapter = TelegramAdapter {
        bot,
        redactor,
        limiter: Limiter::new(limits(&config)),
        progress: Mutex::new(HashMap::new()),
    };
    Ok(Started {
        adapter: Arc::new(adapter),
        receiver: tokio::spawn(receiver.run()),
    })
}

/// Patron commands for every chat; staff commands in each Telegram staff
/// chat. A failure is logged and startup goes on: menus are a convenience.
async fn register_commands(bot: &Bot, desk: &Desk, redactor: &Redactor) {
    let menu = |commands: &[(&str, &str)]| -> Vec<BotCommand> {
        commands
            .iter()
            .map(|(name, description)| BotCommand::new(*name, *description))
            .collect()
    };
    if let Err(error) = bot.set_my_commands(menu(PATRON_COMMANDS)).await {
        tracing::warn!(error = %redactor.describe(&error), "cannot register the patron commands");
    }
    let config = desk.config();
    let staff_chats = config
        .branch_staff
        .values()
        .flatten()
        .chain(&config.system_staff)
        .filter(|chat| chat.platform == Platform::Telegram)
        .filter_map(|chat| chat.chat_id.parse::<i64>().ok());
    for chat_id in staff_chats {
        let scope = BotCommandScope::Chat {
            chat_id: Recipient::Id(ChatId(chat_id)),
        };
        if let Err(error) = bot.set_my_commands(menu(STAFF_COMMANDS)).scope(scope).await {
            tracing::warn!(chat = chat_id, error = %redactor.describe(&error), "cannot register staff commands in a staff chat (is the bot a member?)");
        }
    }
}

/// Turns teloxide errors into text that is safe to log.
#[derive(Clone)]
struct Redactor {
    token: String,
}

impl Redactor {
    fn describe(&self, error: &RequestError) -> String {
        let text = match error {
            // The raw body may hold patrons' messages; it is not for logs.
            RequestError::InvalidJson { .. } => "unreadable response from Telegram".to_string(),
            other => other.to_string(),
        };
        if self.token.is_empty() {
            text
        } else {
            text.replace(&self.token, "<token>")
        }
    }
}

/// The receiving loop.
struct Receiver {
    bot: Bot,
    desk: Arc<Desk>,
    identity: BotIdentity,
    redactor: Redactor,
    shutdown: Shutdown,
}

/// One element of a `getUpdates` batch.
enum Received {
    Update(Box<Update>),
    /// Not an update at all (no `update_id`), or one teloxide cannot read.
    Unreadable {
        update_id: Option<u32>,
    },
}

/// Whether the desk took an update (or it was skipped on purpose).
enum Outcome {
    Done,
    /// The desk could not store it; ask for it again later.
    Retry,
}

impl Receiver {
    async fn run(self) {
        let mut next_offset: Option<i32> = None;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let mut request = self
                .bot
                .get_updates()
                .timeout(POLL_TIMEOUT_SECONDS)
                .allowed_updates([AllowedUpdate::Message]);
            if let Some(offset) = next_offset {
                request = request.offset(offset);
            }
            let result = tokio::select! {
                biased;
                () = self.shutdown.cancelled() => break,
                result = request.send() => result,
            };
            let batch = match result {
                Ok(updates) => updates
                    .into_iter()
                    .map(|update| Received::Update(Box::new(update)))
                    .collect(),
                Err(RequestError::InvalidJson { raw, .. }) => match salvage(&raw) {
                    Some(batch) => batch,
                    None => {
                        tracing::warn!("unreadable getUpdates response; retrying");
                        self.pause(&mut backoff).await;
                        continue;
                    }
                },
                Err(RequestError::RetryAfter(wait)) => {
                    tracing::info!(wait_s = wait.seconds(), "getUpdates rate limited");
                    self.sleep(wait.duration()).await;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(error = %self.redactor.describe(&error), "getUpdates failed; retrying");
                    self.pause(&mut backoff).await;
                    continue;
                }
            };
            backoff = FIRST_BACKOFF;
            let received = batch.len();
            let before = next_offset;
            for item in batch {
                match item {
                    Received::Update(update) => match self.handle(&update).await {
                        Outcome::Done => next_offset = Some(offset_after(update.id.0)),
                        Outcome::Retry => {
                            self.pause(&mut backoff).await;
                            break;
                        }
                    },
                    Received::Unreadable { update_id } => {
                        tracing::warn!(update = ?update_id, "unreadable update skipped");
                        if let Some(id) = update_id {
                            next_offset = Some(offset_after(id));
                        }
                    }
                }
            }
            if received > 0 && next_offset == before && !self.shutdown.is_cancelled() {
                // Nothing could be confirmed (only entries without an id):
                // don't ask again at once for the same batch.
                self.pause(&mut backoff).await;
            }
        }
        self.confirm(next_offset).await;
        tracing::info!("Telegram receiver stopped");
    }

    /// Converts one update and hands it to the desk.
    async fn handle(&self, update: &Update) -> Outcome {
        let update_id = update.id.0;
        let incoming = match convert::convert(update, &self.identity) {
            Converted::Message(incoming) => incoming,
            Converted::Skip(reason) => {
                tracing::info!(update = update_id, reason, "update skipped");
                return Outcome::Done;
            }
        };
        let desk = Arc::clone(&self.desk);
        // `handle` blocks on a flush to disk; keep it off the async workers.
        match tokio::task::spawn_blocking(move || desk.handle(&incoming)).await {
            Ok(Ok(handled)) => {
                tracing::debug!(update = update_id, ?handled, "update handled");
                Outcome::Done
            }
            Ok(Err(error)) => {
                tracing::error!(update = update_id, %error, "cannot handle an update; it will be fetched again");
                Outcome::Retry
            }
            Err(_) => {
                // A message that crashes the desk would crash it again on every
                // redelivery and stop all Telegram traffic behind it.
                tracing::error!(update = update_id, "handling an update panicked; the update is skipped");
                Outcome::Done
            }
        }
    }

    /// Tells Telegram that everything before `offset` is handled, so a
    /// restart does not fetch it again (it would be skipped as a duplicate).
    async fn confirm(&self, offset: Option<i32>) {
        let Some(offset) = offset else { return };
        let request = self.bot.get_updates().offset(offset).timeout(0).limit(1);
        if tokio::time::timeout(CONFIRM_TIMEOUT, request.send()).await.is_err() {
            tracing::debug!("confirming handled updates timed out at shutdown");
        }
    }

    async fn pause(&self, backoff: &mut Duration) {
        self.sleep(*backoff).await;
        *backoff = (*backoff * 2).min(MAX_BACKOFF);
    }

    async fn sleep(&self, duration: Duration) {
        tokio::select! {
            () = self.shutdown.cancelled() => {}
            () = tokio::time::sleep(duration) => {}
        }
    }
}

/// The `getUpdates` offset that confirms update `id`.
fn offset_after(id: u32) -> i32 {
    // Telegram's update ids are positive 31-bit numbers.
    i32::try_from(u64::from(id) + 1).unwrap_or(i32::MAX)
}

/// Reads a `getUpdates` response that teloxide rejected as a whole (an
/// element that is not an update at all): every element on its own.
fn salvage(raw: &str) -> Option<Vec<Received>> {
    let value: serde_json::Value = serde_json::from_str(raw).ok()?;
    if value.get("ok")?.as_bool()? {
        let items = value.get("result")?.as_array()?;
        Some(
            items
                .iter()
                .map(|item| {
                    let update_id = item
                        .get("update_id")
                        .and_then(serde_json::Value::as_u64)
                        .and_then(|id| u32::try_from(id).ok());
                    // From text: teloxide's update parser needs borrowed keys,
                    // which a `serde_json::Value` cannot lend.
                    match serde_json::from_str::<Update>(&item.to_string()) {
                        Ok(update) => Received::Update(Box::new(update)),
                        Err(_) => Received::Unreadable { update_id },
                    }
                })
                .collect(),
        )
    } else {
        None
    }
}

/// The sending half.
struct TelegramAdapter {
    bot: Bot,
    redactor: Redactor,
    limiter: Limiter,
    /// Parts already delivered of split messages whose later part failed,
    /// by outbox nonce: a retry sends only the rest. Held in memory only, so
    /// a restart in the middle of a split message may repeat its first parts.
    progress: Mutex<HashMap<u64, Progress>>,
}

struct Progress {
    chat_id: i64,
    message_ids: Vec<String>,
}

#[async_trait::async_trait]
impl Adapter for TelegramAdapter {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    async fn send(&self, message: &Outgoing, nonce: u64) -> Result<Delivered, SendError> {
        let chat_id: i64 = message
            .chat
            .chat_id
            .parse()
            .map_err(|_| SendError::Permanent(format!("{} is not a Telegram chat id", message.chat)))?;
        let parts = render_parts(&message.body, MAX_PART_UNITS);
        if parts.is_empty() {
            return Err(SendError::Permanent("empty message".to_string()));
        }
        let mut delivered = self.resume(nonce, chat_id);
        let reply_to = message.reply_to.as_deref().and_then(|id| id.parse::<i32>().ok());
        for (index, part) in parts.into_iter().enumerate().skip(delivered.len()) {
            self.limiter.acquire(chat_id).await;
            let mut request = self.bot.send_message(ChatId(chat_id), part).parse_mode(ParseMode::Html);
            if index == 0
                && let Some(reply_to) = reply_to
            {
                // If the patron deleted the message meanwhile, send it anyway.
                let mut parameters = ReplyParameters::new(MessageId(reply_to));
                parameters.allow_sending_without_reply = Some(true);
                request = request.reply_parameters(parameters);
            }
            match request.await {
                Ok(sent) => delivered.push(sent.id.0.to_string()),
                Err(error) => {
                    let failure = self.classify(&error);
                    tracing::info!(outbox = nonce, chat = chat_id, part = index, error = %failure, "sendMessage failed");
                    if matches!(failure, SendError::RetryAfter(_) | SendError::Transient(_)) && !delivered.is_empty() {
                        self.remember(nonce, chat_id, delivered);
                    }
                    return Err(failure);
                }
            }
        }
        Ok(Delivered { message_ids: delivered })
    }
}

impl TelegramAdapter {
    /// Message ids of parts already delivered for this outbox entry.
    fn resume(&self, nonce: u64, chat_id: i64) -> Vec<String> {
        let mut progress = self.progress.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match progress.remove(&nonce) {
            Some(done) if done.chat_id == chat_id => done.message_ids,
            _ => Vec::new(),
        }
    }

    fn remember(&self, nonce: u64, chat_id: i64, message_ids: Vec<String>) {
        let mut progress = self.progress.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        progress.insert(nonce, Progress { chat_id, message_ids });
    }

    /// Maps a teloxide error to what the outbox should do.
    fn classify(&self, error: &RequestError) -> SendError {
        match error {
            RequestError::RetryAfter(wait) => SendError::RetryAfter(wait.duration()),
            RequestError::MigrateToChatId(chat) => SendError::ChatMigrated(chat.0.to_string()),
            RequestError::Api(api) => classify_api(api),
            // Timeouts, refused connections, broken bodies, 5xx pages.
            other => SendError::Transient(self.redactor.describe(other)),
        }
    }
}

/// Telegram states its errors as "Forbidden: ..." (403: blocked, kicked, no
/// rights) and "Bad Request: ..." (400: chat not found, bad markup); sending
/// the same again cannot succeed. Anything else (5xx, unknown) may pass later.
fn classify_api(error: &ApiError) -> SendError {
    let description = match error {
        ApiError::Unknown(text) => text.clone(),
        other => other.to_string(),
    };
    match error {
        // A revoked token or a webhook in the way is an admin's problem; keep the messages.
        ApiError::InvalidToken | ApiError::CantGetUpdates => SendError::Transient(description),
        ApiError::BotKicked
        | ApiError::CantInitiateConversation
        | ApiError::CantTalkWithBots
        | ApiError::RequestEntityTooLarge => SendError::Permanent(description),
        _ if description.starts_with("Forbidden") || description.starts_with("Bad Request") => {
            SendError::Permanent(description)
        }
        _ if description.starts_with("Too Many Requests") => SendError::RetryAfter(Duration::from_secs(5)),
        _ => SendError::Transient(description),
    }
}

/// Telegram's published limits, with the overrides a local test server may set.
fn limits(config: &TelegramConfig) -> Limits {
    let mut limits = Limits::default();
    if let Some(per_minute) = config.group_messages_per_minute {
        limits.per_group.count = per_minute.max(1) as usize;
    }
    if let Some(per_second) = config.messages_per_second {
        limits.overall.count = per_second.max(1) as usize;
    }
    limits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_map_to_outbox_actions() {
        let permanent = [
            ApiError::BotBlocked,
            ApiError::ChatNotFound,
            ApiError::UserDeactivated,
            ApiError::BotKicked,
            ApiError::Unknown("Forbidden: bot is not a member of the channel chat".into()),
            ApiError::Unknown("Bad Request: can't parse entities: unexpected end tag".into()),
        ];
        for error in permanent {
            assert!(matches!(classify_api(&error), SendError::Permanent(_)), "{error:?}");
        }
        let transient = [
            ApiError::Unknown("Internal Server Error".into()),
            ApiError::Unknown("Bad Gateway".into()),
            ApiError::InvalidToken,
        ];
        for error in transient {
            assert!(matches!(classify_api(&error), SendError::Transient(_)), "{error:?}");
        }
    }

    #[test]
    fn salvage_reads_each_element_alone() {
        let raw = r#"{"ok":true,"result":[{"garbage":true},"text",{"update_id":9,"message":{"broken":1}},
            {"update_id":10,"message":{"message_id":1,"date":1700000000,"chat":{"id":5,"type":"private","first_name":"A"},
            "from":{"id":5,"is_bot":false,"first_name":"A"},"text":"hi"}}]}"#;
        let batch = salvage(raw).expect("an ok response");
        let ids: Vec<Option<u32>> = batch
            .iter()
            .map(|item| match item {
                Received::Update(update) => Some(update.id.0),
                Received::Unreadable { update_id } => *update_id,
            })
            .collect();
        assert_eq!(ids, vec![None, None, Some(9), Some(10)]);
        assert!(salvage(r#"{"ok":false,"description":"x"}"#).is_none());
        assert!(salvage("<html>").is_none());
    }

    #[test]
    fn redaction_hides_the_token() {
        let redactor = Redactor {
            token: "123:SECRET".to_string(),
        };
        let error = RequestError::Api(ApiError::Unknown("see bot123:SECRET/GetMe".into()));
        assert!(!redactor.describe(&error).contains("SECRET"));
    }
}
