//! The bundled topicality table (`src/engine/topicality.txt`) is what `refdesk learn` makes of
//! the case files its header names, on the knowledge it names: regenerated here and compared, so
//! a change to the text pipeline or to those case files cannot leave it stale, and the table is
//! never edited by hand.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use refdesk::engine::topicality::{bundled_sources, bundled_text};
use refdesk::engine::{Engine, EngineConfig};
use refdesk::eval;
use refdesk::knowledge::load_dir;

#[test]
fn the_bundled_table_is_what_its_sources_give() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (knowledge, cases) = bundled_sources();
    let knowledge = knowledge.expect("the table names its knowledge");
    assert!(!cases.is_empty(), "the table names its case files");
    let directory = root.join(&knowledge);
    if !directory.is_dir() {
        eprintln!("skipping: {} is absent", directory.display());
        return;
    }
    let (loaded, _) = load_dir(&directory).expect("the knowledge loads");
    let engine = Engine::new(Arc::new(loaded), EngineConfig::default());
    let paths: Vec<PathBuf> = cases.iter().map(|path| root.join(path)).collect();
    let learner = eval::learn_topicality(&engine, &paths).expect("the case files read");
    let fresh = learner.render(&knowledge, &cases);
    assert!(
        fresh == bundled_text(),
        "src/engine/topicality.txt is stale; regenerate it with\n  \
         cargo run --release -- learn --knowledge {knowledge} {} > src/engine/topicality.txt",
        cases.join(" ")
    );
}

#[test]
fn the_table_is_learned_from_our_own_cases_never_the_shared_dev_cases() {
    let (_, cases) = bundled_sources();
    for path in &cases {
        assert!(
            path.starts_with("tests/") && !path.contains("shared"),
            "{path}: the shared dev cases measure the engine; learning from them would tune it to them"
        );
    }
}
