//! Backfill: Discord does not replay events missed while the gateway was
//! disconnected, so after every (re)connection the history of each configured
//! channel is read from its cursor (`GET /channels/{id}/messages?after=`) and
//! handed to the desk. The desk deduplicates by message id, so overlap with
//! live events is harmless. Patrons' DM channels are remembered when their
//! first message arrives and read the same way after each reconnection.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serenity::all::{ChannelId, GetMessages, MessageId};
use tokio::sync::Notify;

use super::receive::{Shared, Source};
use crate::adapters::Shutdown;

/// Discord's page size for message history.
const PAGE: u8 = 100;
/// At most this many pages per channel and run; a longer gap is read on in the next run.
const MAX_PAGES: usize = 50;
/// Waits between attempts when Discord cannot be read.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(2),
    Duration::from_secs(8),
];
/// 2015-01-01T00:00:00Z, where Discord's ids count from.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
/// Read positions only move by reading history in order (live events arrive
/// out of order and miss gaps), so history is also read on this interval:
/// it keeps the read-again window after a reconnect short.
const CATCH_UP_INTERVAL: Duration = Duration::from_secs(30);

/// After a reconnect, patrons' DM channels with a message this recent are read too.
const DIRECT_LOOKBACK: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// A pause between DM channels: there may be many, and each is a request.
const DIRECT_PACE: Duration = Duration::from_millis(50);
const DIRECT_PREFIX: &str = "discord/dm/";

/// The store cursor holding how far a channel's history has been read.
pub(super) fn cursor_name(channel: ChannelId) -> String {
    format!("discord/channel/{channel}")
}

/// The store cursor of a patron's DM channel.
pub(super) fn direct_cursor_name(channel: ChannelId) -> String {
    format!("{DIRECT_PREFIX}{channel}")
}

/// Gives every tracked channel never read before a cursor at this instant. Called before the
/// gateway connects, so from then on each message is either delivered live or lies after the
/// cursor, however late the worker first reaches the channel.
pub(super) fn start_cursors(shared: &Shared) -> Result<(), crate::store::StoreError> {
    let store = shared.desk.store();
    let position = snowflake_now();
    for &channel in &shared.tracked {
        let name = cursor_name(channel);
        if store.cursor(&name)?.is_none() {
            store.advance_cursor(&name, position)?;
            tracing::info!(channel = %channel, "channel history read from now on");
        }
    }
    store.flush()
}

/// Runs a backfill of every tracked channel each time one is wanted, until shutdown.
pub(super) async fn worker(shared: Arc<Shared>, wanted: Arc<Notify>, shutdown: Shutdown) {
    let mut catch_up = tokio::time::interval(CATCH_UP_INTERVAL);
    catch_up.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Configured channels are read on every tick; DM channels only after a
        // (re)connection, the one time their messages can have been missed:
        // there may be thousands, and between reconnects every DM arrives live.
        let reconnected = tokio::select! {
            biased;
            _ = shutdown.cancelled() => return,
            _ = wanted.notified() => true,
            _ = catch_up.tick() => false,
        };
        let mut channels: Vec<(ChannelId, Source)> = shared
            .tracked
            .iter()
            .map(|&channel| (channel, Source::Backfill))
            .collect();
        if reconnected {
            match recent_direct_channels(&shared) {
                Ok(direct) => channels.extend(direct.into_iter().map(|channel| (channel, Source::DirectHistory))),
                Err(error) => tracing::error!(%error, "cannot list DM channels to backfill"),
            }
        }
        for (channel, source) in channels {
            if shutdown.is_cancelled() {
                return;
            }
            if source == Source::DirectHistory {
                tokio::time::sleep(DIRECT_PACE).await;
            }
            let mut attempt = 0;
            loop {
                match backfill_channel(&shared, channel, source).await {
                    Ok(count) => {
                        if count > 0 {
                            tracing::info!(channel = %channel, messages = count, "backfilled missed messages");
                        }
                        break;
                    }
                    Err(error) if attempt < RETRY_DELAYS.len() => {
                        tracing::warn!(channel = %channel, %error, "cannot read channel history; retrying");
                        tokio::select! {
                            _ = shutdown.cancelled() => return,
                            _ = tokio::time::sleep(RETRY_DELAYS[attempt]) => {}
                        }
                        attempt += 1;
                    }
                    Err(error) => {
                        tracing::error!(channel = %channel, %error, "cannot read channel history; messages missed while disconnected wait for the next reconnect");
                        break;
                    }
                }
            }
        }
    }
}

/// Reads one channel's history after its cursor. A channel without a cursor
/// (never read before) starts from now: there is nothing of ours to catch up on.
async fn backfill_channel(shared: &Shared, channel: ChannelId, source: Source) -> Result<usize, BackfillError> {
    let store = shared.desk.store();
    let name = match source {
        Source::DirectHistory => direct_cursor_name(channel),
        Source::Backfill | Source::Live => cursor_name(channel),
    };
    shared.release(channel);
    let Some(mut after) = store.cursor(&name)? else {
        store.advance_cursor(&name, snowflake_now())?;
        tracing::info!(channel = %channel, "channel history read from now on");
        return Ok(0);
    };
    let mut count = 0;
    for _ in 0..MAX_PAGES {
        let mut page = channel
            .messages(
                &shared.http,
                GetMessages::new().after(MessageId::new(after.max(1))).limit(PAGE),
            )
            .await?;
        let full = page.len() >= usize::from(PAGE);
        // Discord returns newest first; the desk must see them in order.
        page.sort_by_key(|message| message.id);
        for message in page {
            after = after.max(message.id.get());
            shared.handle_message(message, source).await;
            count += 1;
        }
        if !full {
            break;
        }
    }
    Ok(count)
}

/// Whether a DM read position is recent enough to be read after a reconnect.
/// The lookback matches how long the desk remembers handled ids (7 days), so
/// whatever such a read finds again is still recognised as a duplicate.
pub(super) fn is_recent(position: u64) -> bool {
    let lookback = (DIRECT_LOOKBACK.as_millis() as u64) << 22;
    position >= snowflake_now().saturating_sub(lookback)
}

/// Patrons' DM channels whose read position is recent.
fn recent_direct_channels(shared: &Shared) -> Result<Vec<ChannelId>, crate::store::StoreError> {
    Ok(shared
        .desk
        .store()
        .cursors(DIRECT_PREFIX)?
        .into_iter()
        .filter(|(_, position)| is_recent(*position))
        .filter_map(|(name, _)| name[DIRECT_PREFIX.len()..].parse::<u64>().ok())
        .filter(|id| *id != 0)
        .map(ChannelId::new)
        .collect())
}

/// The id a message posted now would have (at least): milliseconds since
/// Discord's epoch, shifted past the worker, process and increment bits.
fn snowflake_now() -> u64 {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64);
    millis.saturating_sub(DISCORD_EPOCH_MS) << 22
}

#[derive(Debug, thiserror::Error)]
enum BackfillError {
    #[error(transparent)]
    Discord(#[from] serenity::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_of_now_are_after_older_ids() {
        // A message id from 2024 (Discord's documented example is from 2016).
        assert!(snowflake_now() > 1_200_000_000_000_000_000);
        assert_eq!(cursor_name(ChannelId::new(42)), "discord/channel/42");
        assert_eq!(direct_cursor_name(ChannelId::new(42)), "discord/dm/42");
    }
}
