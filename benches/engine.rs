//! Criterion benchmarks: knowledge load time and time per answer over the
//! shared 42-branch evaluation library and its dev questions.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use refdesk::engine::{Engine, EngineConfig, Question};
use refdesk::knowledge::load_dir;

fn shared_eval() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval")
}

/// The knowledge directory to benchmark: the shared one when present, else the bundled one.
fn knowledge_dir() -> PathBuf {
    let shared = shared_eval().join("knowledge");
    if shared.is_dir() {
        shared
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
    }
}

/// Every `ask = "..."` of the case files beside the knowledge.
fn questions() -> Vec<String> {
    let directory = shared_eval();
    let files =
        std::fs::read_dir(&directory).map(|entries| entries.flatten().map(|entry| entry.path()).collect::<Vec<_>>());
    let mut files = files.unwrap_or_default();
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/knowledge-cases.toml"));
    asks_in(files)
}

/// The long messages of our held-out set n: several sentences each, the slowest kind to read.
fn long_messages() -> Vec<String> {
    asks_in(vec![
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/harbor-patrons-n.toml"),
    ])
}

fn asks_in(files: Vec<PathBuf>) -> Vec<String> {
    let mut questions = Vec::new();
    for path in files
        .into_iter()
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
    {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(value) = text.parse::<toml::Table>() else {
            continue;
        };
        for case in value
            .get("case")
            .and_then(|cases| cases.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(ask) = case.get("ask").and_then(|ask| ask.as_str()) {
                questions.push(ask.to_string());
            }
        }
    }
    questions
}

fn load(criterion: &mut Criterion) {
    let directory = knowledge_dir();
    criterion.bench_function("knowledge load + engine build", |bencher| {
        bencher.iter(|| {
            let (knowledge, _) = load_dir(&directory).expect("benchmark knowledge loads");
            Engine::new(Arc::new(knowledge), EngineConfig::default())
        })
    });
}

fn answer(criterion: &mut Criterion) {
    let (knowledge, _) = load_dir(&knowledge_dir()).expect("benchmark knowledge loads");
    let engine = Engine::new(Arc::new(knowledge), EngineConfig::default());
    let questions = questions();
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 18, 0, 0)
        .single()
        .expect("a valid instant");
    criterion.bench_function("answer (all dev questions, per question)", |bencher| {
        bencher.iter_custom(|iterations| {
            let start = Instant::now();
            for iteration in 0..iterations {
                let text = &questions[iteration as usize % questions.len()];
                std::hint::black_box(engine.answer(&Question {
                    text,
                    branch: None,
                    now,
                }));
            }
            start.elapsed()
        })
    });
    latency(&engine, &questions, "dev questions", now);
    latency(&engine, &long_messages(), "long messages", now);
}

/// Criterion reports means; the target is a tail latency, so time every question on its own,
/// many times, and report the distribution.
fn latency(engine: &Engine, questions: &[String], label: &str, now: chrono::DateTime<Utc>) {
    const ROUNDS: usize = 50;
    if questions.is_empty() {
        return;
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(ROUNDS * questions.len());
    let mut fastest: Vec<Duration> = vec![Duration::MAX; questions.len()];
    for _ in 0..ROUNDS {
        for (index, text) in questions.iter().enumerate() {
            let start = Instant::now();
            std::hint::black_box(engine.answer(&Question {
                text,
                branch: None,
                now,
            }));
            let elapsed = start.elapsed();
            samples.push(elapsed);
            fastest[index] = fastest[index].min(elapsed);
        }
    }
    samples.sort();
    fastest.sort();
    let percentile =
        |sorted: &[Duration], fraction: f64| sorted[((sorted.len() - 1) as f64 * fraction).round() as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{label}: answer latency over {} answers ({} questions x {ROUNDS}): mean {mean:?}, median {:?}, p99 {:?}, max {:?}",
        samples.len(),
        questions.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1],
    );
    // On a shared machine the raw tail includes time the process was not scheduled; the fastest
    // run of each question is its own cost, and the p99 over questions is the slowest questions' cost.
    println!(
        "{label}: per-question cost (fastest of {ROUNDS} runs): median {:?}, p99 {:?}, max {:?}",
        percentile(&fastest, 0.5),
        percentile(&fastest, 0.99),
        fastest[fastest.len() - 1],
    );
}

criterion_group!(benches, load, answer);
criterion_main!(benches);
