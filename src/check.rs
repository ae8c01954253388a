//! `refdesk check`: warnings about a knowledge base that loads but will
//! surprise patrons: FAQ entries that answer each other's questions, events
//! on days their branch is closed or at times it is, exceptions already in the past.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::engine::{AnswerKind, Engine, Question, hours_if_starting_while_closed, is_announced};
use crate::knowledge::{Diagnostic, Event, Knowledge};

/// Every warning for a loaded knowledge base, as of `now`.
pub fn check(engine: &Engine, now: DateTime<Utc>) -> Vec<Diagnostic> {
    let knowledge = &**engine.knowledge();
    let today = now.with_timezone(&knowledge.library.timezone).date_naive();
    let mut warnings = Vec::new();
    warnings.extend(confusable_faqs(engine, now));
    warnings.extend(events_on_closed_days(knowledge, today));
    warnings.extend(events_outside_hours(knowledge, today));
    warnings.extend(past_exceptions(knowledge, today));
    warnings
}

/// Pairs of FAQ entries where each one's question is answered by the other.
fn confusable_faqs(engine: &Engine, now: DateTime<Utc>) -> Vec<Diagnostic> {
    let knowledge = &**engine.knowledge();
    let answered_by = |text: &str| {
        let answer = engine.answer(&Question {
            text,
            branch: None,
            now,
        });
        match answer.kind {
            AnswerKind::Faq => answer.target,
            _ => answer.guess.and_then(|guess| guess.target),
        }
    };
    let mut warnings = Vec::new();
    let targets: Vec<Option<String>> = knowledge.faqs.iter().map(|faq| answered_by(&faq.question)).collect();
    for (index, faq) in knowledge.faqs.iter().enumerate() {
        let Some(other_id) = &targets[index] else { continue };
        if other_id == &faq.id {
            continue;
        }
        let Some(other_index) = knowledge.faqs.iter().position(|candidate| &candidate.id == other_id) else {
            continue;
        };
        if other_index > index && targets[other_index].as_deref() == Some(faq.id.as_str()) {
            let other = &knowledge.faqs[other_index];
            warnings.push(Diagnostic::warning(
                &faq.origin.file,
                faq.origin.line,
                Some("question"),
                format!(
                    "FAQ {:?} and {:?} ({}:{}) each match the other's question; reword one so patrons get the right answer",
                    faq.id,
                    other.id,
                    other.origin.file.display(),
                    other.origin.line
                ),
            ));
        }
    }
    warnings
}

fn events_on_closed_days(knowledge: &Knowledge, today: NaiveDate) -> Vec<Diagnostic> {
    event_warnings(
        knowledge,
        today,
        |event, start| !is_announced(knowledge, event, start.date()),
        |title, days, listed| {
            format!(
                "{title:?} falls on {} when its branch is closed ({listed}); those dates are not announced",
                if days == 1 { "a day" } else { "days" },
            )
        },
    )
}

/// A program before opening or after an early closing is announced with the day's hours beside
/// it, but it is more often a typo in a time or a holiday nobody moved the program for.
fn events_outside_hours(knowledge: &Knowledge, today: NaiveDate) -> Vec<Diagnostic> {
    event_warnings(
        knowledge,
        today,
        |event, start| hours_if_starting_while_closed(knowledge, event, start).is_some(),
        |title, days, listed| {
            format!(
                "{title:?} starts outside its branch's opening hours on {} ({listed}); patrons are told that day's hours beside it",
                if days == 1 { "a day" } else { "days" },
            )
        },
    )
}

/// One warning per event whose upcoming occurrences (from `today`) meet `flagged`, listing the first dates.
fn event_warnings(
    knowledge: &Knowledge,
    today: NaiveDate,
    flagged: impl Fn(&Event, NaiveDateTime) -> bool,
    message: impl Fn(&str, usize, String) -> String,
) -> Vec<Diagnostic> {
    const LISTED: usize = 5;
    let mut warnings = Vec::new();
    for event in &knowledge.events {
        let days: Vec<NaiveDate> = event
            .occurrences
            .iter()
            .filter(|start| start.date() >= today && flagged(event, **start))
            .map(|start| start.date())
            .collect();
        if days.is_empty() {
            continue;
        }
        let mut listed: Vec<String> = days
            .iter()
            .take(LISTED)
            .map(|day| day.format("%Y-%m-%d").to_string())
            .collect::<Vec<_>>();
        if days.len() > LISTED {
            listed.push(format!("and {} more", days.len() - LISTED));
        }
        warnings.push(Diagnostic::warning(
            &event.origin.file,
            event.origin.line,
            Some("start"),
            message(&event.title, days.len(), listed.join(", ")),
        ));
    }
    warnings
}

fn past_exceptions(knowledge: &Knowledge, today: NaiveDate) -> Vec<Diagnostic> {
    knowledge
        .library
        .exceptions
        .iter()
        .chain(knowledge.branches.iter().flat_map(|branch| branch.exceptions.iter()))
        .filter(|exception| exception.to < today)
        .map(|exception| {
            Diagnostic::warning(
                &exception.origin.file,
                exception.origin.line,
                Some(if exception.from == exception.to { "date" } else { "to" }),
                format!("this exception ended on {}; remove it or update the date", exception.to),
            )
        })
        .collect()
}
