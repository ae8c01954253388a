//! Starts the real desk, outbox and Discord adapter against a fake Discord,
//! with a temporary store and the bundled knowledge.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use refdesk::adapters::Shutdown;
use refdesk::adapters::discord;
use refdesk::chat::{Adapter, ChatRef, Delivered, Outgoing, Platform, SendError};
use refdesk::clock::Clock;
use refdesk::config::{DeskConfig, DiscordConfig};
use refdesk::desk::Desk;
use refdesk::engine::{Engine, EngineConfig};
use refdesk::knowledge::load_dir;
use refdesk::store::Store;
use tokio::task::JoinHandle;

use crate::fake::{FakeDiscord, GUILD_ID, bot_user, message, reply_to, user};

/// A DM channel between a patron and the bot.
pub const DM_CHANNEL: &str = "700000000000000001";
/// Northside's patron channel.
pub const NORTHSIDE_CHANNEL: &str = "700000000000000002";
/// Main's staff channel.
pub const MAIN_STAFF: &str = "700000000000000003";
/// The system-wide staff channel (tickets without a branch).
pub const SYSTEM_STAFF: &str = "700000000000000004";
/// A guild channel the config doesn't name.
pub const LOBBY_CHANNEL: &str = "700000000000000005";
/// A Telegram patron's chat.
pub const TELEGRAM_CHAT: &str = "5550001";

pub const PATRON: &str = "600000000000000001";
pub const STAFF: &str = "600000000000000002";

/// Real time moved to Tuesday 2026-12-01, 10:00 in the library's time zone
/// (branches open), so answers are fixed while retries still come due.
pub struct ShiftedClock {
    offset: chrono::Duration,
}

impl ShiftedClock {
    fn new() -> Self {
        let start: DateTime<Utc> = chrono_tz::America::Chicago
            .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
            .single()
            .unwrap()
            .to_utc();
        ShiftedClock {
            offset: start - Utc::now(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// A stand-in for the Telegram adapter: records what the core sends there.
#[derive(Default)]
pub struct RecordingAdapter {
    pub sent: Mutex<Vec<Outgoing>>,
}

impl RecordingAdapter {
    pub fn texts(&self) -> Vec<String> {
        self.sent.lock().unwrap().iter().map(Outgoing::plain_text).collect()
    }
}

#[async_trait::async_trait]
impl Adapter for RecordingAdapter {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    async fn send(&self, message: &Outgoing, _nonce: u64) -> Result<Delivered, SendError> {
        let mut sent = self.sent.lock().unwrap();
        sent.push(message.clone());
        Ok(Delivered {
            message_ids: vec![format!("t{}", sent.len())],
        })
    }
}

pub struct App {
    pub fake: FakeDiscord,
    pub desk: Arc<Desk>,
    pub telegram: Arc<RecordingAdapter>,
    pub shutdown: Shutdown,
    receiver: JoinHandle<()>,
    outbox: JoinHandle<()>,
}

pub fn desk_config() -> DeskConfig {
    let discord = |id: &str| ChatRef::new(Platform::Discord, id);
    let mut config = DeskConfig {
        remind_after: Duration::from_secs(3600),
        fallback_after: Duration::from_secs(4 * 3600),
        retention_days: 90,
        flood_per_minute: 10,
        ..DeskConfig::default()
    };
    config
        .branch_chats
        .insert(discord(NORTHSIDE_CHANNEL), "northside".to_string());
    config
        .branch_staff
        .insert("main".to_string(), vec![discord(MAIN_STAFF)]);
    config.system_staff = vec![discord(SYSTEM_STAFF)];
    config
}

/// A desk on a fresh temporary store and the bundled knowledge.
pub fn desk(store: Store) -> Arc<Desk> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let (knowledge, _) = load_dir(&directory).expect("the bundled knowledge loads");
    let engine = Engine::new(Arc::new(knowledge), EngineConfig::default());
    Arc::new(Desk::new(engine, store, desk_config(), Arc::new(ShiftedClock::new())))
}

/// Starts the fake Discord, the desk, the adapter and the outbox, and waits
/// until the gateway session is up.
pub async fn spawn_app() -> App {
    let fake = FakeDiscord::start().await;
    let store = Store::temporary().expect("a temporary store");
    spawn_app_with(fake, desk(store)).await
}

pub async fn spawn_app_with(fake: FakeDiscord, desk: Arc<Desk>) -> App {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "refdesk=debug,serenity=warn".into()),
        )
        .with_test_writer()
        .try_init();
    let shutdown = Shutdown::new();
    let config = DiscordConfig {
        api_url: Some(fake.api_url()),
    };
    let identifies = fake.identifies();
    let started = discord::start(Arc::clone(&desk), config, "test-token".to_string(), shutdown.clone())
        .await
        .expect("the adapter starts");
    let telegram = Arc::new(RecordingAdapter::default());
    let adapters: Vec<Arc<dyn Adapter>> = vec![started.adapter, Arc::clone(&telegram) as Arc<dyn Adapter>];
    let outbox = tokio::spawn(refdesk::outbox::run(
        Arc::clone(&desk),
        adapters,
        shutdown.clone().cancelled_owned(),
    ));
    fake.wait_for_session(identifies + 1, 0).await;
    App {
        fake,
        desk,
        telegram,
        shutdown,
        receiver: started.receiver,
        outbox,
    }
}

impl App {
    /// Stops everything the way the daemon does, within a deadline.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), async {
            self.receiver.await.expect("the receiver ends cleanly");
            self.outbox.await.expect("the outbox ends cleanly");
        })
        .await
        .expect("shutdown finishes");
    }
}

/// A patron's direct message to the bot; returns the message's id.
pub fn patron_dm(app: &App, text: &str) -> String {
    let id = app.fake.next_id();
    app.fake
        .user_message(message(&id, DM_CHANNEL, None, user(PATRON, "pat"), text));
    id
}

/// Opens ticket #1 from a DM and returns the ticket's message in Main's staff channel.
pub async fn open_ticket(app: &App) -> serde_json::Value {
    patron_dm(app, "who painted the mural by the stairs at main?");
    let ticket = app.fake.wait_for_post(MAIN_STAFF, "Ticket #1").await;
    app.fake.wait_for_post(DM_CHANNEL, "question #1").await;
    message(&ticket.id, MAIN_STAFF, Some(GUILD_ID), bot_user(), &ticket.content)
}

pub fn staff_reply(fake: &FakeDiscord, ticket: &serde_json::Value, text: &str) -> serde_json::Value {
    let id = fake.next_id();
    reply_to(
        message(&id, MAIN_STAFF, Some(GUILD_ID), user(STAFF, "sam"), text),
        ticket,
    )
}
