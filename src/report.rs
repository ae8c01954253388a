//! `refdesk report`: what patrons asked that refdesk could not answer, grouped
//! by similarity, and how staff kept up. It tells an admin which FAQ to write next.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::desk::DeskError;
use crate::engine::Engine;
use crate::store::{Store, TicketStatus};

/// Two questions are grouped when they share this much of their terms (Jaccard).
const SAME_QUESTION: f32 = 0.5;
const TOP_GROUPS: usize = 20;

#[derive(Debug, Default)]
pub struct Report {
    pub since: Option<NaiveDate>,
    pub unanswered: Vec<QuestionGroup>,
    pub unanswered_total: usize,
    /// Branch name → (opened, still open).
    pub tickets_per_branch: BTreeMap<String, (usize, usize)>,
    pub median_first_reply_minutes: Option<i64>,
    pub answered_by_staff: Vec<QuestionGroup>,
}

#[derive(Debug, Clone)]
pub struct QuestionGroup {
    pub count: usize,
    pub example: String,
    terms: Vec<String>,
}

pub fn build(store: &Store, engine: &Engine, since: Option<NaiveDate>) -> Result<Report, DeskError> {
    let knowledge = engine.knowledge();
    let after = |at: DateTime<Utc>| since.is_none_or(|date| at.date_naive() >= date);
    let mut report = Report {
        since,
        ..Report::default()
    };
    let questions: Vec<String> = store
        .unanswered()?
        .into_iter()
        .filter(|(_, record)| after(record.at))
        .map(|(_, record)| record.question)
        .collect();
    report.unanswered_total = questions.len();
    report.unanswered = group(engine, &questions);
    let mut reply_minutes = Vec::new();
    let mut staff_answered = Vec::new();
    for ticket in store.tickets()? {
        if !after(ticket.opened_at) {
            continue;
        }
        let branch = ticket
            .branch
            .as_deref()
            .and_then(|id| knowledge.branch(id))
            .map_or_else(|| "(no branch)".to_string(), |branch| branch.name.clone());
        let slot = report.tickets_per_branch.entry(branch).or_default();
        slot.0 += 1;
        if ticket.status == TicketStatus::Open {
            slot.1 += 1;
        }
        if let Some(replied) = ticket.first_staff_reply_at {
            reply_minutes.push((replied - ticket.opened_at).num_minutes());
            staff_answered.push(ticket.question.clone());
        }
    }
    reply_minutes.sort_unstable();
    report.median_first_reply_minutes = reply_minutes.get(reply_minutes.len() / 2).copied();
    report.answered_by_staff = group(engine, &staff_answered);
    Ok(report)
}

/// Greedy grouping by term overlap; biggest groups first.
fn group(engine: &Engine, questions: &[String]) -> Vec<QuestionGroup> {
    let mut groups: Vec<QuestionGroup> = Vec::new();
    for question in questions {
        let terms = engine.content_terms(question);
        match groups
            .iter_mut()
            .find(|group| jaccard(&group.terms, &terms) >= SAME_QUESTION)
        {
            Some(group) => group.count += 1,
            None => groups.push(QuestionGroup {
                count: 1,
                example: question.replace('\n', " "),
                terms,
            }),
        }
    }
    groups.sort_by_key(|group| std::cmp::Reverse(group.count));
    groups.truncate(TOP_GROUPS);
    groups
}

/// Overlap of two sorted term lists.
fn jaccard(a: &[String], b: &[String]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = a.iter().filter(|term| b.binary_search(term).is_ok()).count();
    shared as f32 / (a.len() + b.len() - shared) as f32
}

impl fmt::Display for Report {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.since {
            Some(date) => writeln!(out, "refdesk report since {date}")?,
            None => writeln!(out, "refdesk report (everything stored)")?,
        }
        writeln!(
            out,
            "\nUnanswered questions: {} (similar ones grouped; biggest first)",
            self.unanswered_total
        )?;
        for group in &self.unanswered {
            writeln!(
                out,
                "  {:>4} × {}",
                group.count,
                crate::desk::excerpt(&group.example, 100)
            )?;
        }
        writeln!(out, "\nTickets per branch (opened, still open):")?;
        for (branch, (opened, open)) in &self.tickets_per_branch {
            writeln!(out, "  {branch}: {opened}, {open}")?;
        }
        match self.median_first_reply_minutes {
            Some(minutes) => writeln!(
                out,
                "\nMedian time to first staff reply: {}",
                crate::desk::format_minutes(minutes)
            )?,
            None => writeln!(out, "\nMedian time to first staff reply: no staff replies yet")?,
        }
        writeln!(
            out,
            "\nQuestions staff answered most often (candidates for a new FAQ entry):"
        )?;
        for group in &self.answered_by_staff {
            writeln!(
                out,
                "  {:>4} × {}",
                group.count,
                crate::desk::excerpt(&group.example, 100)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_of_sorted_terms() {
        let a = vec!["card".to_string(), "lost".to_string()];
        let b = vec!["card".to_string(), "lost".to_string(), "replace".to_string()];
        assert!((jaccard(&a, &b) - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(jaccard(&a, &[]), 0.0);
    }
}
