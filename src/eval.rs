//! `refdesk eval`: runs case files (labelled questions) against the engine and
//! scores the answers as the format page defines.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::Deserialize;
use toml::value::Datetime;

use crate::engine::topicality::Learner;
use crate::engine::{Answer, AnswerKind, Engine, Question};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCaseFile {
    now: Datetime,
    #[serde(default)]
    case: Vec<RawCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    ask: String,
    expect: String,
    branch: Option<String>,
    date: Option<Datetime>,
    open: Option<bool>,
    #[serde(default)]
    contains: Vec<String>,
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// An answer of the wrong kind or target, or one that failed a check.
    Wrong,
    /// Handed to staff although an answer was expected.
    Escalated,
    /// Answered although it should have gone to staff.
    OverAnswered,
}

#[derive(Debug, Clone)]
pub struct CaseResult {
    pub ask: String,
    pub expected: String,
    pub answer: Answer,
    pub outcome: Outcome,
    /// Why a case failed, in words.
    pub detail: Option<String>,
    /// The answer said open when it was closed, or the reverse.
    pub wrong_open: bool,
}

#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    pub results: Vec<CaseResult>,
}

/// Totals over one or more files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub wrong: usize,
    pub escalated: usize,
    pub over_answered: usize,
    pub wrong_open: usize,
}

impl Summary {
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CaseResult>) -> Summary {
        let mut summary = Summary::default();
        for result in results {
            summary.total += 1;
            match result.outcome {
                Outcome::Pass => summary.passed += 1,
                Outcome::Wrong => summary.wrong += 1,
                Outcome::Escalated => summary.escalated += 1,
                Outcome::OverAnswered => summary.over_answered += 1,
            }
            summary.wrong_open += usize::from(result.wrong_open);
        }
        summary
    }

    pub fn pass_rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.passed as f64 * 100.0 / self.total as f64
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}/{} passed ({:.1}%); wrong {}, escalated {}, over-answered {}, wrong open/closed {}",
            self.passed,
            self.total,
            self.pass_rate(),
            self.wrong,
            self.escalated,
            self.over_answered,
            self.wrong_open
        )
    }
}

fn read_case_file(path: &Path) -> Result<RawCaseFile, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|error| EvalError::Parse {
        path: path.to_path_buf(),
        line: error
            .span()
            .map_or(0, |span| text[..span.start].matches('\n').count() + 1),
        message: error.message().trim().to_string(),
    })
}

/// Runs every case of one file.
pub fn run_file(engine: &Engine, path: &Path) -> Result<FileReport, EvalError> {
    let raw = read_case_file(path)?;
    let parse_error = |message: String| EvalError::Parse {
        path: path.to_path_buf(),
        line: 0,
        message,
    };
    let local_now = to_date_time(&raw.now).ok_or_else(|| {
        parse_error(format!(
            "`now` must be a local date-time such as 2026-12-01T10:00:00, found {}",
            raw.now
        ))
    })?;
    let timezone = engine.knowledge().library.timezone;
    let now = timezone
        .from_local_datetime(&local_now)
        .earliest()
        .ok_or_else(|| parse_error(format!("`now` {local_now} does not exist in {timezone}")))?
        .to_utc();
    let mut results = Vec::with_capacity(raw.case.len());
    for case in &raw.case {
        let expected_date = match &case.date {
            Some(date) => Some(
                to_date(date)
                    .ok_or_else(|| parse_error(format!("case {:?}: `date` must be a date, found {date}", case.ask)))?,
            ),
            None => None,
        };
        let question = Question {
            text: &case.ask,
            branch: case.branch.as_deref(),
            now,
        };
        let answer = engine.answer(&question);
        results.push(score(case, expected_date, answer));
    }
    Ok(FileReport {
        path: path.to_path_buf(),
        results,
    })
}

fn score(case: &RawCase, expected_date: Option<NaiveDate>, answer: Answer) -> CaseResult {
    let expected = case.expect.trim().to_string();
    let (expected_kind, expected_target) = match expected.split_once(':') {
        Some((kind, target)) => (kind.to_string(), Some(target.to_string())),
        None => (expected.clone(), None),
    };
    let got_kind = answer.kind.to_string();
    let mut detail = None;
    let mut wrong_open = false;
    let outcome = if got_kind != expected_kind || (expected_target.is_some() && answer.target != expected_target) {
        if answer.kind == AnswerKind::Escalate {
            Outcome::Escalated
        } else if expected_kind == "escalate" {
            Outcome::OverAnswered
        } else {
            Outcome::Wrong
        }
    } else {
        let mut problems = Vec::new();
        if let Some(date) = expected_date {
            let covered = match (answer.date, answer.from, answer.to) {
                (Some(answer_date), _, _) => answer_date == date,
                (None, Some(from), Some(to)) => from <= date && date <= to,
                _ => false,
            };
            if !covered {
                problems.push(format!(
                    "date {date} not in the answer (date {:?}, from {:?}, to {:?})",
                    answer.date, answer.from, answer.to
                ));
            }
        }
        if let Some(open) = case.open
            && answer.open != Some(open)
        {
            wrong_open = answer.open.is_some();
            problems.push(format!("open should be {open}, answer says {:?}", answer.open));
        }
        let lowered = answer.text.to_lowercase();
        for word in &case.contains {
            if !lowered.contains(&word.to_lowercase()) {
                problems.push(format!("text lacks {word:?}"));
            }
        }
        if problems.is_empty() {
            Outcome::Pass
        } else {
            detail = Some(problems.join("; "));
            Outcome::Wrong
        }
    };
    CaseResult {
        ask: case.ask.clone(),
        expected,
        answer,
        outcome,
        detail,
        wrong_open,
    }
}

fn to_date(value: &Datetime) -> Option<NaiveDate> {
    match (value.date, value.time) {
        (Some(date), None) => NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into()),
        _ => None,
    }
}

fn to_date_time(value: &Datetime) -> Option<NaiveDateTime> {
    let date = value.date?;
    let time = value.time?;
    if value.offset.is_some() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())?;
    let time = NaiveTime::from_hms_opt(time.hour.into(), time.minute.into(), time.second.unwrap_or(0).into())?;
    Some(date.and_time(time))
}

/// How one held-out FAQ phrasing was answered by the rest of the knowledge base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldOutOutcome {
    /// Answered with its own entry.
    Right,
    /// Answered, with another entry or another kind of answer.
    Wrong,
    /// Handed to staff.
    Escalated,
}

#[derive(Debug, Clone)]
pub struct HeldOutResult {
    pub entry_id: String,
    pub phrasing: String,
    /// Where the entry is written, for an admin to find it.
    pub origin: Option<(PathBuf, usize)>,
    pub answer: Answer,
    pub outcome: HeldOutOutcome,
    /// The entry was the engine's first choice, answered or only guessed for staff.
    pub top1: bool,
}

/// Totals of a self-check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelfCheckSummary {
    pub total: usize,
    pub top1: usize,
    pub right: usize,
    pub wrong: usize,
    pub escalated: usize,
}

impl SelfCheckSummary {
    pub fn of<'a>(results: impl IntoIterator<Item = &'a HeldOutResult>) -> SelfCheckSummary {
        let mut summary = SelfCheckSummary::default();
        for result in results {
            summary.total += 1;
            summary.top1 += usize::from(result.top1);
            match result.outcome {
                HeldOutOutcome::Right => summary.right += 1,
                HeldOutOutcome::Wrong => summary.wrong += 1,
                HeldOutOutcome::Escalated => summary.escalated += 1,
            }
        }
        summary
    }

    fn percent(&self, count: usize) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            count as f64 * 100.0 / self.total as f64
        }
    }
}

impl fmt::Display for SelfCheckSummary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{} phrasings; first choice right {} ({:.1}%); answered right {} ({:.1}%), answered wrong {} ({:.1}%), escalated {} ({:.1}%)",
            self.total,
            self.top1,
            self.percent(self.top1),
            self.right,
            self.percent(self.right),
            self.wrong,
            self.percent(self.wrong),
            self.escalated,
            self.percent(self.escalated),
        )
    }
}

/// Leave-one-out over the knowledge itself: each FAQ question and variant is asked of the
/// engine as if that phrasing had never been written, and should come back as its own entry.
/// It needs no test questions, so it cannot be tuned to them; it also shows admins which
/// phrasings only their own wording finds (weak) and which land on another entry (confusable).
pub fn self_check(engine: &Engine, now: chrono::DateTime<chrono::Utc>) -> Vec<HeldOutResult> {
    let knowledge = engine.knowledge();
    engine
        .held_out_answers(now)
        .into_iter()
        .map(|held_out| {
            let answered = |target: &Option<String>| target.as_deref() == Some(held_out.entry_id.as_str());
            let outcome = match held_out.answer.kind {
                AnswerKind::Escalate => HeldOutOutcome::Escalated,
                AnswerKind::Faq if answered(&held_out.answer.target) => HeldOutOutcome::Right,
                _ => HeldOutOutcome::Wrong,
            };
            let top1 = match held_out.answer.kind {
                AnswerKind::Faq => answered(&held_out.answer.target),
                _ => held_out
                    .answer
                    .guess
                    .as_ref()
                    .is_some_and(|guess| guess.kind == AnswerKind::Faq && answered(&guess.target)),
            };
            let origin = knowledge
                .faq(&held_out.entry_id, held_out.branch.as_deref())
                .map(|faq| (faq.origin.file.clone(), faq.origin.line));
            HeldOutResult {
                entry_id: held_out.entry_id,
                phrasing: held_out.phrasing,
                origin,
                answer: held_out.answer,
                outcome,
                top1,
            }
        })
        .collect()
}

/// Counts, over the FAQ cases of these files, how often each query term was used by the entry
/// the case expects (see `engine::topicality`). Cases expecting anything else, or an entry the
/// knowledge lacks, are skipped.
pub fn learn_topicality(engine: &Engine, paths: &[PathBuf]) -> Result<Learner, EvalError> {
    let entries = engine.faq_entry_terms();
    let mut learner = Learner::default();
    for path in paths {
        let raw = read_case_file(path)?;
        for case in &raw.case {
            let entry_terms = case
                .expect
                .trim()
                .strip_prefix("faq:")
                .and_then(|entry_id| entries.get(entry_id));
            if let Some(entry_terms) = entry_terms {
                learner.add(&engine.topicality_observations(&case.ask, entry_terms));
            }
        }
    }
    Ok(learner)
}
