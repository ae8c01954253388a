//! `refdesk run`: wires the store, the knowledge, the desk, the platform
//! adapters, the outbox sender, the reminder timer, live knowledge reload and
//! the status endpoint, and owns the one shutdown path.
//!
//! Shutdown order: stop taking updates (adapters), let the outbox finish the
//! sends in flight, then flush the store last.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::adapters::{self, Shutdown, Started};
use crate::chat::{Adapter, Platform};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::desk::Desk;
use crate::engine::{Engine, EngineConfig};
use crate::knowledge::{self, Diagnostic};
use crate::outbox;
use crate::store::{Store, StoreError};

/// How often reminders and purges run.
const TICK_INTERVAL: Duration = Duration::from_secs(30);
/// File events closer together than this are one edit (editors write in several steps).
const RELOAD_SETTLE: Duration = Duration::from_millis(300);

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the knowledge in {} has {} error(s); run `refdesk check --knowledge {}`", .directory.display(), .diagnostics.len(), .directory.display())]
    Knowledge {
        directory: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
    #[error(
        "no chat platform is configured: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN (and a [telegram] or [discord] section in the config), or try the bot locally with `refdesk chat`"
    )]
    NoPlatforms,
    #[error("{platform} adapter: {message}")]
    Adapter { platform: Platform, message: String },
    #[error("status endpoint on 127.0.0.1:{port}: {source}")]
    Status {
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

/// Tokens read from the environment by `main`.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    pub telegram: Option<String>,
    pub discord: Option<String>,
}

/// A daemon's running state: what tests and the binary need to see.
pub struct Running {
    pub desk: Arc<Desk>,
    tasks: Vec<JoinHandle<()>>,
    receivers: Vec<JoinHandle<()>>,
    outbox: JoinHandle<()>,
}

/// Starts everything; returns once the platforms are connected.
pub async fn start(config: Config, tokens: Tokens, shutdown: Shutdown) -> Result<Running, DaemonError> {
    start_with_clock(config, tokens, shutdown, Arc::new(SystemClock)).await
}

pub async fn start_with_clock(
    config: Config,
    tokens: Tokens,
    shutdown: Shutdown,
    clock: Arc<dyn Clock>,
) -> Result<Running, DaemonError> {
    if tokens.telegram.is_none() && tokens.discord.is_none() {
        return Err(DaemonError::NoPlatforms);
    }
    let store = Store::open(&config.data_dir, config.cache_bytes)?;
    let engine = load_engine(&config.knowledge, config.escalate_below)?;
    let desk = Arc::new(Desk::new(engine, store, config.desk.clone(), clock));
    let started: Vec<Started> = adapters::start_configured(Arc::clone(&desk), &config, &tokens, shutdown.clone())
        .await
        .map_err(|(platform, message)| DaemonError::Adapter { platform, message })?;
    if started.is_empty() {
        return Err(DaemonError::NoPlatforms);
    }
    let mut tasks = Vec::new();
    let mut receivers = Vec::new();
    let mut senders: Vec<Arc<dyn Adapter>> = Vec::new();
    for running in started {
        senders.push(running.adapter);
        receivers.push(running.receiver);
    }
    let outbox = tokio::spawn(outbox::run(
        Arc::clone(&desk),
        senders,
        shutdown.clone().cancelled_owned(),
    ));
    tasks.push(tokio::spawn(tick_loop(Arc::clone(&desk), shutdown.clone())));
    tasks.push(tokio::spawn(watch_knowledge(
        Arc::clone(&desk),
        config.knowledge.clone(),
        config.escalate_below,
        shutdown.clone(),
    )));
    if let Some(port) = config.status_port {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| DaemonError::Status { port, source })?;
        tasks.push(tokio::spawn(crate::status::serve(
            listener,
            Arc::clone(&desk),
            shutdown.clone(),
        )));
    }
    tracing::info!(data = %config.data_dir.display(), "refdesk is running");
    Ok(Running {
        desk,
        tasks,
        receivers,
        outbox,
    })
}

impl Running {
    /// Waits for the shutdown token, then stops in order and flushes the store.
    pub async fn finish(self) -> Result<(), DaemonError> {
        for receiver in self.receivers {
            let _ = receiver.await;
        }
        let _ = self.outbox.await;
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
        self.desk.store().flush()?;
        tracing::info!("refdesk stopped; the store is flushed");
        Ok(())
    }
}

/// Loads and indexes a knowledge directory.
pub fn load_engine(directory: &Path, escalate_below: f32) -> Result<Engine, DaemonError> {
    match knowledge::load_dir(directory) {
        Ok((knowledge, warnings)) => {
            for warning in warnings {
                tracing::warn!(%warning, "knowledge");
            }
            Ok(Engine::new(Arc::new(knowledge), EngineConfig { escalate_below }))
        }
        Err(error) => Err(DaemonError::Knowledge {
            directory: directory.to_path_buf(),
            diagnostics: error.diagnostics,
        }),
    }
}

/// Reloads the knowledge; a broken edit keeps the last good snapshot and tells the system-wide staff.
pub fn reload(desk: &Desk, directory: &Path, escalate_below: f32) -> bool {
    match load_engine(directory, escalate_below) {
        Ok(engine) => {
            desk.replace_engine(engine);
            tracing::info!(directory = %directory.display(), "knowledge reloaded");
            true
        }
        Err(DaemonError::Knowledge { diagnostics, .. }) => {
            for diagnostic in &diagnostics {
                tracing::error!(%diagnostic, "knowledge reload rejected");
            }
            let first = diagnostics
                .iter()
                .find(|diagnostic| diagnostic.is_error())
                .map(ToString::to_string)
                .unwrap_or_default();
            let notice = format!(
                "Knowledge edit not loaded: {} problem(s); the previous version stays in force. First: {first}. Run `refdesk check` for the full list.",
                diagnostics.len()
            );
            if let Err(error) = desk.notify_system_staff(&notice) {
                tracing::error!(%error, "cannot queue the reload notice");
            }
            false
        }
        Err(other) => {
            tracing::error!(error = %other, "knowledge reload failed");
            false
        }
    }
}

async fn tick_loop(desk: Arc<Desk>, shutdown: Shutdown) {
    let mut interval = tokio::time::interval(TICK_INTERVAL);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = interval.tick() => {
                let desk = Arc::clone(&desk);
                let result = tokio::task::spawn_blocking(move || desk.tick()).await;
                if let Ok(Err(error)) = result {
                    tracing::error!(%error, "reminder tick failed");
                }
            }
        }
    }
}

/// Watches the knowledge directory (and SIGHUP) and reloads after edits settle.
pub async fn watch_knowledge(desk: Arc<Desk>, directory: PathBuf, escalate_below: f32, shutdown: Shutdown) {
    use notify::Watcher;
    let (sender, mut changes) = tokio::sync::mpsc::unbounded_channel::<()>();
    let watcher_sender = sender.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|event| !event.kind.is_access()) {
            let _ = watcher_sender.send(());
        }
    });
    let _watcher = match watcher {
        Ok(mut watcher) => match watcher.watch(&directory, notify::RecursiveMode::Recursive) {
            Ok(()) => Some(watcher),
            Err(error) => {
                tracing::warn!(%error, "cannot watch the knowledge directory; reload with SIGHUP");
                None
            }
        },
        Err(error) => {
            tracing::warn!(%error, "no file watcher; reload with SIGHUP");
            None
        }
    };
    #[cfg(unix)]
    {
        let hangup_sender = sender.clone();
        let hangup_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
                return;
            };
            loop {
                tokio::select! {
                    _ = hangup_shutdown.cancelled() => return,
                    received = hangups.recv() => {
                        if received.is_none() {
                            return;
                        }
                        tracing::info!("SIGHUP: reloading knowledge");
                        let _ = hangup_sender.send(());
                    }
                }
            }
        });
    }
    drop(sender);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            change = changes.recv() => {
                if change.is_none() {
                    return;
                }
            }
        }
        // Let a burst of writes settle, then reload once.
        while let Ok(Some(())) = tokio::time::timeout(RELOAD_SETTLE, changes.recv()).await {}
        let desk = Arc::clone(&desk);
        let directory = directory.clone();
        let _ = tokio::task::spawn_blocking(move || reload(&desk, &directory, escalate_below)).await;
    }
}

/// Counter values for the status endpoint and logs.
pub fn counters_snapshot(desk: &Desk) -> Vec<(&'static str, u64)> {
    let counters = &desk.counters;
    vec![
        ("refdesk_messages_total", counters.messages.load(Ordering::Relaxed)),
        ("refdesk_answered_total", counters.answered.load(Ordering::Relaxed)),
        ("refdesk_escalated_total", counters.escalated.load(Ordering::Relaxed)),
        (
            "refdesk_staff_replies_total",
            counters.staff_replies.load(Ordering::Relaxed),
        ),
        ("refdesk_refused_total", counters.refused.load(Ordering::Relaxed)),
        ("refdesk_duplicates_total", counters.duplicates.load(Ordering::Relaxed)),
        ("refdesk_sent_total", counters.sent.load(Ordering::Relaxed)),
        (
            "refdesk_send_failures_total",
            counters.send_failures.load(Ordering::Relaxed),
        ),
    ]
}
