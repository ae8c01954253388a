//! Integration tests of the knowledge loader's diagnostics.
//!
//! Each test writes a small valid knowledge directory into a temporary
//! directory, breaks one thing, and checks that the load fails with a
//! diagnostic naming the file, the line and the field, and saying what is
//! wrong. The last tests load the two real knowledge bases.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use refdesk::knowledge::{Diagnostic, Knowledge, KnowledgeError, Severity, TimeRange, load_dir};
use tempfile::TempDir;

const LIBRARY: &str = r#"name = "Test County Library"
timezone = "America/Los_Angeles"
website = "https://library.example.org"

[[exception]]
date = 2026-12-25
reason = "Christmas Day"

[[exception]]
date = 2026-12-24
close_at = 14:00:00
reason = "Christmas Eve"

[synonyms]
"e-book" = ["ebook", "digital book"]
"#;

const BRANCH: &str = r#"name = "Eastside Branch"
aliases = ["eastside", "east side"]
address = "1200 E Harbor Blvd, Port Aurelia"
phone = "(555) 010-4102"

[hours]
mon = "10:00-20:00"
tue = "10:00-20:00"
wed = "10:00-20:00"
thu = "10:00-13:00, 14:00-20:00"
fri = "10:00-18:00"
sat = "10:00-17:00"
sun = "closed"

[[exception]]
from = 2026-12-07
to = 2026-12-09
reason = "Closed for roof repairs"

[[faq]]
id = "parking"
question = "Where can I park?"
answer = "Behind the building; it is free."
"#;

const FAQ: &str = r#"[[faq]]
id = "renew"
question = "How do I renew my items?"
variants = ["renew a book"]
answer = "Online, in the app or at any branch."
tags = ["borrowing"]

[[faq]]
id = "lost-card"
question = "I lost my library card"
answer = "Tell us at any desk and we will replace it."
"#;

const EVENTS: &str = r#"[[event]]
title = "Toddler Storytime"
branch = "eastside"
start = 2026-12-02T10:30:00
end = 2026-12-02T11:00:00
repeat = "weekly"
until = 2026-12-30
except = [2026-12-23]
audience = "Ages 1-3"
"#;

/// A temporary knowledge directory, valid until a test breaks it.
struct Kb {
    dir: TempDir,
}

impl Kb {
    /// library.toml, branches/eastside.toml, faq/general.toml and events/programs.toml.
    fn valid() -> Self {
        let kb = Kb {
            dir: TempDir::new().expect("temporary directory"),
        };
        kb.write("library.toml", LIBRARY);
        kb.write("branches/eastside.toml", BRANCH);
        kb.write("faq/general.toml", FAQ);
        kb.write("events/programs.toml", EVENTS);
        kb
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.path().join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("create directory");
        fs::write(path, text).expect("write fixture");
    }

    fn remove(&self, relative: &str) {
        fs::remove_file(self.path().join(relative)).expect("remove fixture");
    }

    /// Rewrites a file with the first occurrence of `from` replaced by `to`.
    fn replace(&self, relative: &str, from: &str, to: &str) {
        let path = self.path().join(relative);
        let text = fs::read_to_string(&path).expect("read fixture");
        assert!(text.contains(from), "{relative} has no {from:?}");
        fs::write(path, text.replacen(from, to, 1)).expect("write fixture");
    }

    fn load(&self) -> Result<(Knowledge, Vec<Diagnostic>), KnowledgeError> {
        load_dir(self.path())
    }

    fn knowledge(&self) -> (Knowledge, Vec<Diagnostic>) {
        match self.load() {
            Ok(loaded) => loaded,
            Err(error) => panic!("expected a clean load, got {error}"),
        }
    }

    /// The error diagnostics of a load that must fail.
    fn errors(&self) -> Vec<Diagnostic> {
        match self.load() {
            Ok(_) => panic!("expected the load to fail"),
            Err(error) => {
                assert!(!error.diagnostics.is_empty(), "a failed load must say why");
                error.diagnostics.into_iter().filter(Diagnostic::is_error).collect()
            }
        }
    }

    /// The one error of a load that must fail with exactly one error.
    fn only_error(&self) -> Diagnostic {
        let errors = self.errors();
        assert_eq!(errors.len(), 1, "expected exactly one error, got:\n{}", render(&errors));
        errors.into_iter().next().expect("one error")
    }
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| format!("  {diagnostic}\n"))
        .collect()
}

/// Asserts a diagnostic's file, line, field and a word of its message (case-insensitive).
#[track_caller]
fn assert_diagnostic(diagnostic: &Diagnostic, file: &str, line: usize, field: Option<&str>, word: &str) {
    assert_eq!(diagnostic.file, PathBuf::from(file), "file of: {diagnostic}");
    assert_eq!(diagnostic.line, line, "line of: {diagnostic}");
    assert_eq!(diagnostic.field.as_deref(), field, "field of: {diagnostic}");
    assert!(
        diagnostic.message.to_lowercase().contains(&word.to_lowercase()),
        "message of {diagnostic} should mention {word:?}"
    );
}

/// Finds the diagnostic with this file, line and field among several, and checks its message.
#[track_caller]
fn find_diagnostic<'a>(
    diagnostics: &'a [Diagnostic],
    file: &str,
    line: usize,
    field: Option<&str>,
    word: &str,
) -> &'a Diagnostic {
    let found = diagnostics
        .iter()
        .find(|diagnostic| {
            diagnostic.file == Path::new(file) && diagnostic.line == line && diagnostic.field.as_deref() == field
        })
        .unwrap_or_else(|| {
            panic!(
                "no diagnostic at {file}:{line} field {field:?} among:\n{}",
                render(diagnostics)
            )
        });
    assert_diagnostic(found, file, line, field, word);
    found
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
}

fn time(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time")
}

fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
    date(year, month, day).and_time(time(hour, minute))
}

fn range(open: (u32, u32), close: (u32, u32)) -> TimeRange {
    TimeRange {
        open: time(open.0, open.1),
        close: time(close.0, close.1),
    }
}

// ---------------------------------------------------------------- baseline

#[test]
fn baseline_loads_cleanly() {
    let kb = Kb::valid();
    let (knowledge, warnings) = kb.knowledge();
    assert!(warnings.is_empty(), "unexpected warnings:\n{}", render(&warnings));
    assert_eq!(knowledge.library.name, "Test County Library");
    assert_eq!(knowledge.library.timezone, chrono_tz::America::Los_Angeles);
    assert_eq!(knowledge.library.exceptions.len(), 2);
    assert_eq!(
        knowledge.library.synonyms,
        vec![(
            "e-book".to_string(),
            vec!["ebook".to_string(), "digital book".to_string()]
        )]
    );
    assert_eq!(knowledge.branches.len(), 1);
    let eastside = knowledge.branch("eastside").expect("eastside");
    assert_eq!(eastside.name, "Eastside Branch");
    assert_eq!(
        eastside.hours.on(Weekday::Thu).ranges,
        vec![range((10, 0), (13, 0)), range((14, 0), (20, 0))]
    );
    assert!(eastside.hours.on(Weekday::Sun).is_closed());
    assert_eq!(eastside.faqs.len(), 1);
    assert_eq!(
        knowledge
            .faq("parking", Some("eastside"))
            .map(|faq| faq.answer.as_str()),
        Some("Behind the building; it is free.")
    );
    let faq_ids: Vec<&str> = knowledge.faqs.iter().map(|faq| faq.id.as_str()).collect();
    assert_eq!(faq_ids, ["renew", "lost-card"]);
    assert_eq!(knowledge.events.len(), 1);
    let storytime = &knowledge.events[0];
    assert_eq!(storytime.branch.as_deref(), Some("eastside"));
    assert_eq!(
        storytime.occurrences,
        vec![
            at(2026, 12, 2, 10, 30),
            at(2026, 12, 9, 10, 30),
            at(2026, 12, 16, 10, 30),
            at(2026, 12, 30, 10, 30)
        ]
    );
    assert_eq!(storytime.duration, Some(chrono::Duration::minutes(30)));

    // Exceptions: the branch's range closure, the library's early close (split hours truncated).
    assert!(knowledge.hours_on(eastside, date(2026, 12, 8)).0.is_closed());
    assert_eq!(
        knowledge.hours_on(eastside, date(2026, 12, 24)).0.ranges,
        vec![range((10, 0), (13, 0))]
    );
    assert!(knowledge.hours_on(eastside, date(2026, 12, 25)).0.is_closed());
    let (regular, exception) = knowledge.hours_on(eastside, date(2026, 12, 14));
    assert!(exception.is_none());
    assert_eq!(regular.ranges, vec![range((10, 0), (20, 0))]);
}

// ---------------------------------------------------------------- unknown keys

#[test]
fn unknown_key_in_library_toml() {
    let kb = Kb::valid();
    kb.replace("library.toml", "website =", "webiste =");
    assert_diagnostic(&kb.only_error(), "library.toml", 3, Some("webiste"), "unknown field");
}

#[test]
fn unknown_key_in_library_exception() {
    let kb = Kb::valid();
    kb.replace(
        "library.toml",
        "reason = \"Christmas Eve\"",
        "reasn = \"Christmas Eve\"",
    );
    assert_diagnostic(&kb.only_error(), "library.toml", 12, Some("reasn"), "unknown field");
}

#[test]
fn unknown_key_in_branch() {
    let kb = Kb::valid();
    kb.replace("branches/eastside.toml", "phone =", "phnoe =");
    let errors = kb.errors();
    find_diagnostic(&errors, "branches/eastside.toml", 4, Some("phnoe"), "unknown field");
}

#[test]
fn unknown_key_in_branch_faq() {
    let kb = Kb::valid();
    kb.replace("branches/eastside.toml", "answer = \"Behind", "anwser = \"Behind");
    assert_diagnostic(
        &kb.only_error(),
        "branches/eastside.toml",
        23,
        Some("anwser"),
        "unknown field",
    );
}

#[test]
fn unknown_key_in_faq_entry() {
    let kb = Kb::valid();
    kb.replace("faq/general.toml", "answer = \"Tell us", "anwser = \"Tell us");
    assert_diagnostic(
        &kb.only_error(),
        "faq/general.toml",
        11,
        Some("anwser"),
        "unknown field",
    );
}

#[test]
fn unknown_top_level_key_in_faq_file() {
    let kb = Kb::valid();
    kb.write("faq/general.toml", &format!("title = \"General\"\n\n{FAQ}"));
    assert_diagnostic(&kb.only_error(), "faq/general.toml", 1, Some("title"), "unknown field");
}

#[test]
fn unknown_key_in_event() {
    let kb = Kb::valid();
    kb.replace("events/programs.toml", "audience =", "audiance =");
    assert_diagnostic(
        &kb.only_error(),
        "events/programs.toml",
        9,
        Some("audiance"),
        "unknown field",
    );
}

#[test]
fn unknown_key_in_branch_exception() {
    let kb = Kb::valid();
    kb.replace(
        "branches/eastside.toml",
        "reason = \"Closed for roof",
        "note = \"Closed for roof",
    );
    assert_diagnostic(
        &kb.only_error(),
        "branches/eastside.toml",
        18,
        Some("note"),
        "unknown field",
    );
}

#[test]
fn unknown_key_in_hours() {
    let kb = Kb::valid();
    kb.replace("branches/eastside.toml", "sat = ", "saturday = ");
    let errors = kb.errors();
    let error = errors
        .iter()
        .find(|error| error.file == Path::new("branches/eastside.toml"))
        .unwrap_or_else(|| panic!("no error for the branch:\n{}", render(&errors)));
    assert_eq!(error.line, 12, "{error}");
    // The field is `hours.saturday`, as for the bad-value errors; the exact name is
    // checked by `bug_missing_and_unknown_fields_are_named_by_their_full_path`.
    assert!(
        matches!(error.field.as_deref(), Some("saturday" | "hours.saturday")),
        "{error}"
    );
    assert!(error.message.contains("unknown field `saturday`"), "{error}");
    assert!(
        error.message.contains("`sat`"),
        "should list the expected keys: {error}"
    );
}

// ---------------------------------------------------------------- syntax and missing things

#[test]
fn toml_syntax_error_reports_its_line() {
    let kb = Kb::valid();
    kb.replace(
        "faq/general.toml",
        "question = \"I lost my library card\"",
        "question = \"I lost my library card",
    );
    assert_diagnostic(&kb.only_error(), "faq/general.toml", 10, None, "invalid basic string");
}

#[test]
fn toml_syntax_error_in_library_toml() {
    let kb = Kb::valid();
    kb.replace("library.toml", "[synonyms]", "[synonyms");
    assert_diagnostic(&kb.only_error(), "library.toml", 14, None, "unclosed table");
}

#[test]
fn missing_library_toml() {
    let kb = Kb::valid();
    kb.remove("library.toml");
    assert_diagnostic(&kb.only_error(), "library.toml", 0, None, "missing");
}

#[test]
fn missing_knowledge_directory() {
    let kb = Kb::valid();
    let absent = kb.path().join("no-such-dir");
    let error = load_dir(&absent).expect_err("a missing directory must not load");
    assert_eq!(error.diagnostics.len(), 1);
    assert_eq!(error.diagnostics[0].file, absent);
    assert_eq!(error.diagnostics[0].line, 0);
    assert!(error.diagnostics[0].message.contains("not a directory"));
}

#[test]
fn missing_library_name() {
    // The file starts with a comment; for one that starts with a key (which once
    // misnamed the field) see `bug_missing_and_unknown_fields_are_named_by_their_full_path`.
    let kb = Kb::valid();
    kb.write(
        "library.toml",
        &format!(
            "# Test County\n{}",
            LIBRARY.replace("name = \"Test County Library\"\n", "")
        ),
    );
    assert_diagnostic(
        &kb.only_error(),
        "library.toml",
        1,
        Some("name"),
        "missing field `name`",
    );
}

#[test]
fn branch_without_address() {
    // Starts with a comment, as in `missing_library_name`.
    let kb = Kb::valid();
    let text = format!(
        "# Eastside\n{}",
        BRANCH.replace("address = \"1200 E Harbor Blvd, Port Aurelia\"\n", "")
    );
    kb.write("branches/eastside.toml", &text);
    let errors = kb.errors();
    let error = errors
        .iter()
        .find(|error| error.file == Path::new("branches/eastside.toml"))
        .unwrap_or_else(|| panic!("no error for the branch:\n{}", render(&errors)));
    assert_diagnostic(
        error,
        "branches/eastside.toml",
        1,
        Some("address"),
        "missing field `address`",
    );
}

#[test]
fn faq_without_answer() {
    let kb = Kb::valid();
    kb.replace(
        "faq/general.toml",
        "answer = \"Tell us at any desk and we will replace it.\"\n",
        "",
    );
    assert_diagnostic(&kb.only_error(), "faq/general.toml", 8, Some("answer"), "missing field");
}

#[test]
fn faq_with_empty_answer() {
    let kb = Kb::valid();
    kb.replace(
        "faq/general.toml",
        "answer = \"Tell us at any desk and we will replace it.\"",
        "answer = \"  \"",
    );
    assert_diagnostic(&kb.only_error(), "faq/general.toml", 11, Some("answer"), "empty");
}

#[test]
fn event_without_start() {
    let kb = Kb::valid();
    kb.replace("events/programs.toml", "start = 2026-12-02T10:30:00\n", "");
    assert_diagnostic(
        &kb.only_error(),
        "events/programs.toml",
        1,
        Some("start"),
        "missing field",
    );
}

#[test]
fn hours_missing_a_weekday() {
    let kb = Kb::valid();
    kb.replace("branches/eastside.toml", "sun = \"closed\"\n", "");
    let errors = kb.errors();
    let error = errors
        .iter()
        .find(|error| error.file == Path::new("branches/eastside.toml"))
        .unwrap_or_else(|| panic!("no error for the branch:\n{}", render(&errors)));
    assert_eq!(error.line, 6, "the `[hours]` line: {error}");
    // The field is `hours.sun`; the exact name is checked by
    // `bug_missing_and_unknown_fields_are_named_by_their_full_path`.
    assert!(matches!(error.field.as_deref(), Some("hours" | "hours.sun")), "{error}");
    assert!(error.message.contains("missing field `sun`"), "{error}");
}

// ---------------------------------------------------------------- library values

#[test]
fn bad_time_zone_name() {
    let kb = Kb::valid();
    kb.replace("library.toml", "America/Los_Angeles", "America/Port_Aurelia");
    let error = kb.only_error();
    assert_diagnostic(&error, "library.toml", 2, Some("timezone"), "unknown time zone");
    assert!(error.message.contains("America/Port_Aurelia"), "{error}");
}

// ---------------------------------------------------------------- hours strings

fn bad_hours(day: &str, line: usize, hours: &str, word: &str) {
    let kb = Kb::valid();
    let text = BRANCH.lines().map(|l| {
        if l.starts_with(&format!("{day} = ")) {
            format!("{day} = {hours:?}")
        } else {
            l.to_string()
        }
    });
    kb.write("branches/eastside.toml", &text.collect::<Vec<_>>().join("\n"));
    let errors = kb.errors();
    find_diagnostic(
        &errors,
        "branches/eastside.toml",
        line,
        Some(&format!("hours.{day}")),
        word,
    );
}

#[test]
fn hours_past_midnight_is_a_bad_time() {
    bad_hours("mon", 7, "10:00-25:00", "bad time \"25:00\"");
}

#[test]
fn hours_without_minutes_is_a_bad_time() {
    bad_hours("tue", 8, "10-18", "bad time");
}

#[test]
fn hours_closing_before_opening() {
    bad_hours("wed", 9, "18:00-10:00", "closes before it opens");
}

#[test]
fn overlapping_hours() {
    bad_hours("fri", 11, "10:00-14:00, 13:00-18:00", "overlapping");
}

#[test]
fn hours_that_are_not_a_range() {
    bad_hours("sat", 12, "all day", "not a range");
}

#[test]
fn empty_hours() {
    bad_hours("sun", 13, "", "empty");
}

#[test]
fn two_bad_days_give_two_errors() {
    let kb = Kb::valid();
    kb.replace("branches/eastside.toml", "mon = \"10:00-20:00\"", "mon = \"10-20\"");
    kb.replace("branches/eastside.toml", "sun = \"closed\"", "sun = \"shut\"");
    let errors = kb.errors();
    find_diagnostic(&errors, "branches/eastside.toml", 7, Some("hours.mon"), "bad time");
    find_diagnostic(&errors, "branches/eastside.toml", 13, Some("hours.sun"), "not a range");
}

// ---------------------------------------------------------------- exceptions

/// Replaces the branch's `[[exception]]` (lines 15-18) with `body`, which starts on line 16.
fn branch_with_exception(body: &str) -> Kb {
    let kb = Kb::valid();
    let start = BRANCH.find("[[exception]]").expect("exception");
    let end = BRANCH.find("[[faq]]").expect("faq");
    kb.write(
        "branches/eastside.toml",
        &format!("{}[[exception]]\n{body}\n{}", &BRANCH[..start], &BRANCH[end..]),
    );
    kb
}

#[test]
fn exception_with_date_and_from() {
    let kb = branch_with_exception("date = 2026-12-07\nfrom = 2026-12-07\nto = 2026-12-09\n");
    assert_diagnostic(&kb.only_error(), "branches/eastside.toml", 16, Some("date"), "not both");
}

#[test]
fn exception_from_without_to() {
    let kb = branch_with_exception("reason = \"Roof\"\nfrom = 2026-12-07\n");
    assert_diagnostic(
        &kb.only_error(),
        "branches/eastside.toml",
        17,
        Some("to"),
        "both `from` and `to`",
    );
}

#[test]
fn exception_to_without_from() {
    let kb = branch_with_exception("to = 2026-12-07\n");
    assert_diagnostic(
        &kb.only_error(),
        "branches/eastside.toml",
        16,
        Some("from"),
        "both `from` and `to`",
    );
}

#[test]
fn exception_without_any_date() {
    let kb = branch_with_exception("reason = \"Roof\"\n");
    let error = kb.only_error();
    assert_eq!(error.field.as_deref(), Some("date"), "{error}");
    assert!((15..=16).contains(&error.line), "{error}");
    assert!(error.message.contains("needs `date`"), "{error}");
}

#[test]
fn exception_to_before_from() {
    let kb = branch_with_exception("from = 2026-12-09\nto = 2026-12-07\n");
    let error = kb.only_error();
    assert_diagnostic(&error, "branches/eastside.toml", 17, Some("to"), "before it starts");
    assert!(
        error.message.contains("2026-12-07") && error.message.contains("2026-12-09"),
        "{error}"
    );
}

#[test]
fn exception_with_hours_and_close_at() {
    let kb = branch_with_exception("date = 2026-12-09\nhours = \"13:00-19:00\"\nclose_at = 15:00:00\n");
    assert_diagnostic(
        &kb.only_error(),
        "branches/eastside.toml",
        18,
        Some("close_at"),
        "at most one",
    );
}

#[test]
fn exception_close_at_given_as_a_date() {
    let kb = branch_with_exception("date = 2026-12-09\nclose_at = 2026-12-09\n");
    assert_diagnostic(
        &kb.only_error(),
        "branches/eastside.toml",
        17,
        Some("close_at"),
        "expected a time",
    );
}

#[test]
fn exception_date_given_as_a_string() {
    let kb = branch_with_exception("date = \"2026-12-25\"\nreason = \"Christmas\"\n");
    let error = kb.only_error();
    assert_diagnostic(&error, "branches/eastside.toml", 16, Some("date"), "string");
    assert!(error.message.contains("datetime"), "{error}");
}

#[test]
fn exception_date_given_as_a_date_time() {
    let kb = branch_with_exception("date = 2026-12-25T10:00:00\n");
    assert_diagnostic(
        &kb.only_error(),
        "branches/eastside.toml",
        16,
        Some("date"),
        "expected a date",
    );
}

#[test]
fn exception_with_bad_hours() {
    let kb = branch_with_exception("date = 2026-12-09\nhours = \"13:00-29:00\"\n");
    assert_diagnostic(
        &kb.only_error(),
        "branches/eastside.toml",
        17,
        Some("hours"),
        "bad time",
    );
}

#[test]
fn library_exception_close_at_and_hours() {
    let kb = Kb::valid();
    kb.replace(
        "library.toml",
        "close_at = 14:00:00",
        "hours = \"10:00-14:00\"\nclose_at = 14:00:00",
    );
    assert_diagnostic(&kb.only_error(), "library.toml", 12, Some("close_at"), "at most one");
}

#[test]
fn exception_that_is_not_an_array_of_tables() {
    let kb = Kb::valid();
    let start = BRANCH.find("[[exception]]").expect("exception");
    let end = BRANCH.find("[[faq]]").expect("faq");
    let text = format!("exception = \"2026-12-24\"\n{}{}", &BRANCH[..start], &BRANCH[end..]);
    kb.write("branches/eastside.toml", &text);
    assert_diagnostic(
        &kb.only_error(),
        "branches/eastside.toml",
        1,
        Some("exception"),
        "array of tables",
    );
}

// ---------------------------------------------------------------- FAQ ids

#[test]
fn duplicate_faq_id_across_faq_files() {
    let kb = Kb::valid();
    kb.write(
        "faq/more.toml",
        "# More answers.\n\n[[faq]]\nid = \"renew\"\nquestion = \"Renewals?\"\nanswer = \"Yes.\"\n",
    );
    let error = kb.only_error();
    assert_diagnostic(&error, "faq/more.toml", 3, Some("id"), "duplicate");
    assert!(error.message.contains("\"renew\""), "{error}");
    assert!(
        error.message.contains("faq/general.toml:1"),
        "should point at the first one: {error}"
    );
}

#[test]
fn duplicate_faq_id_within_a_branch_file() {
    let kb = Kb::valid();
    let extra = "\n[[faq]]\nid = \"parking\"\nquestion = \"Parking?\"\nanswer = \"Street parking.\"\n";
    kb.write("branches/eastside.toml", &format!("{BRANCH}{extra}"));
    let error = kb.only_error();
    assert_diagnostic(&error, "branches/eastside.toml", 25, Some("id"), "duplicate");
    assert!(
        error.message.contains("branches/eastside.toml:20"),
        "should point at the first one: {error}"
    );
}

#[test]
fn branch_faq_may_override_a_system_faq() {
    let kb = Kb::valid();
    let extra = "\n[[faq]]\nid = \"renew\"\nquestion = \"Renew here?\"\nanswer = \"Ask at the Eastside desk.\"\n";
    kb.write("branches/eastside.toml", &format!("{BRANCH}{extra}"));
    let (knowledge, _) = kb.knowledge();
    assert_eq!(
        knowledge.faq("renew", Some("eastside")).map(|faq| faq.answer.as_str()),
        Some("Ask at the Eastside desk.")
    );
    assert_eq!(
        knowledge.faq("renew", None).map(|faq| faq.answer.as_str()),
        Some("Online, in the app or at any branch.")
    );
}

#[test]
fn bad_faq_id_format() {
    let kb = Kb::valid();
    kb.replace("faq/general.toml", "id = \"lost-card\"", "id = \"Lost Card\"");
    assert_diagnostic(&kb.only_error(), "faq/general.toml", 9, Some("id"), "lowercase");
}

// ---------------------------------------------------------------- events

#[test]
fn event_with_unknown_branch_suggests_the_closest_id() {
    let kb = Kb::valid();
    kb.replace("events/programs.toml", "branch = \"eastside\"", "branch = \"eastsde\"");
    let error = kb.only_error();
    assert_diagnostic(&error, "events/programs.toml", 3, Some("branch"), "unknown branch id");
    assert!(error.message.contains("did you mean \"eastside\""), "{error}");
}

#[test]
fn event_with_unrelated_branch_has_no_suggestion() {
    let kb = Kb::valid();
    kb.replace(
        "events/programs.toml",
        "branch = \"eastside\"",
        "branch = \"quarry-hill\"",
    );
    let error = kb.only_error();
    assert_diagnostic(&error, "events/programs.toml", 3, Some("branch"), "unknown branch id");
    assert!(!error.message.contains("did you mean"), "{error}");
}

#[test]
fn event_with_bad_repeat() {
    let kb = Kb::valid();
    kb.replace(
        "events/programs.toml",
        "repeat = \"weekly\"",
        "repeat = \"fortnightly\"",
    );
    let error = kb.only_error();
    assert_diagnostic(&error, "events/programs.toml", 6, Some("repeat"), "unknown repeat");
    assert!(error.message.contains("\"weekly\""), "{error}");
}

#[test]
fn event_until_without_repeat() {
    let kb = Kb::valid();
    kb.replace("events/programs.toml", "repeat = \"weekly\"\n", "");
    assert_diagnostic(
        &kb.only_error(),
        "events/programs.toml",
        6,
        Some("until"),
        "only applies with `repeat`",
    );
}

#[test]
fn event_until_before_start() {
    let kb = Kb::valid();
    kb.replace("events/programs.toml", "until = 2026-12-30", "until = 2026-11-30");
    assert_diagnostic(
        &kb.only_error(),
        "events/programs.toml",
        7,
        Some("until"),
        "before the event starts",
    );
}

#[test]
fn event_end_before_start() {
    let kb = Kb::valid();
    kb.replace(
        "events/programs.toml",
        "end = 2026-12-02T11:00:00",
        "end = 2026-12-02T09:00:00",
    );
    assert_diagnostic(
        &kb.only_error(),
        "events/programs.toml",
        5,
        Some("end"),
        "before it starts",
    );
}

#[test]
fn event_end_as_a_time_before_start() {
    let kb = Kb::valid();
    kb.replace("events/programs.toml", "end = 2026-12-02T11:00:00", "end = 09:00:00");
    assert_diagnostic(
        &kb.only_error(),
        "events/programs.toml",
        5,
        Some("end"),
        "before it starts",
    );
}

#[test]
fn event_end_as_a_time_of_day() {
    let kb = Kb::valid();
    kb.replace("events/programs.toml", "end = 2026-12-02T11:00:00", "end = 11:15:00");
    let (knowledge, _) = kb.knowledge();
    assert_eq!(knowledge.events[0].duration, Some(chrono::Duration::minutes(45)));
}

#[test]
fn event_start_with_a_time_zone_offset() {
    let kb = Kb::valid();
    kb.replace(
        "events/programs.toml",
        "start = 2026-12-02T10:30:00",
        "start = 2026-12-02T10:30:00-08:00",
    );
    let errors = kb.errors();
    let error = find_diagnostic(&errors, "events/programs.toml", 4, Some("start"), "no time zone offset");
    assert!(error.message.contains("2026-12-02T10:30:00-08:00"), "{error}");
}

#[test]
fn event_start_given_as_a_date() {
    let kb = Kb::valid();
    kb.replace(
        "events/programs.toml",
        "start = 2026-12-02T10:30:00",
        "start = 2026-12-02",
    );
    let errors = kb.errors();
    find_diagnostic(&errors, "events/programs.toml", 4, Some("start"), "local date and time");
}

#[test]
fn event_except_given_as_a_date_time() {
    let kb = Kb::valid();
    kb.replace(
        "events/programs.toml",
        "except = [2026-12-23]",
        "except = [2026-12-23T10:30:00]",
    );
    assert_diagnostic(
        &kb.only_error(),
        "events/programs.toml",
        8,
        Some("except"),
        "expected a date",
    );
}

#[test]
fn event_with_empty_title() {
    let kb = Kb::valid();
    kb.replace("events/programs.toml", "title = \"Toddler Storytime\"", "title = \"\"");
    assert_diagnostic(&kb.only_error(), "events/programs.toml", 2, Some("title"), "empty");
}

#[test]
fn every_bad_event_is_reported_not_just_the_first() {
    let kb = Kb::valid();
    let second = "\n[[event]]\ntitle = \"Teen Gaming\"\nbranch = \"westside\"\nstart = 2026-12-04T16:00:00\nrepeat = \"monthly\"\n";
    kb.write(
        "events/programs.toml",
        &format!("{}{second}", EVENTS.replace("audience", "audiance")),
    );
    let errors = kb.errors();
    assert_eq!(errors.len(), 3, "{}", render(&errors));
    find_diagnostic(&errors, "events/programs.toml", 9, Some("audiance"), "unknown field");
    find_diagnostic(&errors, "events/programs.toml", 13, Some("branch"), "unknown branch");
    find_diagnostic(&errors, "events/programs.toml", 15, Some("repeat"), "unknown repeat");
}

// ---------------------------------------------------------------- iCalendar

const CALENDAR_HEADER: &str = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//EN\n";

fn calendar(events: &str) -> String {
    format!("{CALENDAR_HEADER}{events}END:VCALENDAR\n")
}

#[test]
fn ics_event_without_summary() {
    let kb = Kb::valid();
    let text = calendar(
        "BEGIN:VEVENT\nUID:1@test\nDTSTART:20261202T150000\nSUMMARY:Fine\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:2@test\nDTSTART:20261203T150000\nEND:VEVENT\n",
    );
    kb.write("events/eastside.ics", &text);
    assert_diagnostic(
        &kb.only_error(),
        "events/eastside.ics",
        9,
        Some("SUMMARY"),
        "needs a SUMMARY",
    );
}

#[test]
fn ics_event_with_unreadable_dtstart() {
    let kb = Kb::valid();
    kb.write(
        "events/eastside.ics",
        &calendar("BEGIN:VEVENT\nUID:1@test\nDTSTART:December 2nd at 3pm\nSUMMARY:Knitting\nEND:VEVENT\n"),
    );
    let error = kb.only_error();
    assert_diagnostic(&error, "events/eastside.ics", 4, Some("DTSTART"), "cannot read");
    assert!(error.message.contains("December 2nd"), "{error}");
}

#[test]
fn ics_event_without_dtstart() {
    let kb = Kb::valid();
    kb.write(
        "events/eastside.ics",
        &calendar("BEGIN:VEVENT\nUID:1@test\nSUMMARY:Knitting\nEND:VEVENT\n"),
    );
    assert_diagnostic(
        &kb.only_error(),
        "events/eastside.ics",
        4,
        Some("DTSTART"),
        "needs a DTSTART",
    );
}

#[test]
fn ics_event_with_unparseable_rrule() {
    let kb = Kb::valid();
    kb.write(
        "events/eastside.ics",
        &calendar(
            "BEGIN:VEVENT\nUID:1@test\nDTSTART:20261202T150000\nRRULE:FREQ=SOMETIMES;BYDAY=XX\nSUMMARY:Knitting\nEND:VEVENT\n",
        ),
    );
    assert_diagnostic(&kb.only_error(), "events/eastside.ics", 4, Some("RRULE"), "recurrence");
}

#[test]
fn ics_file_that_is_not_a_calendar() {
    let kb = Kb::valid();
    kb.write(
        "events/eastside.ics",
        "Subject: December events\n\nKnitting club, Wednesdays at 3 pm.\n",
    );
    let error = kb.only_error();
    assert_diagnostic(&error, "events/eastside.ics", 1, None, "not a readable iCalendar file");
}

#[test]
fn ics_valid_calendar_loads_with_expected_occurrences() {
    let kb = Kb::valid();
    let mut chinatown = BRANCH
        .replace("Eastside Branch", "Chinatown Branch")
        .replace("\"eastside\", \"east side\"", "\"chinatown\"");
    chinatown = chinatown.replace("id = \"parking\"", "id = \"chinatown-parking\"");
    kb.write("branches/chinatown.toml", &chinatown);
    // CRLF line endings as calendar systems export them; a folded DESCRIPTION with escaped commas;
    // a TZID other than the library's; RRULE with BYDAY+UNTIL and EXDATE, and one with COUNT.
    let by_file = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Springboard Calendar//Export 4.2//EN",
        "BEGIN:VEVENT",
        "UID:cal-1@test",
        "DTSTAMP:20261115T180000Z",
        "DTSTART;TZID=America/New_York:20261202T180000",
        "DTEND;TZID=America/New_York:20261202T193000",
        "RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20261231T235959Z",
        "EXDATE;TZID=America/New_York:20261216T180000",
        "SUMMARY:Chinese Calligraphy for Beginners",
        "DESCRIPTION:Brushes\\, ink and pap",
        " er are provided.",
        "LOCATION:Eastside Branch\\, Community Room",
        "URL:https://library.example.org/events/calligraphy",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:cal-2@test",
        "DTSTART;TZID=America/Los_Angeles:20261205T140000",
        "DTEND;TZID=America/Los_Angeles:20261205T150000",
        "RRULE:FREQ=WEEKLY;BYDAY=SA;COUNT=3",
        "SUMMARY:Bilingual Storytime",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    .join("\r\n");
    kb.write("events/chinatown.ics", &by_file);
    let by_location = calendar(
        "BEGIN:VEVENT\nUID:cal-3@test\nDTSTART:20261210T180000Z\nSUMMARY:Knitting Circle\n\
         LOCATION:east side branch\\, meeting room\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:cal-4@test\nDTSTART;VALUE=DATE:20261211\nSUMMARY:Book Drive\nEND:VEVENT\n",
    );
    kb.write("events/county-feed.ics", &by_location);

    let (knowledge, warnings) = kb.knowledge();
    assert!(warnings.is_empty(), "unexpected warnings:\n{}", render(&warnings));
    let event = |title: &str| {
        knowledge
            .events
            .iter()
            .find(|event| event.title == title)
            .unwrap_or_else(|| panic!("no event {title:?}"))
    };

    let calligraphy = event("Chinese Calligraphy for Beginners");
    // 18:00 New York is 15:00 in the library's Los Angeles time; Dec 16 is excluded.
    assert_eq!(
        calligraphy.occurrences,
        vec![
            at(2026, 12, 2, 15, 0),
            at(2026, 12, 9, 15, 0),
            at(2026, 12, 23, 15, 0),
            at(2026, 12, 30, 15, 0)
        ]
    );
    assert_eq!(calligraphy.duration, Some(chrono::Duration::minutes(90)));
    assert_eq!(
        calligraphy.description.as_deref(),
        Some("Brushes, ink and paper are provided.")
    );
    assert_eq!(
        calligraphy.link.as_deref(),
        Some("https://library.example.org/events/calligraphy")
    );
    // The file is named after a branch: that wins over a LOCATION naming another branch.
    assert_eq!(calligraphy.branch.as_deref(), Some("chinatown"));
    assert_eq!(calligraphy.origin.file, Path::new("events/chinatown.ics"));
    assert_eq!(calligraphy.origin.line, 4);
    assert!(!calligraphy.all_day);

    let storytime = event("Bilingual Storytime");
    assert_eq!(
        storytime.occurrences,
        vec![at(2026, 12, 5, 14, 0), at(2026, 12, 12, 14, 0), at(2026, 12, 19, 14, 0)]
    );
    assert_eq!(storytime.branch.as_deref(), Some("chinatown"));
    assert_eq!(storytime.origin.line, 17);

    // From LOCATION, matched case-insensitively against an alias; UTC converted to library time.
    let knitting = event("Knitting Circle");
    assert_eq!(knitting.branch.as_deref(), Some("eastside"));
    assert_eq!(knitting.occurrences, vec![at(2026, 12, 10, 10, 0)]);
    assert_eq!(knitting.duration, None);

    let book_drive = event("Book Drive");
    assert!(book_drive.all_day);
    assert_eq!(book_drive.branch, None);
    assert_eq!(book_drive.occurrences, vec![at(2026, 12, 11, 0, 0)]);
}

#[test]
fn ics_location_matching_no_branch_is_a_warning() {
    let kb = Kb::valid();
    kb.write(
        "events/county-feed.ics",
        &calendar("BEGIN:VEVENT\nUID:1@test\nDTSTART:20261210T100000\nSUMMARY:Fair\nLOCATION:County Fairgrounds\nEND:VEVENT\n"),
    );
    let (knowledge, warnings) = kb.knowledge();
    assert_eq!(warnings.len(), 1, "{}", render(&warnings));
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_diagnostic(
        &warnings[0],
        "events/county-feed.ics",
        4,
        Some("LOCATION"),
        "matches no branch",
    );
    let fair = knowledge
        .events
        .iter()
        .find(|event| event.title == "Fair")
        .expect("the event still loads");
    assert_eq!(fair.branch, None);
}

// ---------------------------------------------------------------- many errors, file names, warnings

#[test]
fn all_errors_of_three_broken_files_are_reported_at_once() {
    let kb = Kb::valid();
    kb.replace("library.toml", "America/Los_Angeles", "Pacific Time");
    kb.replace("faq/general.toml", "answer = \"Tell us", "anwser = \"Tell us");
    kb.replace("events/programs.toml", "repeat = \"weekly\"", "repeat = \"biweekly\"");
    let error = kb.load().expect_err("three broken files must not load");
    let errors: Vec<Diagnostic> = error.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    assert!(errors.len() >= 3, "{}", render(&errors));
    find_diagnostic(&errors, "library.toml", 2, Some("timezone"), "unknown time zone");
    find_diagnostic(&errors, "faq/general.toml", 11, Some("anwser"), "unknown field");
    find_diagnostic(&errors, "events/programs.toml", 6, Some("repeat"), "unknown repeat");
    // In file order, and the rendered error lists every one of them.
    let files: Vec<&Path> = errors.iter().map(|d| d.file.as_path()).collect();
    assert!(files.is_sorted(), "{files:?}");
    let rendered = error.to_string();
    assert!(rendered.starts_with("3 error(s)"), "{rendered}");
    assert!(
        rendered.contains("faq/general.toml:11: error: `anwser`: unknown field"),
        "{rendered}"
    );
    assert!(rendered.contains("library.toml:2: error: `timezone`:"), "{rendered}");
    assert!(
        rendered.contains("events/programs.toml:6: error: `repeat`:"),
        "{rendered}"
    );
}

#[test]
fn branch_file_name_that_is_not_an_id() {
    let kb = Kb::valid();
    kb.write(
        "branches/Two Rivers.toml",
        &BRANCH.replace("id = \"parking\"", "id = \"two-rivers-parking\""),
    );
    assert_diagnostic(
        &kb.only_error(),
        "branches/Two Rivers.toml",
        0,
        None,
        "lowercase letters, digits and hyphens",
    );
}

#[test]
fn stray_readme_in_faq_is_a_warning_and_the_load_succeeds() {
    let kb = Kb::valid();
    kb.write("faq/README.md", "# FAQ files\n\nOne [[faq]] per answer.\n");
    kb.write("events/.hidden.toml", "this is not TOML and is skipped");
    let (knowledge, warnings) = kb.knowledge();
    assert_eq!(warnings.len(), 1, "{}", render(&warnings));
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_diagnostic(&warnings[0], "faq/README.md", 0, None, "ignored");
    assert_eq!(knowledge.faqs.len(), 2);
}

// ---------------------------------------------------------------- the real knowledge bases

fn load_clean(dir: &Path) -> Knowledge {
    match load_dir(dir) {
        Ok((knowledge, diagnostics)) => {
            let errors: Vec<Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
            assert!(errors.is_empty(), "{}", render(&errors));
            knowledge
        }
        Err(error) => panic!("{} does not load: {error}", dir.display()),
    }
}

#[test]
fn bundled_knowledge_loads_without_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let knowledge = load_clean(&dir);
    assert!(!knowledge.branches.is_empty());
    assert!(!knowledge.faqs.is_empty());
    assert!(!knowledge.events.is_empty());
}

fn shared_eval_knowledge() -> Option<Knowledge> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/knowledge");
    if !dir.is_dir() {
        eprintln!("skipping: {} is absent", dir.display());
        return None;
    }
    Some(load_clean(&dir))
}

#[test]
fn shared_eval_knowledge_loads_without_errors() {
    let Some(knowledge) = shared_eval_knowledge() else {
        return;
    };
    assert_eq!(knowledge.branches.len(), 42);
    assert_eq!(knowledge.library.timezone, chrono_tz::America::Los_Angeles);
    assert!(knowledge.faqs.len() > 20, "{} faqs", knowledge.faqs.len());
    assert!(knowledge.events.iter().all(|event| !event.occurrences.is_empty()));
}

#[test]
fn shared_eval_branch_exceptions() {
    let Some(knowledge) = shared_eval_knowledge() else {
        return;
    };
    let fern_valley = knowledge.branch("fern-valley").expect("fern-valley");
    // A Tuesday, normally open; closed by the branch's roof replacement range.
    assert_eq!(date(2026, 12, 15).weekday(), Weekday::Tue);
    assert!(!fern_valley.hours.on(Weekday::Tue).is_closed());
    let (hours, exception) = knowledge.hours_on(fern_valley, date(2026, 12, 15));
    assert!(hours.is_closed());
    let exception = exception.expect("the roof closure");
    assert!(exception.reason.as_deref().unwrap_or_default().contains("roof"));
    assert_eq!(exception.origin.file, Path::new("branches/fern-valley.toml"));

    let central = knowledge.branch("central").expect("central");
    let (hours, exception) = knowledge.hours_on(central, date(2026, 12, 20));
    assert_eq!(hours.ranges, vec![range((10, 0), (18, 0))]);
    assert!(
        exception
            .expect("finals week")
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("finals")
    );
    let (hours, exception) = knowledge.hours_on(central, date(2026, 12, 13));
    assert!(exception.is_none());
    assert_eq!(hours.ranges, vec![range((12, 0), (18, 0))]);
}

#[test]
fn shared_eval_christmas_eve_closes_early() {
    let Some(knowledge) = shared_eval_knowledge() else {
        return;
    };
    let christmas_eve = date(2026, 12, 24);
    let central = knowledge.branch("central").expect("central");
    let (hours, exception) = knowledge.hours_on(central, christmas_eve);
    assert_eq!(hours.ranges, vec![range((9, 0), (14, 0))]);
    assert_eq!(exception.expect("Christmas Eve").origin.file, Path::new("library.toml"));
    // Split hours 10:00-13:00, 14:00-18:00: the afternoon range is dropped entirely.
    let juniper = knowledge.branch("juniper-springs").expect("juniper-springs");
    assert_eq!(juniper.hours.on(Weekday::Thu).ranges.len(), 2);
    assert_eq!(
        knowledge.hours_on(juniper, christmas_eve).0.ranges,
        vec![range((10, 0), (13, 0))]
    );
    // A branch closed for a range stays closed: the branch exception wins.
    let fern_valley = knowledge.branch("fern-valley").expect("fern-valley");
    assert!(knowledge.hours_on(fern_valley, christmas_eve).0.is_closed());
    for branch in &knowledge.branches {
        assert!(
            knowledge.hours_on(branch, date(2026, 12, 25)).0.is_closed(),
            "{} open on Christmas",
            branch.id
        );
    }
}

#[test]
fn shared_eval_chinatown_calligraphy() {
    let Some(knowledge) = shared_eval_knowledge() else {
        return;
    };
    let calligraphy = knowledge
        .events
        .iter()
        .find(|event| event.title == "Chinese Calligraphy for Beginners")
        .expect("the calligraphy event");
    assert_eq!(calligraphy.branch.as_deref(), Some("chinatown"));
    assert_eq!(calligraphy.origin.file, Path::new("events/chinatown.ics"));
    assert_eq!(calligraphy.occurrences.first(), Some(&at(2026, 12, 2, 15, 0)));
    assert_eq!(calligraphy.occurrences.last(), Some(&at(2027, 2, 24, 15, 0)));
    assert!(
        calligraphy
            .occurrences
            .iter()
            .all(|occurrence| occurrence.weekday() == Weekday::Wed)
    );
    assert!(
        calligraphy
            .occurrences
            .iter()
            .all(|occurrence| occurrence.time() == time(15, 0))
    );
    let dates: Vec<NaiveDate> = calligraphy.occurrences.iter().map(NaiveDateTime::date).collect();
    assert!(!dates.contains(&date(2026, 12, 23)));
    assert!(!dates.contains(&date(2026, 12, 30)));
    assert!(dates.contains(&date(2026, 12, 16)));
    // Dec 2 .. Feb 24 is 13 Wednesdays, minus the two EXDATEs.
    assert_eq!(calligraphy.occurrences.len(), 11);
    assert_eq!(calligraphy.duration, Some(chrono::Duration::minutes(90)));
    let description = calligraphy.description.as_deref().expect("description");
    assert!(
        description.contains("Brushes, ink and paper are provided."),
        "{description}"
    );

    let storytime = knowledge
        .events
        .iter()
        .find(|event| event.title == "Cantonese & Mandarin Storytime")
        .expect("storytime");
    assert_eq!(storytime.occurrences.len(), 10);
    assert!(
        storytime
            .occurrences
            .iter()
            .all(|occurrence| occurrence.weekday() == Weekday::Sat)
    );
}

// ---------------------------------------------------------------- fixed loader bugs
//
// Each test below reproduces a loader bug that has been fixed; the comments quote what
// the loader used to report.

#[test]
fn bug_missing_and_unknown_fields_are_named_by_their_full_path() {
    let kb = Kb::valid();
    kb.replace("library.toml", "name = \"Test County Library\"\n", "");
    // Was: "library.toml:1: error: `timezone`: missing field `name`".
    assert_diagnostic(
        &kb.only_error(),
        "library.toml",
        1,
        Some("name"),
        "missing field `name`",
    );

    let kb = Kb::valid();
    kb.replace(
        "branches/eastside.toml",
        "address = \"1200 E Harbor Blvd, Port Aurelia\"\n",
        "",
    );
    // Was: "branches/eastside.toml:1: error: `name`: missing field `address`".
    find_diagnostic(
        &kb.errors(),
        "branches/eastside.toml",
        1,
        Some("address"),
        "missing field `address`",
    );

    let kb = Kb::valid();
    kb.replace("branches/eastside.toml", "sun = \"closed\"\n", "");
    find_diagnostic(
        &kb.errors(),
        "branches/eastside.toml",
        6,
        Some("hours.sun"),
        "missing field `sun`",
    );

    let kb = Kb::valid();
    kb.replace("branches/eastside.toml", "sat = ", "saturday = ");
    find_diagnostic(
        &kb.errors(),
        "branches/eastside.toml",
        12,
        Some("hours.saturday"),
        "unknown field",
    );
}

#[test]
fn bug_a_broken_branch_file_does_not_make_its_id_unknown() {
    for (from, to) in [
        ("sat = ", "saturday = "),
        ("mon = \"10:00-20:00\"", "mon = \"10-20\""),
        ("name = \"Eastside Branch\"", "name = 5"),
    ] {
        let kb = Kb::valid();
        kb.replace("branches/eastside.toml", from, to);
        // Was also: events/programs.toml:3: `branch`: unknown branch id "eastside".
        let error = kb.only_error();
        assert_eq!(error.file, Path::new("branches/eastside.toml"), "{error}");
    }
}

#[test]
fn bug_bad_start_is_reported_once() {
    let kb = Kb::valid();
    kb.replace(
        "events/programs.toml",
        "start = 2026-12-02T10:30:00",
        "start = 2026-12-02T10:30:00Z",
    );
    kb.replace("events/programs.toml", "end = 2026-12-02T11:00:00", "end = 11:00:00");
    // Was also: events/programs.toml:5: `end`: expected a local date and time ..., found 11:00:00.
    assert_diagnostic(
        &kb.only_error(),
        "events/programs.toml",
        4,
        Some("start"),
        "no time zone offset",
    );
}

#[test]
fn bug_floating_and_all_day_recurrences_keep_their_wall_clock() {
    let kb = Kb::valid();
    let events = "BEGIN:VEVENT\nUID:1@test\nDTSTART:20261202T150000\nRRULE:FREQ=WEEKLY;COUNT=2\nSUMMARY:Floating\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:2@test\nDTSTART;VALUE=DATE:20261205\nRRULE:FREQ=WEEKLY;COUNT=2\nSUMMARY:All day\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:3@test\nDTSTART:20261203T150000\nSUMMARY:Floating once\nEND:VEVENT\n";
    kb.write("events/eastside.ics", &calendar(events));
    let (knowledge, _) = kb.knowledge();
    let occurrences = |title: &str| {
        knowledge
            .events
            .iter()
            .find(|event| event.title == title)
            .map(|event| event.occurrences.clone())
            .expect(title)
    };
    // A single floating event is already read as library wall-clock time.
    assert_eq!(occurrences("Floating once"), vec![at(2026, 12, 3, 15, 0)]);
    // Was, with TZ=UTC: 2026-12-02T07:00 and 2026-12-09T07:00 (and other values on other machines).
    assert_eq!(
        occurrences("Floating"),
        vec![at(2026, 12, 2, 15, 0), at(2026, 12, 9, 15, 0)]
    );
    // Was, with TZ=UTC: 2026-12-04T16:00 and 2026-12-11T16:00, the day before.
    assert_eq!(
        occurrences("All day"),
        vec![at(2026, 12, 5, 0, 0), at(2026, 12, 12, 0, 0)]
    );
}

// ---------------------------------------------------------------- iCalendar and TOML details

/// The occurrences of the event with this title.
#[track_caller]
fn occurrences_of(knowledge: &Knowledge, title: &str) -> Vec<NaiveDateTime> {
    knowledge
        .events
        .iter()
        .find(|event| event.title == title)
        .map(|event| event.occurrences.clone())
        .unwrap_or_else(|| panic!("no event {title:?}"))
}

#[test]
fn ics_local_and_date_only_until_are_read_in_the_start_zone() {
    let kb = Kb::valid();
    // rrule accepts only a UTC UNTIL with a zoned DTSTART; exports also write these.
    let events = "BEGIN:VEVENT\nUID:1@test\nDTSTART;TZID=America/New_York:20261202T180000\n\
                  RRULE:FREQ=WEEKLY;UNTIL=20261216T180000\nSUMMARY:Local until\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:2@test\nDTSTART;TZID=America/New_York:20261202T180000\n\
                  RRULE:FREQ=WEEKLY;UNTIL=20261216\nEXDATE;VALUE=DATE:20261209\nSUMMARY:Date until\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:3@test\nDTSTART:20261202T150000\nRRULE:FREQ=DAILY;UNTIL=20261204T150000\n\
                  SUMMARY:Floating until\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:4@test\nDTSTART;VALUE=DATE:20261205\nRRULE:FREQ=WEEKLY;UNTIL=20261219\n\
                  SUMMARY:All-day until\nEND:VEVENT\n";
    kb.write("events/eastside.ics", &calendar(events));
    let (knowledge, warnings) = kb.knowledge();
    assert!(warnings.is_empty(), "unexpected warnings:\n{}", render(&warnings));
    // 18:00 in New York is 15:00 in Los Angeles; UNTIL includes its own occurrence.
    assert_eq!(
        occurrences_of(&knowledge, "Local until"),
        vec![at(2026, 12, 2, 15, 0), at(2026, 12, 9, 15, 0), at(2026, 12, 16, 15, 0)]
    );
    // A date-only UNTIL includes its whole day; a date-only EXDATE removes that day's occurrence.
    assert_eq!(
        occurrences_of(&knowledge, "Date until"),
        vec![at(2026, 12, 2, 15, 0), at(2026, 12, 16, 15, 0)]
    );
    assert_eq!(
        occurrences_of(&knowledge, "Floating until"),
        vec![at(2026, 12, 2, 15, 0), at(2026, 12, 3, 15, 0), at(2026, 12, 4, 15, 0)]
    );
    assert_eq!(
        occurrences_of(&knowledge, "All-day until"),
        vec![at(2026, 12, 5, 0, 0), at(2026, 12, 12, 0, 0), at(2026, 12, 19, 0, 0)]
    );
}

#[test]
fn ics_windows_time_zone_names_are_mapped() {
    let kb = Kb::valid();
    // As Outlook exports them: Windows zone names, sometimes quoted.
    let events = "BEGIN:VEVENT\nUID:1@test\nDTSTART;TZID=Eastern Standard Time:20261202T180000\n\
                  DTEND;TZID=Eastern Standard Time:20261202T190000\nSUMMARY:Eastern once\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:2@test\nDTSTART;TZID=\"Central Standard Time\":20261205T120000\n\
                  RRULE:FREQ=WEEKLY;COUNT=3\nEXDATE;TZID=Central Standard Time:20261212T120000\n\
                  SUMMARY:Central weekly\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:3@test\nDTSTART;TZID=GMT Standard Time:20261203T180000\n\
                  RRULE:FREQ=DAILY;COUNT=2\nSUMMARY:London daily\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:4@test\nDTSTART;TZID=Pacific Standard Time:20261204T100000\n\
                  SUMMARY:Pacific once\nEND:VEVENT\n";
    kb.write("events/eastside.ics", &calendar(events));
    let (knowledge, warnings) = kb.knowledge();
    assert!(warnings.is_empty(), "unexpected warnings:\n{}", render(&warnings));
    assert_eq!(occurrences_of(&knowledge, "Eastern once"), vec![at(2026, 12, 2, 15, 0)]);
    let eastern = knowledge
        .events
        .iter()
        .find(|event| event.title == "Eastern once")
        .expect("Eastern once");
    assert_eq!(eastern.duration, Some(chrono::Duration::hours(1)));
    assert_eq!(
        occurrences_of(&knowledge, "Central weekly"),
        vec![at(2026, 12, 5, 10, 0), at(2026, 12, 19, 10, 0)]
    );
    // 18:00 in London (GMT in December) is 10:00 in Los Angeles.
    assert_eq!(
        occurrences_of(&knowledge, "London daily"),
        vec![at(2026, 12, 3, 10, 0), at(2026, 12, 4, 10, 0)]
    );
    assert_eq!(occurrences_of(&knowledge, "Pacific once"), vec![at(2026, 12, 4, 10, 0)]);
}

#[test]
fn ics_unknown_time_zone_is_a_warning_and_read_as_library_time() {
    let kb = Kb::valid();
    let events = "BEGIN:VEVENT\nUID:1@test\nDTSTART;TZID=Port Aurelia Time:20261202T180000\n\
                  DTEND;TZID=Port Aurelia Time:20261202T190000\nRRULE:FREQ=WEEKLY;COUNT=2\n\
                  SUMMARY:Somewhere\nEND:VEVENT\n";
    kb.write("events/eastside.ics", &calendar(events));
    let (knowledge, warnings) = kb.knowledge();
    // One warning per unknown zone and event, not one per property.
    assert_eq!(warnings.len(), 1, "{}", render(&warnings));
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_diagnostic(
        &warnings[0],
        "events/eastside.ics",
        4,
        Some("DTSTART"),
        "unknown time zone \"Port Aurelia Time\"",
    );
    assert!(warnings[0].message.contains("America/Los_Angeles"), "{}", warnings[0]);
    assert_eq!(
        occurrences_of(&knowledge, "Somewhere"),
        vec![at(2026, 12, 2, 18, 0), at(2026, 12, 9, 18, 0)]
    );
}

#[test]
fn ics_lowercase_property_names_are_accepted() {
    let kb = Kb::valid();
    let events = "BEGIN:VEVENT\nuid:1@test\ndtstart;tzid=America/New_York:20261202T180000\n\
                  dtend;tzid=America/New_York:20261202T190000\nrrule:FREQ=WEEKLY;COUNT=2\n\
                  exdate;value=date:20261209\nrdate;tzid=America/New_York:20261210T180000\n\
                  summary:Lowercase\nlocation:Eastside Branch\nurl:https://library.example.org/lc\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:2@test\nDtStart;Value=Date:20261211\nSummary:Mixed case\nEND:VEVENT\n";
    kb.write("events/county-feed.ics", &calendar(events));
    let (knowledge, warnings) = kb.knowledge();
    assert!(warnings.is_empty(), "unexpected warnings:\n{}", render(&warnings));
    let lowercase = knowledge
        .events
        .iter()
        .find(|event| event.title == "Lowercase")
        .expect("the lowercase event");
    assert_eq!(
        lowercase.occurrences,
        vec![at(2026, 12, 2, 15, 0), at(2026, 12, 10, 15, 0)]
    );
    assert_eq!(lowercase.duration, Some(chrono::Duration::hours(1)));
    assert_eq!(lowercase.branch.as_deref(), Some("eastside"));
    assert_eq!(lowercase.link.as_deref(), Some("https://library.example.org/lc"));
    let mixed = knowledge
        .events
        .iter()
        .find(|event| event.title == "Mixed case")
        .expect("the mixed-case event");
    assert!(mixed.all_day);
    assert_eq!(mixed.occurrences, vec![at(2026, 12, 11, 0, 0)]);
}

#[test]
fn ics_named_like_a_missing_branch_suggests_the_close_id() {
    let kb = Kb::valid();
    let chinatown = BRANCH
        .replace("Eastside Branch", "Chinatown Branch")
        .replace("\"eastside\", \"east side\"", "\"chinatown\"")
        .replace("id = \"parking\"", "id = \"chinatown-parking\"");
    kb.write("branches/chinatown.toml", &chinatown);
    let events = "BEGIN:VEVENT\nUID:1@test\nDTSTART:20261202T150000\nSUMMARY:Calligraphy\n\
                  LOCATION:Eastside Branch\nEND:VEVENT\n\
                  BEGIN:VEVENT\nUID:2@test\nDTSTART:20261203T150000\nSUMMARY:Online talk\nEND:VEVENT\n";
    kb.write("events/chinatwn.ics", &calendar(events));
    let (knowledge, warnings) = kb.knowledge();
    assert_eq!(warnings.len(), 1, "{}", render(&warnings));
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_diagnostic(&warnings[0], "events/chinatwn.ics", 0, None, "not a branch id");
    assert!(
        warnings[0].message.contains("did you mean \"chinatown\""),
        "{}",
        warnings[0]
    );
    // The events still load, placed by their LOCATION.
    let branch_of = |title: &str| {
        knowledge
            .events
            .iter()
            .find(|event| event.title == title)
            .map(|event| event.branch.clone())
            .unwrap_or_else(|| panic!("no event {title:?}"))
    };
    assert_eq!(branch_of("Calligraphy").as_deref(), Some("eastside"));
    assert_eq!(branch_of("Online talk"), None);
}

#[test]
fn ics_named_after_a_broken_branch_keeps_it() {
    let kb = Kb::valid();
    kb.replace("branches/eastside.toml", "mon = \"10:00-20:00\"", "mon = \"10-20\"");
    kb.write(
        "events/eastside.ics",
        &calendar("BEGIN:VEVENT\nUID:1@test\nDTSTART:20261202T150000\nSUMMARY:Knitting\nEND:VEVENT\n"),
    );
    let error = kb.load().expect_err("the branch file is broken");
    // Only the branch file's own error: no warning that the calendar's name is no branch.
    assert_eq!(error.diagnostics.len(), 1, "{}", render(&error.diagnostics));
    assert_diagnostic(
        &error.diagnostics[0],
        "branches/eastside.toml",
        7,
        Some("hours.mon"),
        "bad time",
    );
}

#[test]
fn duplicate_keys_name_their_field() {
    let kb = Kb::valid();
    kb.replace("library.toml", "website =", "name =");
    assert_diagnostic(&kb.only_error(), "library.toml", 3, Some("name"), "duplicate key");

    let kb = Kb::valid();
    kb.replace("branches/eastside.toml", "tue = ", "mon = ");
    find_diagnostic(
        &kb.errors(),
        "branches/eastside.toml",
        8,
        Some("hours.mon"),
        "duplicate key",
    );

    // Inside an array-of-tables entry the key is named alone, as other entry errors are.
    let kb = Kb::valid();
    kb.replace(
        "faq/general.toml",
        "question = \"I lost my library card\"",
        "question = \"I lost my library card\"\nid = \"card\"",
    );
    assert_diagnostic(&kb.only_error(), "faq/general.toml", 11, Some("id"), "duplicate key");
}

#[test]
fn quoted_dates_and_times_say_to_remove_the_quotes() {
    let kb = branch_with_exception("date = \"2026-12-25\"\nreason = \"Christmas\"\n");
    let error = kb.only_error();
    assert_diagnostic(&error, "branches/eastside.toml", 16, Some("date"), "remove the quotes");
    assert!(error.message.contains("`date = 2026-12-25`"), "{error}");

    let kb = Kb::valid();
    kb.replace("library.toml", "close_at = 14:00:00", "close_at = \"14:00\"");
    let error = kb.only_error();
    assert_diagnostic(&error, "library.toml", 11, Some("close_at"), "remove the quotes");
    assert!(error.message.contains("`close_at = 14:00:00`"), "{error}");

    let kb = Kb::valid();
    kb.replace(
        "events/programs.toml",
        "start = 2026-12-02T10:30:00",
        "start = \"2026-12-02 10:30\"",
    );
    let error = kb.only_error();
    assert_diagnostic(&error, "events/programs.toml", 4, Some("start"), "remove the quotes");
    assert!(error.message.contains("`start = 2026-12-02T10:30:00`"), "{error}");

    // A string that is no date at all gets no such hint.
    let kb = branch_with_exception("date = \"Christmas\"\n");
    let error = kb.only_error();
    assert_diagnostic(&error, "branches/eastside.toml", 16, Some("date"), "string");
    assert!(!error.message.contains("remove the quotes"), "{error}");
}
