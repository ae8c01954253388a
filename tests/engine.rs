//! The answer engine on the bundled knowledge: the answer contract, date rules
//! at fixed instants, bad input, the bundled case file's pass rate, and the
//! leave-one-out self-check; a few cases on the 42-branch evaluation library when it is
//! beside the clone.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use refdesk::engine::{AnswerKind, Engine, EngineConfig, Question};
use refdesk::eval::{self, HeldOutOutcome, SelfCheckSummary, Summary};
use refdesk::knowledge::load_dir;

fn engine() -> Engine {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let (knowledge, _) = load_dir(&directory).expect("the bundled knowledge loads");
    Engine::new(Arc::new(knowledge), EngineConfig::default())
}

/// A library-local wall-clock time in Cedar Valley (America/Chicago).
fn local(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono_tz::America::Chicago
        .with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .expect("an unambiguous local time")
        .to_utc()
}

fn ask(engine: &Engine, text: &str, branch: Option<&str>, now: DateTime<Utc>) -> refdesk::engine::Answer {
    engine.answer(&Question { text, branch, now })
}

#[test]
fn hours_answers_follow_weekly_hours_and_exceptions() {
    let engine = engine();
    let tuesday_morning = local(2026, 12, 1, 10, 0);
    // (question, expected date, expected open)
    let cases = [
        ("is main open on christmas", "2026-12-25", false),
        ("is the main library open tomorrow", "2026-12-02", true),
        ("is riverside open on dec 10", "2026-12-10", false),
        ("is prairie hills open on monday", "2026-12-07", false),
        ("is main open right now", "2026-12-01", true),
    ];
    for (question, date, open) in cases {
        let answer = ask(&engine, question, None, tuesday_morning);
        assert_eq!(answer.kind, AnswerKind::Hours, "{question}: {answer:?}");
        assert_eq!(answer.date, Some(date.parse::<NaiveDate>().unwrap()), "{question}");
        assert_eq!(answer.open, Some(open), "{question}: {}", answer.text);
    }
}

#[test]
fn open_now_depends_on_the_clock() {
    let engine = engine();
    let before_opening = ask(&engine, "is main open now", None, local(2026, 12, 1, 7, 30));
    assert_eq!(before_opening.open, Some(false));
    assert!(
        before_opening.text.contains("opens today at 9:00 am"),
        "{}",
        before_opening.text
    );
    let during = ask(&engine, "is main open now", None, local(2026, 12, 1, 12, 0));
    assert_eq!(during.open, Some(true));
}

#[test]
fn questions_needing_a_branch_ask_for_one() {
    let engine = engine();
    let now = local(2026, 12, 1, 10, 0);
    let answer = ask(&engine, "what time do you open?", None, now);
    assert_eq!(answer.label(), "clarify:branch");
    let with_chat_branch = ask(&engine, "what time do you open?", Some("northside"), now);
    assert_eq!(with_chat_branch.label(), "hours:northside");
    let unknown = ask(&engine, "is the springfield branch open today", None, now);
    assert_eq!(unknown.label(), "clarify:branch");
    assert!(unknown.text.contains("springfield"), "{}", unknown.text);
    // A service at a branch that does not exist: the closest real branches, not the service's FAQ.
    let service = ask(&engine, "does the hillcrest library have study rooms", None, now);
    assert_eq!(service.label(), "clarify:branch");
    assert!(service.text.contains("hillcrest"), "{}", service.text);
    // The library's address, even with a reason given; the patron's own address is an FAQ.
    assert_eq!(
        ask(&engine, "whats ur address? want to stop by after work", None, now).label(),
        "clarify:branch"
    );
    // A misspelt address word still asks for the address.
    assert_eq!(
        ask(&engine, "adress for northside branch", None, now).label(),
        "branch:northside"
    );
    // A short name misspelt, followed by the word that says it is a library.
    assert_eq!(
        ask(&engine, "where is the mian library", None, now).label(),
        "branch:main"
    );
    // A kind of library is not the name of a branch.
    let kind = ask(
        &engine,
        "is there an actual library app, or do i use the website on my phone? its hard to read",
        None,
        now,
    );
    assert!(!kind.text.contains("actual"), "{kind:?}");
}

#[test]
fn smalltalk_and_faq() {
    let engine = engine();
    let now = local(2026, 12, 1, 10, 0);
    assert_eq!(ask(&engine, "hello!", None, now).label(), "smalltalk:greeting");
    assert_eq!(ask(&engine, "thanks so much", None, now).label(), "smalltalk:thanks");
    assert_eq!(ask(&engine, "what can you do?", None, now).label(), "smalltalk:help");
    assert_eq!(ask(&engine, "how do i renew my books", None, now).label(), "faq:renew");
}

#[test]
fn a_long_message_is_answered_by_the_sentence_that_asks() {
    let engine = engine();
    let now = local(2026, 12, 1, 10, 0);
    let long_messages = [
        (
            "Hi, sorry for the long message. My husband and I just moved here from Oregon and we love \
             the Saturday farmers market downtown. Our old library let us take things home for a month \
             at a time and I got used to that. How long can I keep books here?",
            "faq:loan-periods",
        ),
        (
            "Hello! I'm a nursing student and I practically live at the library during finals, my \
             roommates are loud and the wifi at home is terrible. Is it okay to bring my coffee in with me?",
            "faq:food-drink",
        ),
    ];
    for (message, expected) in long_messages {
        assert_eq!(ask(&engine, message, None, now).label(), expected, "{message}");
    }
    // Event words in the story do not make the question about events; in a sentence that asks,
    // they do.
    let story = "We came to the Saturday storytime last week and my kids loved it. \
                 Is it okay to bring my coffee in with me next time?";
    assert_eq!(ask(&engine, story, None, now).label(), "faq:food-drink");
    let asked = "We love your saturday storytime. Is it at the main library this week?";
    assert_eq!(ask(&engine, asked, None, now).kind, AnswerKind::Events);
    // A background sentence that names an entry does not answer for a message whose question
    // is something else: no sentence asks for it.
    let story_then_other_question = "I got the text that my hold is ready. The weather has been awful and \
         my car is in the shop. Could you recommend a good mystery for the bus ride?";
    assert_eq!(ask(&engine, story_then_other_question, None, now).label(), "escalate");
}

#[test]
fn bad_input_gets_an_answer_not_a_panic() {
    let engine = engine();
    let now = local(2026, 12, 1, 10, 0);
    let long = "renew ".repeat(1_000);
    let inputs = [
        "",
        "   ",
        "???",
        "@everyone",
        "<@&123456> hours",
        &long,
        "\u{1F4DA}\u{1F4DA}",
        "é\u{301}",
    ];
    for input in inputs {
        let answer = ask(&engine, input, None, now);
        assert!(!answer.text.is_empty(), "{input:?} got an empty answer");
        assert!(
            (0.0..=1.0).contains(&answer.confidence),
            "{input:?}: confidence {}",
            answer.confidence
        );
    }
}

#[test]
fn json_contract_has_the_documented_fields() {
    let engine = engine();
    let answer = ask(&engine, "is main open on christmas", None, local(2026, 12, 1, 10, 0));
    let json: serde_json::Value = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["kind"], "hours");
    assert_eq!(json["target"], "main");
    assert_eq!(json["date"], "2026-12-25");
    assert_eq!(json["open"], false);
    assert!(json["confidence"].as_f64().is_some());
    assert!(json["text"].as_str().is_some_and(|text| text.contains("Christmas")));
}

#[test]
fn bundled_case_file_passes() {
    let engine = engine();
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/knowledge-cases.toml");
    let report = eval::run_file(&engine, &cases).expect("the case file reads");
    let summary = Summary::of(&report.results);
    assert_eq!(summary.wrong_open, 0, "a wrong open/closed answer: {summary}");
    assert!(summary.pass_rate() >= 93.0, "bundled eval fell to {summary}");
}

/// A knowledge base of two FAQ entries, written to a temporary directory.
fn tiny_engine(faq_toml: &str) -> (tempfile::TempDir, Engine) {
    tiny_engine_with_events(faq_toml, "")
}

fn tiny_engine_with_events(faq_toml: &str, events_toml: &str) -> (tempfile::TempDir, Engine) {
    if events_toml.is_empty() {
        tiny_engine_with_files(faq_toml, &[])
    } else {
        tiny_engine_with_files(faq_toml, &[("events/programs.toml", events_toml)])
    }
}

/// A branch file open 9 to 5 on weekdays and 10 to 2 on Sundays, with `more` (FAQ overrides) after its hours.
fn branch_toml(name: &str, more: &str) -> String {
    format!(
        "name = \"{name}\"\naddress = \"1 Any St\"\nphone = \"555-0199\"\n\n[hours]\n\
         mon = \"9:00-17:00\"\ntue = \"9:00-17:00\"\nwed = \"9:00-17:00\"\nthu = \"9:00-17:00\"\n\
         fri = \"9:00-17:00\"\nsat = \"closed\"\nsun = \"10:00-14:00\"\n\n{more}"
    )
}

/// The two-entry knowledge base with more files (relative path, text) beside it.
fn tiny_engine_with_files(faq_toml: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Engine) {
    let directory = tempfile::TempDir::new().expect("temporary directory");
    let write = |relative: &str, text: &str| {
        let path = directory.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create directory");
        std::fs::write(path, text).expect("write fixture");
    };
    write(
        "library.toml",
        "name = \"Test Library\"\ntimezone = \"America/Chicago\"\n",
    );
    write(
        "branches/main.toml",
        "name = \"Main Library\"\naddress = \"1 Main St\"\nphone = \"555-0100\"\n\n[hours]\nmon = \"9:00-17:00\"\ntue = \"9:00-17:00\"\nwed = \"9:00-17:00\"\nthu = \"9:00-17:00\"\nfri = \"9:00-17:00\"\nsat = \"closed\"\nsun = \"closed\"\n",
    );
    write("faq/general.toml", faq_toml);
    for (relative, text) in files {
        write(relative, text);
    }
    let (knowledge, _) = load_dir(directory.path()).expect("the fixture loads");
    (directory, Engine::new(Arc::new(knowledge), EngineConfig::default()))
}

#[test]
fn self_check_asks_each_phrasing_without_it() {
    let (_directory, engine) = tiny_engine(
        r#"[[faq]]
id = "telescope"
question = "Can I borrow a telescope?"
variants = ["stargazing kit", "check out a telescope"]
answer = "Yes, adult cards can borrow a telescope for a week."

[[faq]]
id = "printing"
question = "How do I print?"
variants = ["print from my phone"]
answer = "Send it to the print queue and pay at the desk."
"#,
    );
    let now = local(2026, 12, 1, 10, 0);
    // The engine itself knows "stargazing kit"; with that variant held out, no other text
    // mentions stargazing or kits, so the honest result is not to answer it.
    assert_eq!(ask(&engine, "stargazing kit", None, now).label(), "faq:telescope");
    let results = eval::self_check(&engine, now);
    let outcome_of = |phrasing: &str| {
        results
            .iter()
            .find(|result| result.phrasing == phrasing)
            .unwrap_or_else(|| panic!("{phrasing:?} was not asked"))
    };
    // (phrasing, its entry, whether the rest of the entry still answers it)
    let cases = [
        ("Can I borrow a telescope?", "telescope", true),
        ("check out a telescope", "telescope", true),
        ("stargazing kit", "telescope", false),
        ("print from my phone", "printing", true),
    ];
    for (phrasing, entry, answered) in cases {
        let result = outcome_of(phrasing);
        assert_eq!(result.entry_id, entry, "{phrasing:?}");
        assert_eq!(
            result.outcome == HeldOutOutcome::Right,
            answered,
            "{phrasing:?}: {:?}",
            result.answer
        );
        assert!(result.origin.is_some(), "{phrasing:?} has no file:line");
    }
    assert_eq!(results.len(), 5, "every question and variant is asked once");
}

#[test]
fn self_check_on_bundled_knowledge() {
    let engine = engine();
    let results = eval::self_check(&engine, local(2026, 12, 1, 10, 0));
    let summary = SelfCheckSummary::of(&results);
    let knowledge = engine.knowledge();
    for faq in &knowledge.faqs {
        assert!(
            results.iter().any(|result| result.entry_id == faq.id),
            "{} was not self-checked",
            faq.id
        );
    }
    assert!(
        summary.right * 100 >= summary.total * 60,
        "self-check fell to {summary}"
    );
    assert!(
        summary.wrong * 100 <= summary.total * 20,
        "self-check answers too many wrong: {summary}"
    );
}

#[test]
fn real_words_are_not_corrected_into_knowledge_words() {
    let (_directory, engine) = tiny_engine(
        r#"[[faq]]
id = "seating"
question = "Is there seating for groups?"
answer = "Yes, tables for eight on the second floor."
"#,
    );
    // (message, whether its terms may include the knowledge's "seat")
    let cases = [
        ("is there seeting for groups", true),
        ("is there skating near the library", false),
        ("where is the reading room", false),
    ];
    for (message, seat) in cases {
        let explained = engine.explain(message);
        let terms = explained
            .lines()
            .find(|line| line.starts_with("terms:"))
            .expect("terms line");
        assert_eq!(terms.contains("seat"), seat, "{message:?}: {terms}");
    }
}

#[test]
fn routes_follow_the_evidence_not_a_fixed_confidence() {
    let engine = engine();
    let now = local(2026, 12, 1, 10, 0);
    // (question, the kind it must get, the least confidence)
    let cases = [
        ("how do i get a library card", AnswerKind::Faq, 0.5),
        ("is there a lego club at main", AnswerKind::Events, 0.9),
        ("what's on at northside this saturday", AnswerKind::Events, 0.9),
        ("when is the next storytime", AnswerKind::Events, 0.8),
    ];
    for (question, kind, minimum) in cases {
        let answer = ask(&engine, question, None, now);
        assert_eq!(answer.kind, kind, "{question}: {answer:?}");
        assert!(answer.confidence >= minimum, "{question}: {}", answer.confidence);
    }
    // Closing an account is not an hours question.
    let account = ask(&engine, "how do i close my account", None, now);
    assert!(
        !matches!(account.kind, AnswerKind::Hours | AnswerKind::Clarify),
        "{account:?}"
    );
    // Event wording about something no event is ("are library events free") stays below a
    // scheduled event question's confidence.
    let vague = ask(&engine, "are library events free", None, now);
    assert!(vague.kind != AnswerKind::Events || vague.confidence < 0.9, "{vague:?}");
}

#[test]
fn hours_words_that_measure_time_or_tell_history_are_not_hours_questions() {
    let engine = engine();
    let now = local(2026, 12, 1, 10, 0);
    let not_hours = [
        "im retired and want to volunteer a few hours a week",
        "can i volunteer 2 hours at a time",
        "when was the first library in cedar valley opened",
    ];
    for question in not_hours {
        let answer = ask(&engine, question, None, now);
        assert!(
            !matches!(answer.kind, AnswerKind::Hours | AnswerKind::Clarify),
            "{question}: {answer:?}"
        );
    }
    // The same words still ask for hours when they do.
    for question in [
        "what are main's hours",
        "is main opened yet",
        "how many hours is main open on saturday",
    ] {
        let answer = ask(&engine, question, None, now);
        assert_eq!(answer.kind, AnswerKind::Hours, "{question}: {answer:?}");
    }
}

#[test]
fn an_answer_needs_both_models_to_agree() {
    // "parking" in one entry's question and "tickets" in another's answer: the words overlap
    // an entry, but nothing says the question is about it, so it goes to staff.
    let (_directory, engine) = tiny_engine(
        r#"
[[faq]]
id = "parking"
question = "Where can I park?"
variants = ["parking lot", "is parking free"]
answer = "The lot behind the building is free for library visitors."

[[faq]]
id = "wifi"
question = "Do you have wifi?"
variants = ["wireless internet", "wifi password"]
answer = "Yes, join HCPL-Public; no password needed."
"#,
    );
    let now = local(2026, 12, 1, 10, 0);
    let clear = ask(&engine, "is there free parking", None, now);
    assert_eq!(
        (clear.kind, clear.target.as_deref()),
        (AnswerKind::Faq, Some("parking")),
        "{clear:?}"
    );
    let incidental = ask(
        &engine,
        "my car got a ticket in the lot while i was inside, can you pay it",
        None,
        now,
    );
    assert_eq!(incidental.kind, AnswerKind::Escalate, "{incidental:?}");
}

#[test]
fn incidents_go_to_a_person_even_when_they_name_an_faq_topic() {
    let engine = engine();
    let now = local(2026, 12, 1, 10, 0);
    for question in [
        "the man at the desk was rude to me when i asked about my fines",
        "our meeting room request was denied and nobody said why",
        "can you waive the fine, the book drop was jammed",
    ] {
        let answer = ask(&engine, question, None, now);
        assert_eq!(answer.kind, AnswerKind::Escalate, "{question}: {answer:?}");
    }
}

#[test]
fn a_day_named_as_a_deadline_is_not_the_day_asked_about() {
    let engine = engine();
    let answer = ask(
        &engine,
        "is main open tmrw? need to return stuff before christmas",
        None,
        local(2026, 12, 5, 12, 0),
    );
    assert_eq!(answer.kind, AnswerKind::Hours, "{answer:?}");
    assert_eq!(
        answer.date,
        Some(NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()),
        "{}",
        answer.text
    );
    // Alone, the holiday is the day asked about.
    let alone = ask(
        &engine,
        "is main open before christmas",
        None,
        local(2026, 12, 5, 12, 0),
    );
    assert_eq!(
        alone.date,
        Some(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()),
        "{}",
        alone.text
    );
}

#[test]
fn words_after_an_hours_question_say_why_the_patron_asks() {
    let engine = engine();
    let saturday_noon = local(2026, 12, 5, 12, 0);
    for (question, branch) in [
        ("is main still open? need to use the wifi", "main"),
        ("is northside open tomorrow? want to pick up my hold", "northside"),
        ("is main open rn? need to drop off books", "main"),
    ] {
        let answer = ask(&engine, question, None, saturday_noon);
        assert_eq!(answer.kind, AnswerKind::Hours, "{question}: {answer:?}");
        assert_eq!(answer.target.as_deref(), Some(branch), "{question}");
    }
    // The thing that must be open, named before the hours word, is still the topic.
    let book_drop = ask(&engine, "is the book drop open all night", None, saturday_noon);
    assert_eq!(book_drop.kind, AnswerKind::Faq, "{book_drop:?}");
    assert_eq!(book_drop.target.as_deref(), Some("book-drop"));
}

#[test]
fn where_questions_need_a_branch() {
    let engine = engine();
    let now = local(2026, 12, 5, 12, 0);
    let located = ask(&engine, "where r u located", None, now);
    assert_eq!(located.kind, AnswerKind::Clarify, "{located:?}");
    let exactly = ask(&engine, "where exactly is northside", None, now);
    assert_eq!(exactly.kind, AnswerKind::Branch, "{exactly:?}");
    assert!(exactly.text.contains("4120 N Oak Ridge Rd"), "{}", exactly.text);
    // In a branch's chat the branch is known.
    let in_branch_chat = ask(&engine, "where r u located", Some("northside"), now);
    assert_eq!(in_branch_chat.kind, AnswerKind::Branch, "{in_branch_chat:?}");
}

#[test]
fn stretched_greetings_acknowledgements_and_capability_questions_are_smalltalk() {
    let engine = engine();
    let now = local(2026, 12, 5, 12, 0);
    for (message, target) in [
        ("hiii", "greeting"),
        ("heyyy there", "greeting"),
        ("ok cool", "thanks"),
        ("got it, thanks sooo much", "thanks"),
        ("what kinds of stuff can you answer", "help"),
        ("awesome thank u, happy new year!", "thanks"),
        ("merry christmas to you all", "greeting"),
        ("yo", "greeting"),
        ("hey there library", "greeting"),
        ("hiya, anyone there?", "greeting"),
        ("thank u so much that was super helpful", "thanks"),
        ("how does this chat thing work", "help"),
        ("um what are you exactly, what can i ask u", "help"),
        ("what can you help me with?", "help"),
    ] {
        let answer = ask(&engine, message, None, now);
        assert_eq!(answer.kind, AnswerKind::Smalltalk, "{message}: {answer:?}");
        assert_eq!(answer.target.as_deref(), Some(target), "{message}");
    }
}

#[test]
fn an_event_topic_is_what_the_patron_wants_not_who_it_is_for() {
    let engine = engine();
    // Saturday noon: this morning's LEGO Club (10:30-11:45) is over.
    let answer = ask(
        &engine,
        "when is the next lego club? my son loves it",
        None,
        local(2026, 12, 5, 12, 0),
    );
    assert_eq!(answer.kind, AnswerKind::Events, "{answer:?}");
    assert!(
        answer.text.contains("LEGO Club: Saturday, December 12"),
        "{}",
        answer.text
    );
    assert!(!answer.text.contains("today"), "{}", answer.text);
    assert!(!answer.text.contains("Storytime"), "{}", answer.text);
    // A talk that is over is the match; an event sharing one word of its title is not.
    let over = ask(
        &engine,
        "when is the author talk about the winter orchard",
        None,
        local(2026, 12, 5, 12, 0),
    );
    assert_eq!(over.kind, AnswerKind::Events, "{over:?}");
    assert!(!over.text.contains("Book Sale"), "{}", over.text);
}

#[test]
fn a_question_about_a_moment_that_names_an_event_is_about_the_calendar() {
    let engine = engine();
    let now = local(2026, 12, 5, 12, 0);
    let answer = ask(&engine, "seed starting workshop, when is it", None, now);
    assert_eq!(answer.kind, AnswerKind::Events, "{answer:?}");
    assert!(answer.text.contains("January 30"), "{}", answer.text);
    // The meeting-rooms FAQ mentions clubs too, but the question asks when.
    let chess = ask(&engine, "when is the chess club", None, now);
    assert_eq!(chess.kind, AnswerKind::Events, "{chess:?}");
    assert!(chess.text.contains("Chess Club"), "{}", chess.text);
    // The part of a title in quotes is a name patrons use on its own.
    let quoted = ask(
        &engine,
        "when is the winter orchard talk",
        None,
        local(2026, 12, 1, 12, 0),
    );
    assert_eq!(quoted.kind, AnswerKind::Events, "{quoted:?}");
    assert!(quoted.text.contains("Ruth Lindqvist"), "{}", quoted.text);
}

#[test]
fn the_day_asked_about_survives_chatty_context() {
    let engine = engine();
    let friday_morning = local(2026, 12, 4, 8, 15);
    // (question, the day the answer is about)
    let cases = [
        // Punctuation ends the date: "my" does not modify "the 15th".
        ("is riverside open the 15th? my holds are there", "2026-12-15"),
        // "sat" after "for" or "hours" is Saturday.
        ("hrs for sat at northside pls", "2026-12-05"),
        // A deadline a few words after "before" is not the day asked about.
        (
            "is main open tmrw? want to grab some dvds before my trip on the 20th",
            "2026-12-05",
        ),
        // The sentence that asks outranks the one that tells why, holiday or not.
        (
            "prairie hills open saturday? doing the christmas shopping out there",
            "2026-12-05",
        ),
        // "sun" right before "hours" is Sunday.
        ("downtown library sun hours", "2026-12-06"),
        // The branch between "is" and "open" is what must be open, not the errand before it.
        (
            "gotta drop off a stack of overdue dvds, is north side open tmrw?",
            "2026-12-05",
        ),
    ];
    for (question, date) in cases {
        let answer = ask(&engine, question, None, friday_morning);
        assert_eq!(answer.kind, AnswerKind::Hours, "{question}: {answer:?}");
        assert_eq!(
            answer.date,
            Some(date.parse::<NaiveDate>().unwrap()),
            "{question}: {}",
            answer.text
        );
    }
}

#[test]
fn the_time_of_an_event_and_a_service_at_a_branch() {
    let engine = engine();
    let now = local(2026, 12, 1, 9, 0);
    let storytime = ask(
        &engine,
        "baby and toddler storytime at main tomorrow? what time",
        None,
        now,
    );
    assert_eq!(storytime.kind, AnswerKind::Events, "{storytime:?}");
    assert!(storytime.text.contains("10:30 am"), "{}", storytime.text);
    let service = ask(&engine, "is there a teen room at northside", None, now);
    assert_eq!(service.kind, AnswerKind::Branch, "{service:?}");
    let help = ask(&engine, "what kinda stuff can u help me with", None, now);
    assert_eq!(help.kind, AnswerKind::Smalltalk, "{help:?}");
    assert_eq!(help.target.as_deref(), Some("help"));
}

#[test]
fn branch_questions_worded_the_way_patrons_ask() {
    let engine = engine();
    let now = local(2026, 12, 1, 9, 0);
    let cases = [
        ("what street is the prairie hills library on", "branch:prairie"),
        (
            "how do i find the riverside library, never been there",
            "branch:riverside",
        ),
        ("main got study rooms?", "branch:main"),
        ("is any library branch open on dec 6? anywhere at all", "hours:all"),
        (
            "my kids r going stir crazy, anything at the main library this sat",
            "events:main",
        ),
    ];
    for (question, label) in cases {
        let answer = ask(&engine, question, None, now);
        assert_eq!(answer.label(), label, "{question}: {}", answer.text);
    }
}

#[test]
fn a_word_only_event_titles_use_with_a_time_asks_the_calendar() {
    let engine = engine();
    let now = local(2026, 12, 1, 9, 0);
    let answer = ask(
        &engine,
        "theres a medicare talk at main sometime in january?",
        None,
        now,
    );
    assert_eq!(answer.label(), "events:main", "{}", answer.text);
    assert!(answer.text.contains("Medicare Basics"), "{}", answer.text);
    let answer = ask(&engine, "where can my kid play chess this weekend", None, now);
    assert_eq!(answer.label(), "events:all", "{}", answer.text);
    assert!(answer.text.contains("Chess Club"), "{}", answer.text);
}

#[test]
fn a_closed_day_is_the_answer_to_an_errand_and_next_opening_counts_from_today() {
    let engine = engine();
    let christmas_eve = local(2026, 12, 24, 10, 0);
    let answer = ask(&engine, "is main open on christmas", None, christmas_eve);
    assert_eq!(answer.open, Some(false), "{}", answer.text);
    // The day after Christmas is not "tomorrow" for a patron asking on Christmas Eve.
    assert!(
        answer
            .text
            .contains("It next opens on Saturday, December 26 at 9:00 am."),
        "{}",
        answer.text
    );

    let closed = ask(
        &engine,
        "can i pick up my holds at main on christmas",
        None,
        christmas_eve,
    );
    assert_eq!(closed.label(), "hours:main", "{}", closed.text);
    assert_eq!(closed.open, Some(false), "{}", closed.text);
    // On a day the branch opens, the errand's own answer stands.
    let open = ask(
        &engine,
        "can i pick up my holds at main on saturday",
        None,
        christmas_eve,
    );
    assert_eq!(open.kind, AnswerKind::Faq, "{}", open.text);
}

#[test]
fn a_month_is_answered_as_weekly_hours_and_the_days_that_differ() {
    let engine = engine();
    let answer = ask(&engine, "is main open in january", None, local(2026, 12, 28, 10, 0));
    assert_eq!(answer.label(), "hours:main", "{}", answer.text);
    assert_eq!(answer.date, Some(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
    assert!(answer.text.contains("Except:"), "{}", answer.text);
    assert!(answer.text.contains("January 1"), "{}", answer.text);
    assert!(answer.text.lines().count() < 15, "{}", answer.text);
}

#[test]
fn fixes_from_the_sunday_morning_calendar_set() {
    let engine = engine();
    // Sunday 8:30; Main opens at 1 pm on Sundays and 9 am on Mondays.
    let now = local(2026, 12, 6, 8, 30);
    let label = |question: &str| {
        let answer = ask(&engine, question, None, now);
        (
            answer.label(),
            answer.date.map(|date| date.to_string()),
            answer.open,
            answer.text,
        )
    };

    // "open yet" is about this minute, though "this morning" names today too.
    let (kind, date, open, text) = label("is main open yet this morning");
    assert_eq!(
        (kind.as_str(), date.as_deref(), open),
        ("hours:main", Some("2026-12-06"), Some(false)),
        "{text}"
    );
    // A time that is not this minute: the text answers the time, `open` the day (the contract).
    let (_, date, open, text) = label("main open at 8 tomorrow?");
    assert_eq!((date.as_deref(), open), (Some("2026-12-07"), Some(true)), "{text}");
    assert!(
        text.starts_with("Main Library is closed at 8:00 am tomorrow (Monday"),
        "{text}"
    );
    // "this coming sunday" on a Sunday is a week away.
    let (_, date, _, text) = label("main open this coming sunday");
    assert_eq!(date.as_deref(), Some("2026-12-13"), "{text}");

    for (question, expected) in [
        ("is every branch closed for christmas", "hours:all"),
        ("main library number? want to call before i drive out", "branch:main"),
        (
            "are there study rooms at main? need one for a group project",
            "branch:main",
        ),
        ("something for teens on saturday? my 14 yr old is bored", "events:all"),
        ("what sort of stuff can i ask u", "smalltalk:help"),
    ] {
        let (kind, _, _, text) = label(question);
        assert_eq!(kind, expected, "{question}: {text}");
    }
    let (_, _, _, text) = label("is every branch closed for christmas");
    assert_eq!(text, "No branch is open on Friday, December 25.");
    let (kind, _, _, text) = label("any book clubs next month");
    assert_eq!(kind, "events:all", "{text}");
    assert!(text.contains("Book Club"), "{text}");
}

#[test]
fn fixes_from_the_presidents_day_calendar_set() {
    let engine = engine();
    let now = local(2026, 12, 1, 9, 0);
    let cases = [
        (
            Some("main"),
            "can i come in tmrw at 10 to use a computer?",
            "hours:main",
        ),
        (None, "can i come in sunday afternoon?", "clarify:branch"),
        (None, "is everything open tomorrow", "hours:all"),
        (
            None,
            "what services does the prairie hills branch have",
            "branch:prairie",
        ),
        (
            None,
            "any storytimes tomorrow morning? my 2 yr old is going stir crazy",
            "events:all",
        ),
        (None, "main library thursday events? im free after 5", "events:main"),
        (
            None,
            "whats ur street address? want to walk over after school",
            "clarify:branch",
        ),
        (None, "thx that helps a ton", "smalltalk:thanks"),
        (
            None,
            "um what are you exactly, what kinda stuff can you help with",
            "smalltalk:help",
        ),
    ];
    for (branch, question, label) in cases {
        let answer = ask(&engine, question, branch, now);
        assert_eq!(answer.label(), label, "{question}: {}", answer.text);
    }
    // Words that name no event do not empty the day's calendar.
    let thursday = ask(&engine, "main library thursday events? im free after 5", None, now);
    assert!(!thursday.text.starts_with("I don't see"), "{}", thursday.text);
}

#[test]
fn a_branch_may_be_named_by_its_street() {
    let engine = engine();
    let tuesday_morning = local(2026, 12, 1, 10, 0);
    // (question, kind, branch): the streets of "210 W Third St", "4120 N Oak Ridge Rd" and
    // "85 Mill Race Ln", written the ways patrons write them.
    let cases = [
        (
            "is the library on third street open tomorrow",
            AnswerKind::Hours,
            "main",
        ),
        (
            "the branch on oak ridge road, whats their phone number",
            AnswerKind::Branch,
            "northside",
        ),
        ("library on mill race ln open rn?", AnswerKind::Hours, "riverside"),
        ("the one on west third st, open saturday?", AnswerKind::Hours, "main"),
    ];
    for (question, kind, branch) in cases {
        let answer = ask(&engine, question, None, tuesday_morning);
        assert_eq!(answer.kind, kind, "{question}: {answer:?}");
        assert_eq!(answer.target.as_deref(), Some(branch), "{question}: {answer:?}");
    }
}

#[test]
fn going_on_is_about_events_only_when_it_asks_whats_on() {
    let engine = engine();
    let tuesday_morning = local(2026, 12, 1, 10, 0);
    let events = ask(&engine, "whats going on at main this weekend", None, tuesday_morning);
    assert_eq!(events.kind, AnswerKind::Events, "{events:?}");
    let strike = ask(
        &engine,
        "are library workers going on strike in january? my neighbor said so",
        None,
        tuesday_morning,
    );
    assert_ne!(strike.kind, AnswerKind::Events, "{strike:?}");
}

#[test]
fn a_word_only_a_description_uses_does_not_name_the_event_asked_for() {
    let (_directory, engine) = tiny_engine_with_events(
        "[[faq]]\nid = \"cards\"\nquestion = \"How do I get a library card?\"\nanswer = \"Bring an ID.\"\n",
        "[[event]]\ntitle = \"Family Storytime\"\nbranch = \"main\"\nstart = 2026-12-07T10:00:00\nend = 2026-12-07T10:30:00\naudience = \"Ages 0-5\"\ndescription = \"Songs and stories.\"\n\n\
         [[event]]\ntitle = \"Chess Club\"\nbranch = \"main\"\nstart = 2026-12-14T16:00:00\nend = 2026-12-14T17:00:00\naudience = \"Adults\"\ndescription = \"A friendly game for all levels.\"\n",
    );
    // "cousins" and the chess club's "friendly" share a concept, but only in its description:
    // the patron asks for something for the kids on Monday.
    let answer = ask(
        &engine,
        "cousins are in town next monday, anything for the kids at main?",
        None,
        local(2026, 12, 1, 10, 0),
    );
    assert_eq!(answer.kind, AnswerKind::Events, "{answer:?}");
    assert!(answer.text.contains("Family Storytime"), "{}", answer.text);
    assert!(!answer.text.contains("Chess"), "{}", answer.text);
}

#[test]
fn zip_codes_and_anything_open() {
    let engine = engine();
    let now = local(2026, 12, 1, 10, 0);
    let zip = ask(
        &engine,
        "zip code for the riverside library? filling out a form",
        None,
        now,
    );
    assert_eq!(zip.kind, AnswerKind::Branch, "{zip:?}");
    assert!(zip.text.contains("52481"), "{}", zip.text);
    let anything = ask(
        &engine,
        "anything open on christmas day? the kids are restless",
        None,
        now,
    );
    assert_eq!(anything.kind, AnswerKind::Hours, "{anything:?}");
    assert_eq!(anything.target.as_deref(), Some("all"), "{anything:?}");
}

#[test]
fn everyday_words_count_less_than_topic_words() {
    let (_directory, engine) = tiny_engine(
        r#"[[faq]]
id = "back-entrance"
question = "Where is the back entrance?"
answer = "Behind the building, by the parking lot."

[[faq]]
id = "strollers"
question = "Can I bring a stroller inside?"
answer = "Yes, strollers are welcome on every floor."
"#,
    );
    // Each entry explains one word of the question; "back" is one of the most common words of
    // English, so the entry that explains "stroller" is the better guess.
    let explained = engine.explain("can i leave the stroller at the back");
    let best = explained
        .lines()
        .find(|line| line.starts_with("  "))
        .expect("a candidate line");
    assert!(best.trim_start().starts_with("strollers "), "{explained}");
}

#[test]
fn a_weak_match_is_not_an_answer_however_far_ahead() {
    let (_directory, engine) = tiny_engine(
        r#"[[faq]]
id = "parking"
question = "Where can I park?"
variants = ["parking lot", "is parking free"]
answer = "The lot behind the building is free for library visitors."

[[faq]]
id = "wifi"
question = "Do you have wifi?"
answer = "Yes, join HCPL-Public; no password needed."
"#,
    );
    // Only "lot" matches, and no other entry matches anything: far ahead, but still weak.
    let answer = ask(
        &engine,
        "who fixes the potholes in the lot on our street",
        None,
        local(2026, 12, 1, 10, 0),
    );
    assert_eq!(answer.kind, AnswerKind::Escalate, "{answer:?}");
    let guess = answer.guess.expect("the weak match is passed on as a guess");
    assert_eq!(guess.target.as_deref(), Some("parking"));
}

#[test]
fn place_abbreviations_name_branches() {
    let heights = branch_toml("Mission Heights Branch", "");
    let point = branch_toml("Lighthouse Point Branch", "");
    let (_directory, engine) = tiny_engine_with_files(
        "",
        &[
            ("branches/mission-heights.toml", &heights),
            ("branches/lighthouse-point.toml", &point),
        ],
    );
    let now = local(2026, 12, 1, 10, 0);
    assert_eq!(
        ask(&engine, "mission hts branch address", None, now).label(),
        "branch:mission-heights"
    );
    assert_eq!(
        ask(&engine, "is lighthouse pt open today", None, now).label(),
        "hours:lighthouse-point"
    );
}

#[test]
fn a_branch_answers_in_its_own_words_and_where_asks_for_a_place() {
    let fern_valley = branch_toml(
        "Fern Valley Branch",
        "[[faq]]\nid = \"holds-pickup\"\nquestion = \"Where do I pick up my holds?\"\n\
         answer = \"While Fern Valley is closed for its roof replacement, holds go to Main Library.\"\n",
    );
    let (_directory, engine) = tiny_engine_with_files(
        r#"[[faq]]
id = "holds-pickup"
question = "Where do I pick up my holds?"
answer = "Ready holds wait on the holds shelf near the entrance."

[[faq]]
id = "hold-pickup-deadline"
question = "How long will my hold be kept for me?"
variants = ["pick up by date"]
answer = "Ready holds wait for 7 days."

[[faq]]
id = "renew"
question = "How do I renew my books?"
answer = "Renew online or at the desk."

[[faq]]
id = "wifi"
question = "Is there free wifi?"
answer = "Yes, join the library network."

[[faq]]
id = "printing"
question = "How do I print a document?"
answer = "Send it to the print queue and pay at the desk."

[[faq]]
id = "parking"
question = "Where can I park?"
answer = "The lot behind the building is free."
"#,
        &[("branches/fern-valley.toml", &fern_valley)],
    );
    let now = local(2026, 12, 1, 10, 0);
    // Both entries are about picking up holds; only one is asked with "where".
    assert_eq!(
        ask(&engine, "where do i pick up holds at main", None, now).label(),
        "faq:holds-pickup"
    );
    // The closure is news, the question is where the holds go: the branch's own answer says.
    let closure = ask(&engine, "fern valley is closing, where do my holds go?", None, now);
    assert_eq!(closure.label(), "faq:holds-pickup", "{closure:?}");
    assert!(closure.text.contains("roof"), "{}", closure.text);
    // Asking where something is open still asks for hours.
    let open = ask(&engine, "is fern valley open on sunday", None, now);
    assert_eq!(open.kind, AnswerKind::Hours, "{open:?}");
}

#[test]
fn why_the_patron_asks_does_not_change_what_they_ask() {
    let engine = engine();
    let tuesday_afternoon = local(2026, 12, 1, 16, 0);
    // Getting there is why the closing time matters.
    let hours = ask(
        &engine,
        "can i still make it to northside before they close? leaving now",
        None,
        tuesday_afternoon,
    );
    assert_eq!(hours.label(), "hours:northside", "{hours:?}");
    // The closing time is the patron's deadline; the address is what they ask for.
    let address = ask(
        &engine,
        "whats the address for northside library? want to get there before they close",
        None,
        tuesday_afternoon,
    );
    assert_eq!(address.label(), "branch:northside", "{address:?}");
    // Where something is at a branch is not where the branch is.
    let parking = ask(
        &engine,
        "driving to the main library saturday, where's the best place to park",
        None,
        tuesday_afternoon,
    );
    assert_ne!(parking.kind, AnswerKind::Branch, "{parking:?}");
}

#[test]
fn one_patrons_dispute_or_missing_item_goes_to_a_person() {
    let engine = engine();
    let now = local(2026, 12, 1, 16, 0);
    for message in [
        "i suggested you buy a book 3 weeks ago, did you decide yet?",
        "the print station charged my card twice for the same job",
        "my hold says ready for pickup but its not on the shelf",
        "i got a damage bill for a stain that was already there, this is not fair",
    ] {
        assert_eq!(ask(&engine, message, None, now).label(), "escalate", "{message}");
    }
}

#[test]
fn a_service_asked_in_a_branch_channel_is_about_that_branch() {
    let engine = engine();
    let now = local(2026, 12, 1, 10, 0);
    let here = ask(&engine, "do you guys have a makerspace here?", Some("riverside"), now);
    assert_eq!(here.label(), "branch:riverside", "{here:?}");
    assert!(
        here.text.starts_with("Yes, Riverside Branch has makerspace"),
        "{}",
        here.text
    );
    let missing = ask(&engine, "is there a makerspace at this branch", Some("northside"), now);
    assert_eq!(missing.label(), "branch:northside", "{missing:?}");
    // Help with a topic is a question about the library, not about the bot.
    assert_ne!(
        ask(&engine, "can you help me with my resume", None, now).kind,
        AnswerKind::Smalltalk
    );
}

#[test]
fn a_house_rule_asked_about_an_event_is_answered_by_the_rule() {
    let (_directory, engine) = tiny_engine_with_events(
        "[[faq]]\nid = \"pets\"\nquestion = \"Can I bring my dog to the library?\"\nanswer = \"Only service animals.\"\ntags = [\"pets\", \"animals\"]\n\n\
         [[faq]]\nid = \"storytime\"\nquestion = \"What is storytime?\"\nanswer = \"Free songs and stories for young children.\"\n\n\
         [[faq]]\nid = \"renew\"\nquestion = \"How do I renew my books?\"\nanswer = \"Online or by phone.\"\n\n\
         [[faq]]\nid = \"wifi\"\nquestion = \"Is there free wifi?\"\nanswer = \"Yes, no password.\"\n\n\
         [[faq]]\nid = \"printing\"\nquestion = \"How much does printing cost?\"\nanswer = \"10 cents a page.\"\n\n\
         [[faq]]\nid = \"cards\"\nquestion = \"How do I get a library card?\"\nanswer = \"Bring an ID.\"\n",
        "[[event]]\ntitle = \"Toddler Storytime\"\nbranch = \"main\"\nstart = 2026-12-07T10:00:00\nend = 2026-12-07T10:30:00\nrepeat = \"weekly\"\nuntil = 2026-12-28\naudience = \"Ages 1-3\"\ndescription = \"Songs and stories.\"\n",
    );
    let now = local(2026, 12, 1, 10, 0);
    let dog = ask(&engine, "can i bring my dog to toddler storytime at main", None, now);
    assert_eq!(dog.kind, AnswerKind::Faq, "{dog:?}");
    assert_eq!(dog.target.as_deref(), Some("pets"), "{dog:?}");
    // Asking about a day, or when, still asks for the calendar.
    for question in [
        "can i bring my kid to toddler storytime at main on monday",
        "when is toddler storytime at main",
    ] {
        let answer = ask(&engine, question, None, now);
        assert_eq!(answer.kind, AnswerKind::Events, "{question}: {answer:?}");
    }
}

#[test]
fn the_calendar_of_every_branch_or_of_one_that_does_not_exist() {
    let engine = engine();
    let now = local(2026, 12, 10, 11, 0);
    let everywhere = ask(&engine, "what's happening at all the branches tomorrow", None, now);
    assert_eq!(everywhere.kind, AnswerKind::Events, "{everywhere:?}");
    assert_eq!(everywhere.target.as_deref(), Some("all"), "{everywhere:?}");
    let nowhere = ask(&engine, "summerville library events this weekend", None, now);
    assert_eq!(nowhere.kind, AnswerKind::Clarify, "{nowhere:?}");
    assert!(nowhere.text.contains("summerville"), "{}", nowhere.text);
}

#[test]
fn nothing_in_a_month_asked_about_says_so_and_covers_that_month() {
    let engine = engine();
    let answer = ask(
        &engine,
        "is there storytime at main in march",
        None,
        local(2026, 12, 10, 11, 0),
    );
    assert_eq!(answer.kind, AnswerKind::Events, "{answer:?}");
    assert!(
        answer
            .text
            .starts_with("Nothing matching between March 1 and March 31."),
        "{}",
        answer.text
    );
    assert_eq!(answer.from, NaiveDate::from_ymd_opt(2026, 12, 10), "{answer:?}");
    assert_eq!(answer.to, NaiveDate::from_ymd_opt(2027, 3, 31), "{answer:?}");
}

#[test]
fn thanks_with_a_parting_wish_is_small_talk() {
    let engine = engine();
    for text in [
        "thx, have a good long weekend",
        "ty sm that helped",
        "thanks, have a good one",
    ] {
        let answer = ask(&engine, text, None, local(2026, 12, 10, 11, 0));
        assert_eq!(answer.kind, AnswerKind::Smalltalk, "{text}: {answer:?}");
        assert_eq!(answer.target.as_deref(), Some("thanks"), "{text}: {answer:?}");
    }
}

#[test]
fn the_next_opening_asked_while_closed_is_about_the_day_it_opens() {
    let engine = engine();
    // Thursday 10 pm: Main has closed for the day; Riverside is closed until December 21.
    let night = local(2026, 12, 10, 22, 0);
    for (question, branch, date) in [
        ("when does main open next", "main", (2026, 12, 11)),
        ("when does riverside reopen", "riverside", (2026, 12, 21)),
    ] {
        let answer = ask(&engine, question, None, night);
        assert_eq!(answer.kind, AnswerKind::Hours, "{question}: {answer:?}");
        assert_eq!(answer.target.as_deref(), Some(branch), "{question}: {answer:?}");
        assert_eq!(
            answer.date,
            NaiveDate::from_ymd_opt(date.0, date.1, date.2),
            "{question}: {answer:?}"
        );
        assert_eq!(answer.open, Some(true), "{question}: {answer:?}");
        assert!(answer.text.contains("closed right now"), "{}", answer.text);
    }
    // Asked while open, "next" changes nothing: today's hours.
    let open = ask(&engine, "when does main open next", None, local(2026, 12, 10, 11, 0));
    assert_eq!(open.date, NaiveDate::from_ymd_opt(2026, 12, 10), "{open:?}");
}

#[test]
fn going_to_a_branch_on_a_day_asks_whether_it_is_open() {
    let engine = engine();
    let answer = ask(
        &engine,
        "can i go to prairie hills library saturday morning",
        None,
        local(2026, 12, 10, 22, 0),
    );
    assert_eq!(answer.kind, AnswerKind::Hours, "{answer:?}");
    assert_eq!(answer.date, NaiveDate::from_ymd_opt(2026, 12, 12), "{answer:?}");
}

#[test]
fn history_and_lost_bookings_go_to_a_person() {
    let engine = engine();
    for question in [
        "what year did the main library first open",
        "how many people went to the book sale",
        "i booked a meeting room but never got a confirmation email, can you check it went through",
    ] {
        let answer = ask(&engine, question, None, local(2026, 12, 10, 11, 0));
        assert_eq!(answer.kind, AnswerKind::Escalate, "{question}: {answer:?}");
    }
}

#[test]
fn hours_said_in_passing_do_not_make_an_hours_question() {
    let engine = engine();
    let now = local(2026, 12, 10, 11, 0);
    // Without a branch, an hours question would ask which branch; these ask something else.
    for question in [
        "I work nights and can never get there while you're open. Is there somewhere I can drop books off after hours",
        "I sit with my mom at dialysis for hours. Can I read magazines on my phone through the library?",
        "just opened a bakery, can i put my flyer up on the library bulletin board",
    ] {
        let answer = ask(&engine, question, None, now);
        assert!(
            !matches!(answer.kind, AnswerKind::Hours | AnswerKind::Clarify),
            "{question}: {answer:?}"
        );
    }
    let drop = ask(
        &engine,
        "I work nights and can never get there while you're open. Is there somewhere I can drop books off after hours",
        None,
        now,
    );
    assert_eq!(drop.target.as_deref(), Some("book-drop"), "{drop:?}");
    // Asking for them still does.
    let looking = ask(&engine, "looking for hours for main", None, now);
    assert_eq!(looking.kind, AnswerKind::Hours, "{looking:?}");
}

#[test]
fn thanks_with_a_remark_and_help_after_an_excuse_are_small_talk() {
    let engine = engine();
    let now = local(2026, 12, 10, 11, 0);
    for (text, target) in [
        (
            "thank you so much, that's a big help with everything going on",
            "thanks",
        ),
        ("thanks!! way more helpful than the dmv today lol", "thanks"),
        ("I'm not very good at this chat stuff. What can I ask you?", "help"),
        ("how does this chat work, what are you able to help with", "help"),
    ] {
        let answer = ask(&engine, text, None, now);
        assert_eq!(answer.kind, AnswerKind::Smalltalk, "{text}: {answer:?}");
        assert_eq!(answer.target.as_deref(), Some(target), "{text}: {answer:?}");
    }
    // Thanks followed by a request or a question is the request.
    for text in [
        "thanks, but my card still doesnt work",
        "thanks! when does main close today?",
    ] {
        let answer = ask(&engine, text, None, now);
        assert_ne!(answer.kind, AnswerKind::Smalltalk, "{text}: {answer:?}");
    }
}

#[test]
fn a_branch_pointed_at_is_not_asked_about_and_fun_is_not_a_topic() {
    let engine = engine();
    let now = local(2026, 12, 10, 11, 0);
    let here = ask(&engine, "anything on at ur location this week?", Some("main"), now);
    assert_eq!(here.kind, AnswerKind::Events, "{here:?}");
    assert_eq!(here.target.as_deref(), Some("main"), "{here:?}");
    let road = ask(&engine, "what road is the riverside library on", None, now);
    assert_eq!(road.kind, AnswerKind::Branch, "{road:?}");
    // "fun" names no event: with no branch, which branch is the question.
    let fun = ask(&engine, "anything fun happening at the library tomorrow", None, now);
    assert_eq!(fun.kind, AnswerKind::Clarify, "{fun:?}");
    let suggestion = ask(
        &engine,
        "can you suggest a cozy mystery series for someone who liked the thursday murder club books",
        None,
        now,
    );
    assert_eq!(suggestion.kind, AnswerKind::Escalate, "{suggestion:?}");
    for text in ["cheers, appreciate the help", "thx, that's all i needed"] {
        let answer = ask(&engine, text, None, now);
        assert_eq!(answer.target.as_deref(), Some("thanks"), "{text}: {answer:?}");
    }
}

#[test]
fn taking_ones_name_off_a_list_is_cancelling() {
    let (_directory, engine) = tiny_engine(
        "[[faq]]\nid = \"place-hold\"\nquestion = \"How do I place a hold?\"\nanswer = \"Click Place Hold in the catalog.\"\n\n\
         [[faq]]\nid = \"cancel-hold\"\nquestion = \"How do I cancel a hold?\"\nanswer = \"Open My Account > Holds and choose Cancel.\"\n\n\
         [[faq]]\nid = \"hold-wait\"\nquestion = \"How long is the wait for a hold?\"\nanswer = \"Your place in line is under My Account.\"\nvariants = [\"waiting list\"]\n\n\
         [[faq]]\nid = \"renew\"\nquestion = \"How do I renew my books?\"\nanswer = \"Online or by phone.\"\n\n\
         [[faq]]\nid = \"wifi\"\nquestion = \"Is there free wifi?\"\nanswer = \"Yes, no password.\"\n\n\
         [[faq]]\nid = \"printing\"\nquestion = \"How much does printing cost?\"\nanswer = \"10 cents a page.\"\n",
    );
    let answer = ask(
        &engine,
        "already bought the book myself. how do i take my name off the waiting list",
        None,
        local(2026, 12, 1, 10, 0),
    );
    // The entry it reads as (answered, or the guess handed to staff).
    let read_as = answer
        .target
        .clone()
        .or_else(|| answer.guess.as_ref().and_then(|guess| guess.target.clone()));
    assert_eq!(read_as.as_deref(), Some("cancel-hold"), "{answer:?}");
}

/// The 42-branch evaluation library beside the clone, when it is there (it is in CI).
fn harbor_engine() -> Option<Engine> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/knowledge");
    if !directory.is_dir() {
        eprintln!("skipping: {} is absent", directory.display());
        return None;
    }
    let (knowledge, _) = load_dir(&directory).expect("the evaluation library loads");
    Some(Engine::new(Arc::new(knowledge), EngineConfig::default()))
}

#[test]
fn a_program_the_calendar_has_nothing_on_is_answered_from_the_faq() {
    let Some(engine) = harbor_engine() else {
        return;
    };
    // Any instant: nothing here depends on the day.
    let now = local(2027, 8, 3, 11, 5);
    // Not "I don't see a matching event": the FAQ answers, or staff get it with the FAQ as the guess.
    for (question, entry) in [
        (
            "another mom at the park mentioned a 1000 books before kindergarten program?? what is it and how do we join",
            "1000-books",
        ),
        (
            "my online college class needs someone to watch me take the final, can a librarian do that",
            "test-proctoring",
        ),
    ] {
        let answer = ask(&engine, question, None, now);
        let named = match answer.kind {
            AnswerKind::Faq => answer.target.clone(),
            AnswerKind::Escalate => answer.guess.as_ref().and_then(|guess| guess.target.clone()),
            _ => None,
        };
        assert_eq!(named.as_deref(), Some(entry), "{question}: {answer:?}");
    }
    // A series only the calendar knows is still a calendar question.
    let still = ask(&engine, "is the chinese calligraphy class still happening", None, now);
    assert_eq!(still.kind, AnswerKind::Events, "{still:?}");
}

#[test]
fn someone_else_learning_what_a_patron_borrows_is_a_privacy_question() {
    let Some(engine) = harbor_engine() else {
        return;
    };
    let now = local(2027, 3, 2, 10, 0);
    for question in [
        "could my wife find out which books i borrow",
        "would my employer know what i have been reading",
        "will you tell my parents what i check out? asking for a friend",
    ] {
        let answer = ask(&engine, question, None, now);
        assert_eq!(answer.label(), "faq:privacy", "{question}: {answer:?}");
    }
    // The patron's own list is not.
    let own = ask(&engine, "how do i find out what books i have checked out", None, now);
    assert_ne!(own.target.as_deref(), Some("privacy"), "{own:?}");
}

#[test]
fn a_clear_language_model_preference_decides_a_near_tie() {
    let Some(engine) = harbor_engine() else {
        return;
    };
    let now = local(2027, 3, 2, 10, 0);
    // The words rank the pickup deadline first (pick up, holds, someone), the language model
    // is sure of the proxy pickup entry.
    let wife = ask(&engine, "can my wife grab my holds for me", None, now);
    assert_eq!(wife.label(), "faq:proxy-pickup", "{wife:?}");
    // Where the words restate an entry, they keep their answer.
    let deadline = ask(
        &engine,
        "how many days do i have to pick up my hold once its ready",
        None,
        now,
    );
    assert_eq!(deadline.label(), "faq:hold-pickup-deadline", "{deadline:?}");
    // A hold that goes to someone else goes to the next patron, not to a proxy.
    let next = ask(
        &engine,
        "how long will you keep my hold before it goes to someone else",
        None,
        now,
    );
    assert_eq!(next.label(), "faq:hold-pickup-deadline", "{next:?}");
}

#[test]
fn event_words_with_no_day_or_branch_can_ask_about_a_program() {
    let Some(engine) = harbor_engine() else {
        return;
    };
    let now = local(2027, 1, 12, 10, 0);
    // No day, branch, "next" or "when": the FAQ entry both models are sure of answers ...
    let daycare = "i run a home daycare with 7 kids, can we just show up to story time or should i call first";
    assert_eq!(ask(&engine, daycare, None, now).label(), "faq:storytime");
    // ... or the one a sentence that asks finds on its own.
    let program =
        "another mom at the park mentioned a 1000 books before kindergarten program?? what is it and how do we join";
    assert_eq!(ask(&engine, program, None, now).label(), "faq:1000-books");
    // A day or a branch still asks for the calendar.
    let scheduled = ask(&engine, "is there a storytime at bayview this saturday", None, now);
    assert_eq!(scheduled.kind, AnswerKind::Events, "{scheduled:?}");
}

#[test]
fn words_patrons_use_in_passing_count_less_than_the_topic() {
    let Some(engine) = harbor_engine() else {
        return;
    };
    let now = local(2027, 4, 14, 17, 45);
    // Each was escalated, or answered with the entry a story word points at ("printer" at
    // printing, "wallet" and "grocery" nowhere), before the words' topicality counted.
    for (question, entry) in [
        ("do you have paper 1040 forms? my printer is broken", "tax-forms"),
        (
            "visiting my sister here for the week and need to get on a computer for a bit. can i use one if i dont have a card from here?",
            "guest-pass",
        ),
        (
            "i think my library card fell out of my wallet at the grocery store. what should i do",
            "lost-card",
        ),
        (
            "the library keeps calling my landline with a robot voice about my books. can you text my cell instead?",
            "notification-preferences",
        ),
        (
            "i put the book in the slot last week but my account still says i have it and now its overdue",
            "claims-returned",
        ),
    ] {
        let answer = ask(&engine, question, None, now);
        assert_eq!(answer.label(), format!("faq:{entry}"), "{question}: {answer:?}");
    }
}

#[test]
fn a_strong_match_is_answered_though_similar_entries_share_the_language_models_belief() {
    let Some(engine) = harbor_engine() else {
        return;
    };
    let now = local(2027, 4, 14, 17, 45);
    // The pickup location and the pickup deadline both say pick up and holds: the language model
    // splits its belief between them, and the words decide.
    let pickup = ask(&engine, "where do i pick up holds at westport", None, now);
    assert_eq!(pickup.label(), "faq:holds-pickup", "{pickup:?}");
    // A fair match the language model is unsure of goes to staff (it answered with the entry
    // about the library system).
    let unsure = ask(
        &engine,
        "the book i want is only at a branch way across the county",
        None,
        now,
    );
    assert_eq!(unsure.kind, AnswerKind::Escalate, "{unsure:?}");
}

#[test]
fn an_address_word_asks_for_a_branch_unless_it_is_the_patrons_own_address() {
    let Some(engine) = harbor_engine() else {
        return;
    };
    let now = local(2027, 4, 14, 17, 45);
    let branch = ask(
        &engine,
        "whats ur street address? want to walk over after school",
        None,
        now,
    );
    assert_eq!(branch.label(), "clarify:branch", "{branch:?}");
    let gps = ask(&engine, "whats the street address so i can put it in my gps", None, now);
    assert_eq!(gps.label(), "clarify:branch", "{gps:?}");
    // The patron's own address is an FAQ question, never "which branch?" (which entry answers
    // it is a near tie between proof of address and updating one's address).
    let own = ask(
        &engine,
        "what counts as proof of address? i just moved and there are no bills in my name yet",
        None,
        now,
    );
    assert_eq!(own.kind, AnswerKind::Faq, "{own:?}");
}
