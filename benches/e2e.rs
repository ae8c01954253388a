//! End to end through the fake Telegram Bot API: the real daemon (`daemon::start`)
//! with the 42-branch library of `../shared/eval`, patron updates served by
//! `getUpdates`, answers received as `sendMessage`. Criterion times batches of
//! messages (throughput); a separate pass prints the latency distribution from
//! update queued to answer received, and the process's resident memory.

#[allow(dead_code)]
#[path = "../tests/telegram/fake.rs"]
mod telegram_fake;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use refdesk::config::{Config, TelegramConfig};
use refdesk::daemon::{self, Tokens};

use telegram_fake::FakeTelegram;

/// Patrons per batch; each asks one question (fresh patrons every batch, so
/// Telegram's per-chat limit of about one message a second never applies).
const BATCH: i64 = 200;

const QUESTIONS: &[&str] = &[
    "how do I renew a book?",
    "is the central library open tomorrow?",
    "storytime this week",
    "i lost my library card",
    "which branches are open on sunday",
    "what's the wifi password",
    "hi",
    "can I print from my phone?",
];

fn knowledge_dir() -> PathBuf {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/knowledge");
    if shared.is_dir() {
        shared
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
    }
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

struct Setup {
    runtime: tokio::runtime::Runtime,
    fake: FakeTelegram,
    _data: tempfile::TempDir,
    next_patron: AtomicI64,
}

impl Setup {
    fn new() -> Setup {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let data = tempfile::tempdir().expect("temp dir");
        let before = resident_kib();
        let fake = runtime.block_on(FakeTelegram::start());
        let mut config = Config {
            knowledge: knowledge_dir(),
            data_dir: data.path().join("data"),
            telegram: Some(TelegramConfig {
                api_url: Some(fake.url.clone()),
                group_messages_per_minute: None,
                messages_per_second: Some(100_000),
            }),
            ..Config::default()
        };
        config.desk.flood_per_minute = 1_000;
        let tokens = Tokens {
            telegram: Some(telegram_fake::TOKEN.to_string()),
            discord: None,
        };
        let shutdown = refdesk::adapters::Shutdown::new();
        let running = runtime
            .block_on(daemon::start(config, tokens, shutdown))
            .expect("the daemon starts");
        // The daemon runs until the process ends.
        std::mem::forget(running);
        let after = resident_kib();
        if let (Some(before), Some(after)) = (before, after) {
            println!(
                "resident memory: {after} KiB after start ({} KiB for the daemon and the 42-branch knowledge)",
                after.saturating_sub(before)
            );
        }
        Setup {
            runtime,
            fake,
            _data: data,
            next_patron: AtomicI64::new(1_000_000),
        }
    }

    /// Queues one question from each of `BATCH` new patrons and waits until
    /// every one is answered; returns each answer's latency.
    fn batch(&self) -> Vec<Duration> {
        let first = self.next_patron.fetch_add(BATCH, Ordering::Relaxed);
        let already = self.fake.sent().len();
        let mut queued = Vec::with_capacity(BATCH as usize);
        for offset in 0..BATCH {
            let patron = first + offset;
            queued.push((patron, Instant::now()));
            self.fake
                .private_text(patron, "Bench", QUESTIONS[offset as usize % QUESTIONS.len()]);
        }
        self.runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(60);
            while self.fake.sent().len() < already + BATCH as usize {
                assert!(Instant::now() < deadline, "the daemon stopped answering");
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        });
        let sent = self.fake.sent();
        queued
            .into_iter()
            .map(|(patron, at)| {
                let answered = sent
                    .iter()
                    .find(|message| message.chat_id == patron)
                    .expect("every patron answered");
                answered.at.saturating_duration_since(at)
            })
            .collect()
    }
}

fn end_to_end(criterion: &mut Criterion) {
    let setup = Setup::new();
    let mut group = criterion.benchmark_group("telegram_end_to_end");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("batch_of_200_patron_messages", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let started = Instant::now();
                setup.batch();
                total += started.elapsed();
            }
            total
        })
    });
    group.finish();

    let mut latencies: Vec<Duration> = (0..5).flat_map(|_| setup.batch()).collect();
    latencies.sort();
    let at = |fraction: f64| latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len() - 1)];
    let started = Instant::now();
    let count = latencies.len();
    for _ in 0..5 {
        setup.batch();
    }
    let rate = count as f64 / started.elapsed().as_secs_f64();
    println!(
        "update → sendMessage latency over {count} messages (batches of {BATCH} at once): median {:?}, p99 {:?}, max {:?}; throughput {rate:.0} messages/s",
        at(0.5),
        at(0.99),
        latencies[count - 1]
    );
    if let Some(resident) = resident_kib() {
        println!("resident memory after the run: {resident} KiB (bench process: daemon, fake server, harness)");
    }
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
