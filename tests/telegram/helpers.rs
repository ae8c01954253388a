//! Starts the real desk (temporary store, bundled knowledge) with the
//! Telegram adapter pointed at a fresh fake Bot API server, and the outbox.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use refdesk::adapters::Shutdown;
use refdesk::adapters::telegram;
use refdesk::chat::{ChatRef, Platform};
use refdesk::clock::SystemClock;
use refdesk::config::{DeskConfig, TelegramConfig};
use refdesk::desk::Desk;
use refdesk::engine::{Engine, EngineConfig};
use refdesk::store::Store;
use tokio::task::JoinHandle;

use crate::fake::{FakeTelegram, TOKEN};

/// A patron's private chat (Telegram uses the user id as the chat id).
pub const PATRON: i64 = 5001;
/// A second patron.
pub const OTHER_PATRON: i64 = 5002;
/// Northside's staff group.
pub const NORTHSIDE_STAFF: i64 = -100_200;
/// System-wide staff (tickets without a branch).
pub const SYSTEM_STAFF: i64 = -100_900;
/// Main Library's patron group.
pub const MAIN_GROUP: i64 = -100_300;
/// A staff member's user id.
pub const LIBRARIAN: i64 = 7001;

pub fn chat(id: i64) -> ChatRef {
    ChatRef::new(Platform::Telegram, id.to_string())
}

pub fn desk_config() -> DeskConfig {
    DeskConfig {
        branch_chats: BTreeMap::from([(chat(MAIN_GROUP), "main".to_string())]),
        branch_staff: BTreeMap::from([("northside".to_string(), vec![chat(NORTHSIDE_STAFF)])]),
        system_staff: vec![chat(SYSTEM_STAFF)],
        remind_after: Duration::from_secs(3600),
        fallback_after: Duration::from_secs(4 * 3600),
        retention_days: 90,
        flood_per_minute: 30,
    }
}

pub fn engine() -> Engine {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let (knowledge, _) = refdesk::knowledge::load_dir(&directory).expect("the bundled knowledge loads");
    Engine::new(Arc::new(knowledge), EngineConfig::default())
}

pub struct App {
    pub fake: FakeTelegram,
    pub desk: Arc<Desk>,
    shutdown: Shutdown,
    receiver: JoinHandle<()>,
    outbox: JoinHandle<()>,
}

pub async fn spawn_app() -> App {
    let fake = FakeTelegram::start().await;
    let store = Store::temporary().expect("a temporary store");
    let desk = Arc::new(Desk::new(engine(), store, desk_config(), Arc::new(SystemClock)));
    let shutdown = Shutdown::new();
    let config = TelegramConfig {
        api_url: Some(fake.url.clone()),
        ..TelegramConfig::default()
    };
    let started = telegram::start(Arc::clone(&desk), config, TOKEN.to_string(), shutdown.clone())
        .await
        .expect("the adapter starts against the fake");
    let outbox = tokio::spawn(refdesk::outbox::run(
        Arc::clone(&desk),
        vec![started.adapter],
        shutdown.clone().cancelled_owned(),
    ));
    App {
        fake,
        desk,
        shutdown,
        receiver: started.receiver,
        outbox,
    }
}

impl App {
    /// Stops both loops and waits for them.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), async {
            self.receiver.await.expect("receiver");
            self.outbox.await.expect("outbox");
        })
        .await
        .expect("the adapter stops promptly");
    }

    /// The ticket number in the last message to a staff chat ("Ticket #N").
    pub fn ticket_number(text: &str) -> u64 {
        let start = text.find("Ticket #").expect("a ticket post") + "Ticket #".len();
        text[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .expect("a ticket number")
    }
}
