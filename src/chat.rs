//! The platform-neutral vocabulary of a conversation, and the one trait every
//! platform adapter implements.
//!
//! Adapters convert at the edge: a Discord or Telegram type never travels past
//! `src/adapters/`. The core (`desk`, `store`, `outbox`) only knows the types here.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A chat platform. `Terminal` is the local `refdesk chat` session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Discord,
    Telegram,
    Terminal,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Discord => "discord",
            Platform::Telegram => "telegram",
            Platform::Terminal => "terminal",
        }
    }

    /// The name patrons and staff read ("Discord").
    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Discord => "Discord",
            Platform::Telegram => "Telegram",
            Platform::Terminal => "terminal",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl std::str::FromStr for Platform {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "discord" => Ok(Platform::Discord),
            "telegram" => Ok(Platform::Telegram),
            "terminal" => Ok(Platform::Terminal),
            other => Err(format!("unknown platform {other:?} (expected discord or telegram)")),
        }
    }
}

/// One chat on one platform: a DM, a group, a channel. Ids are the platform's
/// immutable numeric ids written in decimal, never names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChatRef {
    pub platform: Platform,
    pub chat_id: String,
}

impl ChatRef {
    pub fn new(platform: Platform, chat_id: impl Into<String>) -> Self {
        ChatRef {
            platform,
            chat_id: chat_id.into(),
        }
    }
}

impl fmt::Display for ChatRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.platform, self.chat_id)
    }
}

/// A person on one platform, by immutable id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserRef {
    pub platform: Platform,
    pub user_id: String,
}

impl UserRef {
    pub fn new(platform: Platform, user_id: impl Into<String>) -> Self {
        UserRef {
            platform,
            user_id: user_id.into(),
        }
    }
}

impl fmt::Display for UserRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.platform, self.user_id)
    }
}

/// Whether a chat is one person talking to the bot or a shared room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    Direct,
    Group,
}

/// A message that reached the bot, converted by its adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incoming {
    /// Unique per platform for each delivery of the same update (Telegram's
    /// `update_id`, Discord's message id); a redelivered update repeats it, so
    /// the desk handles it once.
    pub update_id: String,
    pub chat: ChatRef,
    pub chat_kind: ChatKind,
    /// The platform's id of this message (what a later reply refers to).
    pub message_id: String,
    pub sender: UserRef,
    /// The sender's display name, for staff to read; never used for authorisation.
    pub display_name: String,
    /// The text with the bot's own mention removed. Commands start with `/`.
    pub text: String,
    /// The message this one replies to (the platform's reply or message reference).
    pub reply_to: Option<String>,
    /// The text of the message replied to, when the bot wrote it. A staff reply
    /// to a ticket post whose link was never stored (the process stopped between
    /// posting it and recording the post's id) still finds its ticket by number.
    pub reply_to_bot_text: Option<String>,
    /// In a group: the bot was mentioned, replied to or given a command.
    /// Always true in a direct chat. Unaddressed group chatter is ignored.
    pub addressed: bool,
}

/// A piece of outgoing text. Adapters render each piece in their own markup
/// and escape every piece, so text from patrons or staff can never inject markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Span {
    Text(String),
    Bold(String),
    /// Someone else's words (a patron's question in a staff chat), shown as a quote.
    Quote(String),
}

/// A message for one chat, as it waits in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    pub chat: ChatRef,
    pub body: Vec<Span>,
    /// A platform message id to reply to, when the chat supports replies.
    pub reply_to: Option<String>,
}

impl Outgoing {
    pub fn text(chat: ChatRef, text: impl Into<String>) -> Self {
        Outgoing {
            chat,
            body: vec![Span::Text(text.into())],
            reply_to: None,
        }
    }

    /// The body as plain text, with quotes prefixed by "> ".
    pub fn plain_text(&self) -> String {
        let mut text = String::new();
        for span in &self.body {
            match span {
                Span::Text(part) | Span::Bold(part) => text.push_str(part),
                Span::Quote(part) => {
                    for (index, line) in part.lines().enumerate() {
                        if index > 0 {
                            text.push('\n');
                        }
                        text.push_str("> ");
                        text.push_str(line);
                    }
                }
            }
        }
        text
    }
}

/// What the platform confirmed for a sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The platform's ids of the posted message(s); more than one when the
    /// text was split. Staff replies to any of them find the ticket.
    pub message_ids: Vec<String>,
}

/// Why a send failed, in the terms the outbox acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The platform asked us to wait (HTTP 429).
    #[error("rate limited; retry after {0:?}")]
    RetryAfter(Duration),
    /// A server error, a timeout or a broken connection: try again later.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The chat moved (a Telegram group upgraded to a supergroup): resend there.
    #[error("chat moved to {0}")]
    ChatMigrated(String),
    /// It will never be delivered (the user blocked the bot, the chat is gone).
    #[error("undeliverable: {0}")]
    Permanent(String),
}

/// A platform connection as the core sees it. Receiving is the adapter's own
/// loop, which hands each `Incoming` to `Desk::handle` and acknowledges the
/// update to the platform only after that returns (the desk has made it durable).
#[async_trait::async_trait]
pub trait Adapter: Send + Sync {
    fn platform(&self) -> Platform;

    /// Posts one outbox message. `nonce` is the outbox id, stable across
    /// retries, for platforms that deduplicate on it.
    async fn send(&self, message: &Outgoing, nonce: u64) -> Result<Delivered, SendError>;
}
