//! The conversation core with sled persistence: messages per second through
//! `Desk::handle` (every message committed and flushed, as in production),
//! for an answered mix and an escalated mix, plus the outbox round trip.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use refdesk::chat::{ChatKind, ChatRef, Delivered, Incoming, Platform, UserRef};
use refdesk::clock::SystemClock;
use refdesk::config::Config;
use refdesk::desk::Desk;
use refdesk::engine::{Engine, EngineConfig};
use refdesk::store::Store;

const ANSWERED: &[&str] = &[
    "how do I renew a book?",
    "is main open tomorrow?",
    "storytime this week",
    "i lost my library card",
    "which branches are open on sunday",
];

fn desk(directory: &Path) -> Desk {
    let knowledge_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let (knowledge, _) = refdesk::knowledge::load_dir(&knowledge_dir).expect("bundled knowledge");
    let engine = Engine::new(Arc::new(knowledge), EngineConfig::default());
    let mut config = Config::default().desk;
    config.system_staff = vec![ChatRef::new(Platform::Telegram, "-100")];
    config.flood_per_minute = u32::MAX;
    let store = Store::open(directory, 64 << 20).expect("store");
    Desk::new(engine, store, config, Arc::new(SystemClock))
}

fn message(sequence: u64, text: &str) -> Incoming {
    // Every message from a new patron, so escalations open new tickets.
    let user = sequence.to_string();
    Incoming {
        update_id: sequence.to_string(),
        chat: ChatRef::new(Platform::Telegram, &user),
        chat_kind: ChatKind::Direct,
        message_id: sequence.to_string(),
        sender: UserRef::new(Platform::Telegram, &user),
        display_name: "Bench".into(),
        text: text.into(),
        reply_to: None,
        reply_to_bot_text: None,
        addressed: true,
    }
}

/// Delivers everything due, as the outbox would with an instant platform.
fn drain(desk: &Desk) {
    loop {
        let (due, _) = desk.due_messages(&Default::default()).expect("outbox");
        if due.is_empty() {
            return;
        }
        for entry in due {
            let delivered = Delivered {
                message_ids: vec![format!("m{}", entry.id)],
            };
            desk.send_result(&entry, Ok(delivered)).expect("record");
        }
    }
}

fn conversation_core(criterion: &mut Criterion) {
    let directory = tempfile::tempdir().expect("temp dir");
    let desk = desk(directory.path());
    let sequence = AtomicU64::new(1);
    let mut group = criterion.benchmark_group("desk_with_sled");
    group.throughput(Throughput::Elements(1));
    group.bench_function("answered_message", |bencher| {
        bencher.iter(|| {
            let next = sequence.fetch_add(1, Ordering::Relaxed);
            desk.handle(&message(next, ANSWERED[next as usize % ANSWERED.len()]))
                .expect("handled");
        });
        drain(&desk);
    });
    group.bench_function("escalated_message", |bencher| {
        bencher.iter(|| {
            let next = sequence.fetch_add(1, Ordering::Relaxed);
            desk.handle(&message(next, "/staff a question for a person"))
                .expect("handled");
        });
        drain(&desk);
    });
    group.bench_function("answered_message_and_its_delivery", |bencher| {
        bencher.iter(|| {
            let next = sequence.fetch_add(1, Ordering::Relaxed);
            desk.handle(&message(next, ANSWERED[next as usize % ANSWERED.len()]))
                .expect("handled");
            drain(&desk);
        });
    });
    group.finish();
}

criterion_group!(benches, conversation_core);
criterion_main!(benches);
