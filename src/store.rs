//! Durable state in sled: tickets, staff-message → ticket links, patron
//! preferences, handled update ids, the outbox, the unanswered-question log
//! and adapters' read cursors (how far each has read a platform's history).
//!
//! This is the only module that names sled. Everything lives in one tree under
//! key prefixes so that the effects of one incoming message are one atomic
//! `sled::Batch`, flushed before the message counts as handled.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::chat::{ChatRef, Outgoing, Platform, UserRef};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the data directory {0} is in use by another refdesk (only one instance may use it; stop the other one first)"
    )]
    Locked(PathBuf),
    #[error("the store in {path} is damaged and was not opened (restore it from a backup): {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("storage failure: {0}")]
    Io(String),
}

impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> Self {
        StoreError::Io(error.to_string())
    }
}

/// Whether a ticket still waits for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    Open,
    Closed,
}

/// Who wrote one entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "role", content = "name")]
pub enum Author {
    Patron,
    Staff(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEntry {
    pub at: DateTime<Utc>,
    pub author: Author,
    pub text: String,
}

/// One escalated question and everything said about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: u64,
    pub branch: Option<String>,
    pub patron: UserRef,
    pub patron_chat: ChatRef,
    /// The patron's message that opened it, for the staff reply to reply to.
    pub patron_message: String,
    pub display_name: String,
    pub question: String,
    /// The engine's best guess, as `kind:target (confidence)`, for staff.
    pub guess: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub status: TicketStatus,
    pub claimed_by: Option<String>,
    pub first_staff_reply_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// 0: none yet; 1: reminded its staff; 2: also sent to the system-wide staff.
    pub escalation_level: u8,
    pub history: Vec<TicketEntry>,
}

/// What refdesk remembers about one patron.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Patron {
    pub home_branch: Option<String>,
    pub open_ticket: Option<u64>,
    /// Set by `/forget`; a confirmation within a few minutes erases everything.
    pub forget_requested_at: Option<DateTime<Utc>>,
    /// The platform refused delivery permanently (the patron blocked the bot).
    pub undeliverable: bool,
}

/// Why a message is in the outbox; decides what a permanent failure means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Purpose {
    /// An answer or notice to a patron.
    Patron { patron: UserRef, ticket: Option<u64> },
    /// A ticket posted to staff; replies to it find the ticket.
    TicketToStaff { ticket: u64 },
    /// Anything else for staff (confirmations, lists, reminders without links).
    Staff,
}

/// One message waiting to be sent, retried until the platform confirms it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Also the nonce the platform deduplicates on. Increasing, so per-chat
    /// order is key order.
    pub id: u64,
    pub message: Outgoing,
    pub purpose: Purpose,
    pub attempts: u32,
    /// Not to be sent before this instant (retry_after, backoff).
    pub not_before: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A question refdesk could not answer, for `refdesk report`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unanswered {
    pub at: DateTime<Utc>,
    pub branch: Option<String>,
    pub patron: UserRef,
    pub question: String,
    pub ticket: Option<u64>,
}

/// The writes caused by one event, applied atomically by `Store::commit`.
#[derive(Debug, Default)]
pub struct Changes {
    handled: Vec<(Platform, String)>,
    puts: Vec<(Vec<u8>, Vec<u8>)>,
    removes: Vec<Vec<u8>>,
    now: Option<DateTime<Utc>>,
}

impl Changes {
    pub fn new(now: DateTime<Utc>) -> Self {
        Changes {
            now: Some(now),
            ..Changes::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.handled.is_empty() && self.puts.is_empty() && self.removes.is_empty()
    }

    pub fn mark_handled(&mut self, platform: Platform, update_id: &str) {
        self.handled.push((platform, update_id.to_string()));
    }

    pub fn put_ticket(&mut self, ticket: &Ticket) {
        self.puts.push((ticket_key(ticket.id), encode(ticket)));
    }

    pub fn remove_ticket(&mut self, id: u64) {
        self.removes.push(ticket_key(id));
    }

    pub fn put_patron(&mut self, user: &UserRef, patron: &Patron) {
        self.puts.push((patron_key(user), encode(patron)));
    }

    pub fn remove_patron(&mut self, user: &UserRef) {
        self.removes.push(patron_key(user));
    }

    pub fn put_outbox(&mut self, entry: &OutboxEntry) {
        self.puts
            .push((outbox_key(&entry.message.chat, entry.id), encode(entry)));
    }

    pub fn remove_outbox(&mut self, entry: &OutboxEntry) {
        self.removes.push(outbox_key(&entry.message.chat, entry.id));
    }

    pub fn link_staff_message(&mut self, chat: &ChatRef, message_id: &str, ticket: u64) {
        self.puts
            .push((staff_message_key(chat, message_id), ticket.to_be_bytes().to_vec()));
    }

    pub fn unlink_staff_message(&mut self, key: Vec<u8>) {
        self.removes.push(key);
    }

    pub fn log_unanswered(&mut self, id: u64, record: &Unanswered) {
        self.puts.push((unanswered_key(id), encode(record)));
    }

    pub fn remove_unanswered(&mut self, id: u64) {
        self.removes.push(unanswered_key(id));
    }

    pub fn move_chat(&mut self, from: &ChatRef, to: &ChatRef) {
        self.puts.push((chat_move_key(from), to.chat_id.as_bytes().to_vec()));
    }
}

/// The refdesk database.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    state: sled::Tree,
}

/// 40 × 50 ms: how long opening waits for a lock held by a store that is shutting down.
const LOCK_RETRIES: u32 = 40;

const TICKET: &[u8] = b"t/";
const PATRON: &[u8] = b"p/";
const OUTBOX: &[u8] = b"o/";
const HANDLED: &[u8] = b"h/";
const STAFF_MESSAGE: &[u8] = b"s/";
const UNANSWERED: &[u8] = b"u/";
const CHAT_MOVE: &[u8] = b"m/";
const CURSOR: &[u8] = b"c/";
const TICKET_COUNTER: &[u8] = b"meta/ticket_counter";

impl Store {
    /// Opens (or creates) the store in `directory`, with sled's page cache capped at `cache_bytes`.
    pub fn open(directory: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        std::fs::create_dir_all(directory).map_err(|error| {
            StoreError::Io(format!("cannot create data directory {}: {error}", directory.display()))
        })?;
        let config = sled::Config::new()
            .path(directory.join("refdesk.sled"))
            .cache_capacity(cache_bytes);
        // sled releases its file lock from a background thread after the last
        // handle is dropped, so a restart within the same process (or right
        // after a previous instance exited) may briefly see it held.
        let mut attempts = 0;
        let db = loop {
            match config.open().map_err(|error| classify_open_error(directory, error)) {
                Err(StoreError::Locked(_)) if attempts < LOCK_RETRIES => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => break other?,
            }
        };
        Store::from_db(db, directory)
    }

    /// A store that lives in memory only, for `refdesk chat` and tests.
    pub fn temporary() -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .temporary(true)
            .cache_capacity(8 * 1024 * 1024)
            .open()?;
        Store::from_db(db, Path::new("(temporary)"))
    }

    fn from_db(db: sled::Db, directory: &Path) -> Result<Store, StoreError> {
        let state = db.open_tree("state")?;
        let store = Store { db, state };
        // Decode every record once so a damaged store stops startup instead of failing later.
        store.verify().map_err(|detail| StoreError::Corrupt {
            path: directory.to_path_buf(),
            detail,
        })?;
        Ok(store)
    }

    fn verify(&self) -> Result<(), String> {
        for item in self.state.iter() {
            let (key, value) = item.map_err(|error| error.to_string())?;
            let valid = if key.starts_with(TICKET) {
                decode::<Ticket>(&value).is_ok()
            } else if key.starts_with(PATRON) {
                decode::<Patron>(&value).is_ok()
            } else if key.starts_with(OUTBOX) {
                decode::<OutboxEntry>(&value).is_ok()
            } else if key.starts_with(UNANSWERED) {
                decode::<Unanswered>(&value).is_ok()
            } else {
                true
            };
            if !valid {
                return Err(format!("unreadable record {}", String::from_utf8_lossy(&key)));
            }
        }
        Ok(())
    }

    pub fn is_handled(&self, platform: Platform, update_id: &str) -> Result<bool, StoreError> {
        Ok(self.state.contains_key(handled_key(platform, update_id))?)
    }

    /// Applies all changes atomically and waits until they are on disk.
    pub fn commit(&self, changes: Changes) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let now = changes.now.unwrap_or_else(Utc::now);
        let mut batch = sled::Batch::default();
        for key in changes.removes {
            batch.remove(key);
        }
        for (key, value) in changes.puts {
            batch.insert(key, value);
        }
        for (platform, update_id) in changes.handled {
            batch.insert(
                handled_key(platform, &update_id),
                now.timestamp().to_be_bytes().to_vec(),
            );
        }
        self.state.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// The next ticket number. A crash may skip a number; numbers are never reused.
    pub fn next_ticket_id(&self) -> Result<u64, StoreError> {
        let value = self.state.update_and_fetch(TICKET_COUNTER, |old| {
            let current = old.map(read_u64).unwrap_or(0);
            Some((current + 1).to_be_bytes().to_vec())
        })?;
        Ok(value.map(|bytes| read_u64(&bytes)).unwrap_or(1))
    }

    /// A fresh id for an outbox entry or a log record; increasing across restarts.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        Ok(self.db.generate_id()?)
    }

    pub fn ticket(&self, id: u64) -> Result<Option<Ticket>, StoreError> {
        self.get(&ticket_key(id))
    }

    /// Every ticket, oldest first.
    pub fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        self.scan(TICKET)
    }

    pub fn patron(&self, user: &UserRef) -> Result<Option<Patron>, StoreError> {
        self.get(&patron_key(user))
    }

    pub fn ticket_for_staff_message(&self, chat: &ChatRef, message_id: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .state
            .get(staff_message_key(chat, message_id))?
            .map(|bytes| read_u64(&bytes)))
    }

    /// Keys of the staff-message links of a ticket, for purging it.
    pub fn staff_message_keys(&self, ticket: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut keys = Vec::new();
        for item in self.state.scan_prefix(STAFF_MESSAGE) {
            let (key, value) = item?;
            if read_u64(&value) == ticket {
                keys.push(key.to_vec());
            }
        }
        Ok(keys)
    }

    /// The whole outbox, grouped by chat, each chat's entries in id order.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.scan(OUTBOX)
    }

    /// The oldest entry of every chat: the only ones that may be sent next.
    /// Keys are grouped by chat, so only one value per chat is decoded.
    pub fn outbox_heads(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut heads = Vec::new();
        let mut current_chat: Option<Vec<u8>> = None;
        for item in self.state.scan_prefix(OUTBOX) {
            let (key, value) = item?;
            let chat_part = &key[..key.len().saturating_sub(8)];
            if current_chat.as_deref() == Some(chat_part) {
                continue;
            }
            current_chat = Some(chat_part.to_vec());
            heads.push(
                decode(&value)
                    .map_err(|error| StoreError::Io(format!("record {}: {error}", String::from_utf8_lossy(&key))))?,
            );
        }
        // Oldest first across chats, so no chat's backlog starves another.
        heads.sort_by_key(|entry: &OutboxEntry| entry.id);
        Ok(heads)
    }

    pub fn outbox_entry(&self, chat: &ChatRef, id: u64) -> Result<Option<OutboxEntry>, StoreError> {
        self.get(&outbox_key(chat, id))
    }

    pub fn outbox_len(&self) -> usize {
        self.state.scan_prefix(OUTBOX).count()
    }

    pub fn unanswered(&self) -> Result<Vec<(u64, Unanswered)>, StoreError> {
        let mut records = Vec::new();
        for item in self.state.scan_prefix(UNANSWERED) {
            let (key, value) = item?;
            let record = decode(&value).map_err(|detail| StoreError::Io(detail.to_string()))?;
            records.push((read_u64(&key[UNANSWERED.len()..]), record));
        }
        Ok(records)
    }

    /// Where a chat moved to (a Telegram group that became a supergroup), if it did.
    pub fn moved_chat(&self, chat: &ChatRef) -> Result<Option<ChatRef>, StoreError> {
        Ok(self.state.get(chat_move_key(chat))?.map(|bytes| ChatRef {
            platform: chat.platform,
            chat_id: String::from_utf8_lossy(&bytes).into_owned(),
        }))
    }

    /// How far an adapter has read a platform's history, under a name of its
    /// choosing ("discord/channel/8123"): the greatest id it recorded, if any.
    /// Adapters use it to fetch what arrived while they were disconnected.
    pub fn cursor(&self, name: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.state.get(cursor_key(name))?.map(|bytes| read_u64(&bytes)))
    }

    /// Moves a cursor forward to `position`; it never moves back, so callers
    /// may record positions in any order. Not flushed by itself: a cursor lost
    /// in a crash only means some history is read (and deduplicated) again.
    pub fn advance_cursor(&self, name: &str, position: u64) -> Result<(), StoreError> {
        self.state.update_and_fetch(cursor_key(name), |old| {
            let current = old.map(read_u64);
            Some(
                current
                    .map_or(position, |current| current.max(position))
                    .to_be_bytes()
                    .to_vec(),
            )
        })?;
        Ok(())
    }

    /// Every cursor whose name starts with `prefix`, with its position.
    pub fn cursors(&self, prefix: &str) -> Result<Vec<(String, u64)>, StoreError> {
        let mut cursors = Vec::new();
        for item in self.state.scan_prefix(cursor_key(prefix)) {
            let (key, value) = item?;
            if let Ok(name) = std::str::from_utf8(&key[CURSOR.len()..]) {
                cursors.push((name.to_string(), read_u64(&value)));
            }
        }
        Ok(cursors)
    }

    /// Forgets handled-update ids older than `before`; redeliveries come within minutes, not days.
    pub fn purge_handled(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut count = 0;
        for item in self.state.scan_prefix(HANDLED) {
            let (key, value) = item?;
            if (read_u64(&value) as i64) < before.timestamp() {
                batch.remove(key);
                count += 1;
            }
        }
        self.state.apply_batch(batch)?;
        Ok(count)
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.state.get(key)? {
            Some(bytes) => decode(&bytes)
                .map(Some)
                .map_err(|error| StoreError::Io(format!("record {}: {error}", String::from_utf8_lossy(key)))),
            None => Ok(None),
        }
    }

    fn scan<T: DeserializeOwned>(&self, prefix: &[u8]) -> Result<Vec<T>, StoreError> {
        let mut records = Vec::new();
        for item in self.state.scan_prefix(prefix) {
            let (key, value) = item?;
            records.push(
                decode(&value)
                    .map_err(|error| StoreError::Io(format!("record {}: {error}", String::from_utf8_lossy(&key))))?,
            );
        }
        Ok(records)
    }
}

fn classify_open_error(directory: &Path, error: sled::Error) -> StoreError {
    match error {
        sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock || io.raw_os_error() == Some(11) => {
            StoreError::Locked(directory.to_path_buf())
        }
        sled::Error::Io(io) if io.to_string().contains("lock") => StoreError::Locked(directory.to_path_buf()),
        sled::Error::Corruption { .. } | sled::Error::Unsupported(_) | sled::Error::ReportableBug(_) => {
            StoreError::Corrupt {
                path: directory.to_path_buf(),
                detail: error.to_string(),
            }
        }
        other => StoreError::Io(other.to_string()),
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain data structs with string keys cannot fail.
    serde_json::to_vec(value).expect("store records serialise to JSON")
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes)
}

fn read_u64(bytes: &[u8]) -> u64 {
    let mut array = [0u8; 8];
    let length = bytes.len().min(8);
    array[8 - length..].copy_from_slice(&bytes[..length]);
    u64::from_be_bytes(array)
}

fn keyed(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut key = prefix.to_vec();
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            key.push(0);
        }
        key.extend_from_slice(part);
    }
    key
}

fn ticket_key(id: u64) -> Vec<u8> {
    keyed(TICKET, &[&id.to_be_bytes()])
}

/// Grouped by chat, then by id: a chat's entries are contiguous and in order.
fn outbox_key(chat: &ChatRef, id: u64) -> Vec<u8> {
    keyed(
        OUTBOX,
        &[
            chat.platform.name().as_bytes(),
            chat.chat_id.as_bytes(),
            &id.to_be_bytes(),
        ],
    )
}

fn unanswered_key(id: u64) -> Vec<u8> {
    keyed(UNANSWERED, &[&id.to_be_bytes()])
}

fn patron_key(user: &UserRef) -> Vec<u8> {
    keyed(PATRON, &[user.platform.name().as_bytes(), user.user_id.as_bytes()])
}

fn handled_key(platform: Platform, update_id: &str) -> Vec<u8> {
    keyed(HANDLED, &[platform.name().as_bytes(), update_id.as_bytes()])
}

fn staff_message_key(chat: &ChatRef, message_id: &str) -> Vec<u8> {
    keyed(
        STAFF_MESSAGE,
        &[
            chat.platform.name().as_bytes(),
            chat.chat_id.as_bytes(),
            message_id.as_bytes(),
        ],
    )
}

fn cursor_key(name: &str) -> Vec<u8> {
    keyed(CURSOR, &[name.as_bytes()])
}

fn chat_move_key(chat: &ChatRef) -> Vec<u8> {
    keyed(CHAT_MOVE, &[chat.platform.name().as_bytes(), chat.chat_id.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_survives_reopening() {
        let directory = tempfile::tempdir().unwrap();
        let user = UserRef::new(Platform::Telegram, "7");
        {
            let store = Store::open(directory.path(), 1 << 20).unwrap();
            let mut changes = Changes::new(Utc::now());
            changes.mark_handled(Platform::Telegram, "100");
            changes.put_patron(
                &user,
                &Patron {
                    home_branch: Some("main".into()),
                    ..Patron::default()
                },
            );
            store.commit(changes).unwrap();
            assert_eq!(store.next_ticket_id().unwrap(), 1);
            assert_eq!(store.next_ticket_id().unwrap(), 2);
        }
        let store = Store::open(directory.path(), 1 << 20).unwrap();
        assert!(store.is_handled(Platform::Telegram, "100").unwrap());
        assert!(!store.is_handled(Platform::Discord, "100").unwrap());
        assert_eq!(
            store.patron(&user).unwrap().unwrap().home_branch.as_deref(),
            Some("main")
        );
        assert_eq!(store.next_ticket_id().unwrap(), 3);
    }

    #[test]
    fn cursors_are_listed_by_prefix() {
        let store = Store::temporary().expect("store");
        store.advance_cursor("discord/dm/1", 10).expect("advance");
        store.advance_cursor("discord/dm/2", 20).expect("advance");
        store.advance_cursor("discord/channel/3", 30).expect("advance");
        let mut direct = store.cursors("discord/dm/").expect("list");
        direct.sort();
        assert_eq!(
            direct,
            vec![("discord/dm/1".to_string(), 10), ("discord/dm/2".to_string(), 20)]
        );
    }

    #[test]
    fn cursors_only_move_forward() {
        let store = Store::temporary().unwrap();
        assert_eq!(store.cursor("discord/channel/1").unwrap(), None);
        store.advance_cursor("discord/channel/1", 50).unwrap();
        store.advance_cursor("discord/channel/1", 20).unwrap();
        assert_eq!(store.cursor("discord/channel/1").unwrap(), Some(50));
        store.advance_cursor("discord/channel/1", 70).unwrap();
        assert_eq!(store.cursor("discord/channel/1").unwrap(), Some(70));
        assert_eq!(store.cursor("discord/channel/2").unwrap(), None);
    }

    #[test]
    fn a_second_instance_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let _first = Store::open(directory.path(), 1 << 20).unwrap();
        let error = Store::open(directory.path(), 1 << 20)
            .err()
            .expect("second open must fail");
        assert!(matches!(error, StoreError::Locked(_)), "{error}");
    }

    #[test]
    fn a_damaged_record_stops_opening() {
        let directory = tempfile::tempdir().unwrap();
        {
            let store = Store::open(directory.path(), 1 << 20).unwrap();
            store.state.insert(ticket_key(1), b"{not json".to_vec()).unwrap();
            store.flush().unwrap();
        }
        let error = Store::open(directory.path(), 1 << 20)
            .err()
            .expect("damaged store must not open");
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
        assert!(error.to_string().contains("backup"), "{error}");
    }
}
