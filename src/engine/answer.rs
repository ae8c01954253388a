//! The answer contract of `knowledge-format.md`: what every answer reports.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

/// What kind of answer this is; serialised in lowercase as the contract's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    Faq,
    Hours,
    Events,
    Branch,
    Clarify,
    Smalltalk,
    Escalate,
}

/// One answer, as `refdesk ask --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub kind: AnswerKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(serialize_with = "two_decimals")]
    pub confidence: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    pub text: String,
    /// For an escalation: what the engine would have answered, for staff to confirm or correct.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guess: Option<Guess>,
}

/// The engine's best answer when it was not confident enough to give it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guess {
    pub kind: AnswerKind,
    pub target: Option<String>,
    #[serde(serialize_with = "two_decimals")]
    pub confidence: f32,
}

impl Answer {
    pub fn new(kind: AnswerKind, target: Option<String>, confidence: f32, text: impl Into<String>) -> Self {
        Answer {
            kind,
            target,
            confidence,
            date: None,
            open: None,
            from: None,
            to: None,
            text: text.into(),
            guess: None,
        }
    }

    /// `kind:target` as case files write it (`faq:renew`, `escalate`).
    pub fn label(&self) -> String {
        match &self.target {
            Some(target) => format!("{}:{target}", self.kind),
            None => self.kind.to_string(),
        }
    }
}

impl fmt::Display for AnswerKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            AnswerKind::Faq => "faq",
            AnswerKind::Hours => "hours",
            AnswerKind::Events => "events",
            AnswerKind::Branch => "branch",
            AnswerKind::Clarify => "clarify",
            AnswerKind::Smalltalk => "smalltalk",
            AnswerKind::Escalate => "escalate",
        };
        formatter.write_str(name)
    }
}

fn two_decimals<S: serde::Serializer>(value: &f32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((f64::from(*value) * 100.0).round() / 100.0)
}
