//! The conversation core: one incoming message in, durable state changes and
//! outbox messages out. Platform-neutral: it speaks `chat`'s vocabulary and
//! never names a platform crate.
//!
//! `Desk::handle` is the single entry point for adapters. It is synchronous:
//! it reads the store, decides, and commits every effect (ticket, outbox
//! messages, the handled mark) in one atomic, flushed batch before returning,
//! so an adapter may acknowledge the update to its platform as soon as it
//! returns.

mod patron;
mod staff;
mod texts;
mod tickets;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration as TimeDelta, Utc};

use crate::chat::{ChatRef, Delivered, Incoming, Outgoing, Platform, SendError, UserRef};
use crate::clock::Clock;
use crate::config::DeskConfig;
use crate::engine::Engine;
use crate::store::{Changes, OutboxEntry, Purpose, Store, StoreError};

pub use texts::{excerpt, format_minutes};
pub use tickets::open_time_between;

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `handle` did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Answered, escalated, or a command carried out.
    Done,
    /// Seen before (a redelivery); nothing was done again.
    Duplicate,
    /// Not for the bot (group chatter without a mention or reply).
    Ignored,
}

/// Counters for the status endpoint.
#[derive(Debug, Default)]
pub struct Counters {
    pub messages: AtomicU64,
    pub answered: AtomicU64,
    pub escalated: AtomicU64,
    pub staff_replies: AtomicU64,
    pub refused: AtomicU64,
    pub duplicates: AtomicU64,
    pub sent: AtomicU64,
    pub send_failures: AtomicU64,
}

pub struct Desk {
    engine: RwLock<Arc<Engine>>,
    store: Store,
    config: DeskConfig,
    clock: Arc<dyn Clock>,
    /// Serialises every read-decide-commit cycle; a std mutex because nothing
    /// inside awaits, and the cycle (including the flush) is short.
    cycle: Mutex<()>,
    /// Messages each patron sent in the last minute, for flood control.
    recent: Mutex<HashMap<UserRef, FloodWindow>>,
    outbox_wakeup: tokio::sync::Notify,
    pub counters: Counters,
    /// When each platform last delivered an update, for the status endpoint.
    last_update: Mutex<HashMap<Platform, DateTime<Utc>>>,
}

#[derive(Debug, Default)]
struct FloodWindow {
    times: VecDeque<DateTime<Utc>>,
    warned: bool,
}

/// The effects of one event, collected before they are committed together.
struct Work<'a> {
    desk: &'a Desk,
    now: DateTime<Utc>,
    changes: Changes,
    queued: usize,
}

impl<'a> Work<'a> {
    fn new(desk: &'a Desk) -> Self {
        let now = desk.clock.now();
        Work {
            desk,
            now,
            changes: Changes::new(now),
            queued: 0,
        }
    }

    /// Queues a message in the outbox (sent after the commit).
    fn send(&mut self, mut message: Outgoing, purpose: Purpose) -> Result<u64, DeskError> {
        if let Some(moved) = self.desk.store.moved_chat(&message.chat)? {
            message.chat = moved;
        }
        let id = self.desk.store.next_id()?;
        self.changes.put_outbox(&OutboxEntry {
            id,
            message,
            purpose,
            attempts: 0,
            not_before: self.now,
            created_at: self.now,
        });
        self.queued += 1;
        Ok(id)
    }

    fn commit(self) -> Result<usize, DeskError> {
        let queued = self.queued;
        self.desk.store.commit(self.changes)?;
        Ok(queued)
    }
}

impl Desk {
    pub fn new(engine: Engine, store: Store, config: DeskConfig, clock: Arc<dyn Clock>) -> Self {
        Desk {
            engine: RwLock::new(Arc::new(engine)),
            store,
            config,
            clock,
            cycle: Mutex::new(()),
            recent: Mutex::new(HashMap::new()),
            outbox_wakeup: tokio::sync::Notify::new(),
            counters: Counters::default(),
            last_update: Mutex::new(HashMap::new()),
        }
    }

    /// The engine in force now. Cheap: clones an `Arc`.
    pub fn engine(&self) -> Arc<Engine> {
        Arc::clone(&self.engine.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Puts a new knowledge snapshot in force; messages in flight finish on the old one.
    pub fn replace_engine(&self, engine: Engine) {
        *self.engine.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(engine);
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &DeskConfig {
        &self.config
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// When each platform last delivered an update.
    pub fn last_updates(&self) -> HashMap<Platform, DateTime<Utc>> {
        self.last_update
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Woken whenever new messages enter the outbox.
    pub fn outbox_wakeup(&self) -> &tokio::sync::Notify {
        &self.outbox_wakeup
    }

    /// Handles one incoming message: answers, escalates or carries out a
    /// command. Everything it causes is durable when this returns.
    pub fn handle(&self, incoming: &Incoming) -> Result<Handled, DeskError> {
        self.last_update
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(incoming.chat.platform, self.clock.now());
        if !incoming.addressed {
            return Ok(Handled::Ignored);
        }
        let _cycle = self.cycle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let platform = incoming.chat.platform;
        if self.store.is_handled(platform, &incoming.update_id)? {
            self.counters.duplicates.fetch_add(1, Ordering::Relaxed);
            tracing::info!(%platform, update = %incoming.update_id, "duplicate update skipped");
            return Ok(Handled::Duplicate);
        }
        self.counters.messages.fetch_add(1, Ordering::Relaxed);
        let mut work = Work::new(self);
        work.changes.mark_handled(platform, &incoming.update_id);
        match self.config.staff_chat(&incoming.chat) {
            Some(staff_branch) => staff::handle(&mut work, incoming, staff_branch.map(str::to_string))?,
            None => patron::handle(&mut work, incoming)?,
        }
        let queued = work.commit()?;
        if queued > 0 {
            self.outbox_wakeup.notify_one();
        }
        Ok(Handled::Done)
    }

    /// Periodic duties: reminders for waiting tickets, purging old data.
    pub fn tick(&self) -> Result<(), DeskError> {
        let _cycle = self.cycle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut work = Work::new(self);
        tickets::remind(&mut work)?;
        tickets::purge(&mut work)?;
        let queued = work.commit()?;
        self.store.purge_handled(self.clock.now() - TimeDelta::days(7))?;
        if queued > 0 {
            self.outbox_wakeup.notify_one();
        }
        Ok(())
    }

    /// Posts a notice to the system-wide staff (a knowledge reload that failed).
    pub fn notify_system_staff(&self, text: &str) -> Result<(), DeskError> {
        let _cycle = self.cycle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut work = Work::new(self);
        for chat in self.config.system_staff.clone() {
            work.send(Outgoing::text(chat, text), Purpose::Staff)?;
        }
        if work.commit()? > 0 {
            self.outbox_wakeup.notify_one();
        }
        Ok(())
    }

    /// Outbox entries ready to go now: the oldest entry of each chat that is
    /// not already in flight, if its time has come. Also returns when the
    /// next waiting entry becomes due.
    pub fn due_messages(
        &self,
        in_flight: &std::collections::HashSet<ChatRef>,
    ) -> Result<(Vec<OutboxEntry>, Option<DateTime<Utc>>), DeskError> {
        // Taking the cycle lock means an entry is never seen before its commit is flushed.
        let _cycle = self.cycle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = self.clock.now();
        let mut due = Vec::new();
        let mut next_due: Option<DateTime<Utc>> = None;
        for entry in self.store.outbox_heads()? {
            if in_flight.contains(&entry.message.chat) {
                continue;
            }
            if entry.not_before <= now {
                due.push(entry);
            } else {
                next_due = Some(next_due.map_or(entry.not_before, |next| next.min(entry.not_before)));
            }
        }
        Ok((due, next_due))
    }

    /// Records the outcome of one send attempt.
    pub fn send_result(&self, sent: &OutboxEntry, result: Result<Delivered, SendError>) -> Result<(), DeskError> {
        let _cycle = self.cycle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = sent.id;
        let Some(entry) = self.store.outbox_entry(&sent.message.chat, id)? else {
            // Erased meanwhile (`/forget`): nothing to record.
            return Ok(());
        };
        let mut work = Work::new(self);
        match result {
            Ok(delivered) => {
                self.counters.sent.fetch_add(1, Ordering::Relaxed);
                work.changes.remove_outbox(&entry);
                if let Purpose::TicketToStaff { ticket } = entry.purpose {
                    for message_id in &delivered.message_ids {
                        work.changes.link_staff_message(&entry.message.chat, message_id, ticket);
                    }
                }
                tracing::debug!(outbox = id, chat = %entry.message.chat, "delivered");
            }
            Err(error) => {
                self.counters.send_failures.fetch_add(1, Ordering::Relaxed);
                tickets::send_failed(&mut work, entry, error)?;
            }
        }
        work.commit()?;
        self.outbox_wakeup.notify_one();
        Ok(())
    }

    /// Whether this patron has sent too much in the last minute. The first
    /// excess message gets a notice (`Some(true)`); later ones are dropped quietly.
    fn flood_check(&self, user: &UserRef, now: DateTime<Utc>) -> FloodVerdict {
        let limit = self.config.flood_per_minute as usize;
        let mut recent = self.recent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let window = recent.entry(user.clone()).or_default();
        while window
            .times
            .front()
            .is_some_and(|time| now - *time >= TimeDelta::seconds(60))
        {
            window.times.pop_front();
        }
        if window.times.is_empty() {
            window.warned = false;
        }
        if window.times.len() >= limit {
            if window.warned {
                return FloodVerdict::Drop;
            }
            window.warned = true;
            return FloodVerdict::Warn;
        }
        window.times.push_back(now);
        FloodVerdict::Allow
    }

    /// Forgets the flood window of a patron (`/forget`).
    fn forget_flood(&self, user: &UserRef) {
        self.recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(user);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FloodVerdict {
    Allow,
    Warn,
    Drop,
}

/// A `/command` with its argument text; the `@botname` suffix Telegram adds in groups is dropped.
fn parse_command(text: &str) -> Option<(String, &str)> {
    let rest = text.strip_prefix('/')?;
    let (name, argument) = match rest.find(char::is_whitespace) {
        Some(index) => (&rest[..index], rest[index..].trim()),
        None => (rest, ""),
    };
    let name = name.split('@').next().unwrap_or(name);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((name.to_ascii_lowercase(), argument))
}

/// Staff commands, refused outside staff chats.
const STAFF_COMMANDS: &[&str] = &["reply", "close", "tickets", "claim", "transfer"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed() {
        assert_eq!(parse_command("/help"), Some(("help".into(), "")));
        assert_eq!(
            parse_command("/reply 12  hello there"),
            Some(("reply".into(), "12  hello there"))
        );
        assert_eq!(
            parse_command("/hours@refdesk_bot eastside"),
            Some(("hours".into(), "eastside"))
        );
        assert_eq!(parse_command("/Branch Main"), Some(("branch".into(), "Main")));
        assert_eq!(parse_command("hello"), None);
        assert_eq!(parse_command("/ nope"), None);
        assert_eq!(parse_command("/12:30 ok"), None);
    }
}
