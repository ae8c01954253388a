//! The sending half: posts outbox messages to Discord channels and turns
//! Discord's answers into `SendError`s the outbox acts on.
//!
//! Messages are posted with serenity's request builder and its `CreateMessage`
//! body, but executed here so the status and `retry_after` of a 429 reach the
//! outbox (serenity's error type drops them). Every message carries empty
//! `allowed_mentions` and an enforced nonce.

use std::time::Duration;

use serde::Deserialize;
use serenity::all::{
    ChannelId, CreateAllowedMentions, CreateMessage, LightMethod, MessageId, MessageReference, MessageReferenceKind,
    Nonce, Request, Route,
};

use super::render::{MESSAGE_LIMIT, render_parts};
use crate::chat::{Adapter, Delivered, Outgoing, Platform, SendError};

/// How long one POST may take before it counts as a transient failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The wait when a 429 names none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Posts messages to Discord. Holds the token; never logs it.
pub struct DiscordSender {
    client: reqwest::Client,
    /// "Bot <token>", the Authorization header.
    authorization: String,
    /// The `[discord] api_url` base that replaces https://discord.com.
    proxy: Option<String>,
}

/// The part of Discord's message object the sender needs.
#[derive(Deserialize)]
struct PostedMessage {
    id: String,
}

/// Discord's error body (`retry_after` only on 429s).
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
    retry_after: Option<f64>,
}

impl DiscordSender {
    pub fn new(authorization: String, proxy: Option<String>) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
        Ok(DiscordSender {
            client,
            authorization,
            proxy,
        })
    }

    async fn post(&self, channel: ChannelId, message: &CreateMessage) -> Result<String, SendError> {
        // Serialising a builder of plain strings and ids cannot fail.
        let body = serde_json::to_vec(message).expect("a CreateMessage serialises to JSON");
        let request = Request::new(Route::ChannelMessages { channel_id: channel }, LightMethod::Post)
            .body(Some(body))
            .build(&self.client, &self.authorization, self.proxy.as_deref())
            .map_err(|error| SendError::Transient(format!("cannot build the request: {error}")))?;
        let response = request
            .send()
            .await
            .map_err(|error| SendError::Transient(format!("request failed: {}", without_url(&error))))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| SendError::Transient(format!("reading the response failed: {}", without_url(&error))))?;
        if status.is_success() {
            let posted: PostedMessage = serde_json::from_slice(&bytes)
                .map_err(|error| SendError::Transient(format!("unreadable response from Discord: {error}")))?;
            return Ok(posted.id);
        }
        let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
        Err(classify(status.as_u16(), &headers, &error))
    }
}

/// What a failed POST means for the outbox.
fn classify(status: u16, headers: &reqwest::header::HeaderMap, error: &ErrorBody) -> SendError {
    let detail = format!("HTTP {status}, Discord code {}: {}", error.code, error.message);
    match status {
        429 => SendError::RetryAfter(retry_after(headers, error)),
        // A bad token must not drop the outbox: messages wait until it is fixed.
        401 => SendError::Transient(detail),
        // Unknown channel (10003), missing access (50001), cannot send to this user (50007), ...
        400..=499 => SendError::Permanent(detail),
        _ => SendError::Transient(detail),
    }
}

/// The wait a 429 asks for: the body's `retry_after` (seconds), else the
/// `Retry-After` or `X-RateLimit-Reset-After` header.
fn retry_after(headers: &reqwest::header::HeaderMap, error: &ErrorBody) -> Duration {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<f64>().ok())
    };
    error
        .retry_after
        .or_else(|| header("retry-after"))
        .or_else(|| header("x-ratelimit-reset-after"))
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .map_or(DEFAULT_RETRY_AFTER, |seconds| {
            Duration::from_secs_f64(seconds.min(3600.0))
        })
}

/// reqwest's errors name the URL, which is harmless but long; keep the cause.
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "connection error"
    };
    match std::error::Error::source(error) {
        Some(source) => format!("{kind}: {source}"),
        None => kind.to_string(),
    }
}

/// The nonce of one part: the outbox id, with the part number when split.
/// At most 23 characters, within Discord's 25.
pub fn part_nonce(outbox_id: u64, part: usize, parts: usize) -> String {
    if parts == 1 {
        outbox_id.to_string()
    } else {
        format!("{outbox_id}-{}", part + 1)
    }
}

#[async_trait::async_trait]
impl Adapter for DiscordSender {
    fn platform(&self) -> Platform {
        Platform::Discord
    }

    async fn send(&self, message: &Outgoing, nonce: u64) -> Result<Delivered, SendError> {
        let channel = message
            .chat
            .chat_id
            .parse::<u64>()
            .ok()
            .filter(|id| *id != 0)
            .map(ChannelId::new)
            .ok_or_else(|| SendError::Permanent(format!("{} is not a Discord channel id", message.chat.chat_id)))?;
        let parts = render_parts(&message.body, MESSAGE_LIMIT);
        if parts.is_empty() {
            return Err(SendError::Permanent("the message is empty".to_string()));
        }
        // Not every reply target is a message (a slash command has none), and
        // the message may be gone: then it is posted without the reply.
        let reply_to = message
            .reply_to
            .as_deref()
            .and_then(|id| id.parse::<u64>().ok())
            .filter(|id| *id != 0)
            .map(MessageId::new);
        let mut message_ids = Vec::with_capacity(parts.len());
        for (index, part) in parts.iter().enumerate() {
            let mut create = CreateMessage::new()
                .content(part.as_str())
                .allowed_mentions(CreateAllowedMentions::new())
                .nonce(Nonce::String(part_nonce(nonce, index, parts.len())))
                .enforce_nonce(true);
            if let (0, Some(reply_to)) = (index, reply_to) {
                create = create.reference_message(
                    MessageReference::new(MessageReferenceKind::Default, channel)
                        .message_id(reply_to)
                        .fail_if_not_exists(false),
                );
            }
            // A retry after a failed later part posts the earlier parts again with
            // the same nonces; Discord returns the messages it already has.
            message_ids.push(self.post(channel, &create).await?);
        }
        tracing::debug!(outbox = nonce, channel = %channel, parts = parts.len(), "posted to Discord");
        Ok(Delivered { message_ids })
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::*;

    #[test]
    fn statuses_map_to_what_the_outbox_does() {
        let headers = HeaderMap::new();
        let body = |retry_after| ErrorBody {
            code: 0,
            message: String::new(),
            retry_after,
        };
        assert_eq!(
            classify(429, &headers, &body(Some(2.5))),
            SendError::RetryAfter(Duration::from_millis(2500))
        );
        assert_eq!(
            classify(429, &headers, &body(None)),
            SendError::RetryAfter(DEFAULT_RETRY_AFTER)
        );
        let mut with_header = HeaderMap::new();
        with_header.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(
            classify(429, &with_header, &body(None)),
            SendError::RetryAfter(Duration::from_secs(3))
        );
        assert!(matches!(classify(500, &headers, &body(None)), SendError::Transient(_)));
        assert!(matches!(classify(502, &headers, &body(None)), SendError::Transient(_)));
        assert!(matches!(classify(401, &headers, &body(None)), SendError::Transient(_)));
        assert!(matches!(classify(403, &headers, &body(None)), SendError::Permanent(_)));
        assert!(matches!(classify(404, &headers, &body(None)), SendError::Permanent(_)));
    }

    #[test]
    fn nonces_fit_discord_and_name_their_part() {
        assert_eq!(part_nonce(42, 0, 1), "42");
        assert_eq!(part_nonce(42, 1, 3), "42-2");
        assert!(part_nonce(u64::MAX, 98, 99).len() <= 25);
    }
}
