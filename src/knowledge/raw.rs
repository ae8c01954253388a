//! Stage one of loading: the files exactly as admins write them.
//!
//! Every struct denies unknown fields, so a typo such as `anwser` is an error
//! instead of a silently missing answer. Values that need checking (times,
//! dates, branch ids) stay spanned so stage two can point at their line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use toml::value::Datetime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLibrary {
    pub name: String,
    pub timezone: Spanned<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub synonyms: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBranch {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub address: String,
    pub phone: String,
    pub email: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    pub notes: Option<String>,
    pub hours: RawWeeklyHours,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeeklyHours {
    pub mon: Spanned<String>,
    pub tue: Spanned<String>,
    pub wed: Spanned<String>,
    pub thu: Spanned<String>,
    pub fri: Spanned<String>,
    pub sat: Spanned<String>,
    pub sun: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawException {
    pub date: Option<Spanned<Datetime>>,
    pub from: Option<Spanned<Datetime>>,
    pub to: Option<Spanned<Datetime>>,
    pub reason: Option<String>,
    pub hours: Option<Spanned<String>>,
    pub close_at: Option<Spanned<Datetime>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFaq {
    pub id: Spanned<String>,
    pub question: Spanned<String>,
    #[serde(default)]
    pub variants: Vec<String>,
    pub answer: Spanned<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub title: Spanned<String>,
    pub branch: Option<Spanned<String>>,
    pub start: Spanned<Datetime>,
    pub end: Option<Spanned<Datetime>>,
    pub repeat: Option<Spanned<String>>,
    pub until: Option<Spanned<Datetime>>,
    #[serde(default)]
    pub except: Vec<Spanned<Datetime>>,
    pub audience: Option<String>,
    pub description: Option<String>,
    pub link: Option<String>,
}

/// A file whose only allowed content is its arrays of tables (`faq/*.toml`, `events/*.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNothingElse {}
