//! `refdesk check`'s warnings on a knowledge base that loads but would surprise
//! patrons, and how the answer tells a patron about a program at a time its
//! branch is closed.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use refdesk::engine::{AnswerKind, Engine, EngineConfig, Question};
use refdesk::knowledge::load_dir;

const LIBRARY: &str = r#"name = "Test Library"
timezone = "America/Chicago"

[[exception]]
date = 2026-11-20
reason = "Staff training"

[[exception]]
date = 2026-12-24
reason = "Christmas Eve"
close_at = 14:00:00
"#;

const BRANCH: &str = r#"name = "Main Library"
address = "1 Main St"
phone = "555-0100"

[hours]
mon = "9:00-17:00"
tue = "9:00-17:00"
wed = "9:00-17:00"
thu = "9:00-17:00"
fri = "9:00-17:00"
sat = "closed"
sun = "closed"
"#;

const EVENTS: &str = r#"[[event]]
title = "Lego Club"
branch = "main"
start = 2026-12-03T15:30:00
end = 2026-12-03T16:30:00
repeat = "weekly"
until = 2026-12-31

[[event]]
title = "Saturday Chess"
branch = "main"
start = 2026-12-05T10:00:00

[[event]]
title = "Knitting Circle"
branch = "main"
start = 2026-12-01T10:00:00
repeat = "weekly"
until = 2026-12-29
"#;

fn knowledge_dir() -> tempfile::TempDir {
    let directory = tempfile::TempDir::new().expect("temporary directory");
    let write = |relative: &str, text: &str| {
        let path = directory.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create directory");
        std::fs::write(path, text).expect("write fixture");
    };
    write("library.toml", LIBRARY);
    write("branches/main.toml", BRANCH);
    write("events/programs.toml", EVENTS);
    write(
        "faq/general.toml",
        "[[faq]]\nid = \"renew\"\nquestion = \"How do I renew a book?\"\nanswer = \"Online or at the desk.\"\n",
    );
    directory
}

fn engine(directory: &tempfile::TempDir) -> Engine {
    let (knowledge, _) = load_dir(directory.path()).expect("the fixture loads");
    Engine::new(Arc::new(knowledge), EngineConfig::default())
}

fn local(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    chrono_tz::America::Chicago
        .with_ymd_and_hms(2026, month, day, hour, 0, 0)
        .single()
        .expect("an unambiguous local time")
        .to_utc()
}

#[test]
fn warnings_name_closed_days_closed_hours_and_past_exceptions() {
    let directory = knowledge_dir();
    let engine = engine(&directory);
    let warnings: Vec<String> = refdesk::check::check(&engine, local(12, 1, 9))
        .iter()
        .map(ToString::to_string)
        .collect();
    let with = |needle: &str| warnings.iter().filter(|warning| warning.contains(needle)).count();

    assert_eq!(
        with("\"Saturday Chess\" falls on a day when its branch is closed (2026-12-05)"),
        1,
        "{warnings:#?}"
    );
    // Christmas Eve closes at 2 pm; Lego Club starts at 3:30 pm that day only.
    assert_eq!(
        with("\"Lego Club\" starts outside its branch's opening hours on a day (2026-12-24)"),
        1,
        "{warnings:#?}"
    );
    assert_eq!(with("Knitting Circle"), 0, "{warnings:#?}");
    assert_eq!(with("this exception ended on 2026-11-20"), 1, "{warnings:#?}");
    assert!(
        warnings.iter().all(|warning| warning.contains(".toml:")),
        "every warning names its file and line: {warnings:#?}"
    );
}

#[test]
fn a_program_after_an_early_closing_is_listed_with_the_days_hours() {
    let directory = knowledge_dir();
    let engine = engine(&directory);
    let answer = engine.answer(&Question {
        text: "when is lego club on christmas eve",
        branch: Some("main"),
        now: local(12, 21, 10),
    });
    assert_eq!(answer.kind, AnswerKind::Events, "{}", answer.text);
    let line = answer
        .text
        .lines()
        .find(|line| line.contains("Lego Club") && line.contains("December 24"))
        .unwrap_or_else(|| panic!("Christmas Eve's Lego Club is listed: {}", answer.text));
    assert!(
        line.contains("; the branch itself is open 9:00 am to 2:00 pm that day"),
        "{line}"
    );

    // An ordinary Thursday's occurrence, inside opening hours, carries no such note.
    let answer = engine.answer(&Question {
        text: "when is lego club this week",
        branch: Some("main"),
        now: local(12, 7, 10),
    });
    assert!(answer.text.contains("Lego Club"), "{}", answer.text);
    assert!(!answer.text.contains("the branch itself is open"), "{}", answer.text);
}
