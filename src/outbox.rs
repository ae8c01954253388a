//! The outbox sender: takes due messages from the store, hands each to its
//! platform's adapter and records the outcome. One message per chat is in
//! flight at a time, so each chat gets its messages in order, while a slow or
//! rate-limited chat delays no other chat.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinSet;

use crate::chat::{Adapter, ChatRef, Platform};
use crate::desk::Desk;

/// Even without a wakeup the outbox is looked at this often (retries come due).
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How long shutdown waits for sends already under way.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends until `shutdown` completes, then waits briefly for sends in flight.
/// Whatever is still unsent stays in the store for the next start.
pub async fn run(desk: Arc<Desk>, adapters: Vec<Arc<dyn Adapter>>, shutdown: impl Future<Output = ()>) {
    let adapters: HashMap<Platform, Arc<dyn Adapter>> = adapters
        .into_iter()
        .map(|adapter| (adapter.platform(), adapter))
        .collect();
    let in_flight: Arc<Mutex<HashSet<ChatRef>>> = Arc::new(Mutex::new(HashSet::new()));
    let mut tasks = JoinSet::new();
    let mut warned_platforms: HashSet<Platform> = HashSet::new();
    tokio::pin!(shutdown);
    loop {
        let busy = in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let (due, next_due) = match desk.due_messages(&busy) {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(%error, "cannot read the outbox");
                (Vec::new(), None)
            }
        };
        for entry in due {
            let platform = entry.message.chat.platform;
            let Some(adapter) = adapters.get(&platform).cloned() else {
                if warned_platforms.insert(platform) {
                    tracing::warn!(%platform, "messages wait in the outbox for a platform that is not running");
                }
                continue;
            };
            let chat = entry.message.chat.clone();
            in_flight
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(chat.clone());
            let desk = Arc::clone(&desk);
            let in_flight = Arc::clone(&in_flight);
            tasks.spawn(async move {
                let result = adapter.send(&entry.message, entry.id).await;
                if let Err(error) = desk.send_result(&entry, result) {
                    tracing::error!(outbox = entry.id, %error, "cannot record a send result");
                }
                in_flight
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .remove(&chat);
                desk.outbox_wakeup().notify_one();
            });
        }
        while tasks.try_join_next().is_some() {}
        let wait = next_due
            .and_then(|due| (due - desk.now()).to_std().ok())
            .map_or(POLL_INTERVAL, |until| until.min(POLL_INTERVAL));
        tokio::select! {
            _ = &mut shutdown => break,
            _ = desk.outbox_wakeup().notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("shutdown: sends still in flight were abandoned; they stay in the outbox");
    }
}
