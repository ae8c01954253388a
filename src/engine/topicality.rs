//! How topical a patron's word is: how often, when patrons used it, the entry that answered
//! them used it too.
//!
//! A patron's question mixes the topic ("english", "freeze", "volunteer") with the story around
//! it ("my mom just moved here", "going to europe for 3 weeks", "im retired"). The FAQ index
//! alone cannot tell them apart: a story word only one entry uses ("move" in the entry about
//! updating an address) looks as informative as a topic word, and pulls the question towards
//! that entry and away from the one it is about. Labelled patron questions can tell: "move" was
//! part of the right entry in few of the questions that said it, "freeze" in most.
//!
//! `topicality.txt` holds those counts, per term, learned by `refdesk learn` from the labelled
//! patron questions under `tests/` (never from the shared dev cases). Its header names the case
//! files and the knowledge it was learned from; `tests/topicality.rs` checks it is what they
//! give today, so a change to the text pipeline that changes terms cannot leave it stale.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;
use std::sync::OnceLock;

use super::fasthash::FastMap;
use super::{Engine, faq};

/// How many observations the estimate is shrunk by, towards `PRIOR`: a word seen once is not
/// known to be a topic or a story word.
const SHRINK: f32 = 2.0;
/// What a word never seen in a labelled question is taken to be: about as often topical as the
/// average word.
const PRIOR: f32 = 0.6;
/// The least share a word keeps: a word patrons mostly use in passing can still be the topic.
const FLOOR: f32 = 0.3;

/// How often a term was in patrons' questions, and how often the right entry used it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub seen: u32,
    pub in_entry: u32,
}

/// The weight a query term carries for how topical patrons' use of it has been: from
/// `sqrt(FLOOR)` for a word the right entry almost never used, through `sqrt(PRIOR)` for a word
/// never seen, to 1. The square root keeps it a correction: the index's own rarity still decides
/// most of a word's weight.
pub fn weight(term: &str) -> f32 {
    let counts = table().get(term).copied().unwrap_or_default();
    share(counts).max(FLOOR).sqrt()
}

fn share(counts: Counts) -> f32 {
    (counts.in_entry as f32 + SHRINK * PRIOR) / (counts.seen as f32 + SHRINK)
}

fn table() -> &'static FastMap<&'static str, Counts> {
    static TABLE: OnceLock<FastMap<&'static str, Counts>> = OnceLock::new();
    TABLE.get_or_init(|| parse(include_str!("topicality.txt")))
}

fn parse(text: &str) -> FastMap<&str, Counts> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let term = fields.next()?;
            let seen = fields.next()?.parse().ok()?;
            let in_entry = fields.next()?.parse().ok()?;
            Some((term, Counts { seen, in_entry }))
        })
        .collect()
}

/// The case files and knowledge directory the bundled table says it was learned from.
pub fn bundled_sources() -> (Option<String>, Vec<String>) {
    let text = include_str!("topicality.txt");
    let mut knowledge = None;
    let mut cases = Vec::new();
    for line in text.lines().filter_map(|line| line.strip_prefix("# ")) {
        if let Some(directory) = line.strip_prefix("knowledge: ") {
            knowledge = Some(directory.to_string());
        } else if let Some(path) = line.strip_prefix("cases: ") {
            cases.push(path.to_string());
        }
    }
    (knowledge, cases)
}

/// The bundled table's text, for comparing with a fresh one.
pub fn bundled_text() -> &'static str {
    include_str!("topicality.txt")
}

/// Adds up labelled questions into a table.
#[derive(Debug, Default)]
pub struct Learner {
    counts: BTreeMap<String, Counts>,
    questions: usize,
}

impl Learner {
    /// One labelled question: each of its query terms, and whether the right entry uses it.
    pub fn add(&mut self, observations: &[(String, bool)]) {
        self.questions += 1;
        for (term, in_entry) in observations {
            let counts = self.counts.entry(term.clone()).or_default();
            counts.seen += 1;
            counts.in_entry += u32::from(*in_entry);
        }
    }

    pub fn questions(&self) -> usize {
        self.questions
    }

    /// The table file: a header naming its sources, then `term<TAB>seen<TAB>in_entry` by term.
    pub fn render(&self, knowledge: &str, cases: &[String]) -> String {
        let mut text = String::from(
            "# Per query term: in how many labelled patron questions it was read, and in how many of\n\
             # those the right FAQ entry used it. Written by `refdesk learn`; do not edit by hand.\n",
        );
        let _ = writeln!(text, "# knowledge: {knowledge}");
        for path in cases {
            let _ = writeln!(text, "# cases: {path}");
        }
        let _ = writeln!(text, "# questions: {}", self.questions);
        for (term, counts) in &self.counts {
            let _ = writeln!(text, "{term}\t{}\t{}", counts.seen, counts.in_entry);
        }
        text
    }
}

impl Engine {
    /// For learning topicality: every FAQ entry's terms (its phrasings, tags and answer), by id.
    pub fn faq_entry_terms(&self) -> HashMap<String, HashSet<String>> {
        faq::drafts(&self.knowledge, &self.pipeline)
            .into_iter()
            .map(|draft| {
                let terms = draft.all_terms().collect();
                (draft.id, terms)
            })
            .collect()
    }

    /// For learning topicality: the terms a question is searched with, each with whether the
    /// right entry, written with `entry_terms`, uses it.
    pub fn topicality_observations(&self, text: &str, entry_terms: &HashSet<String>) -> Vec<(String, bool)> {
        let (surface, _, words) = self.read(text);
        self.question_terms(&self.faq, &surface, &words)
            .into_iter()
            .map(|term| {
                let used = entry_terms.contains(&term.term);
                (term.term, used)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_patrons_use_in_passing_count_less_than_topic_words() {
        let table = parse("# a comment\nmove\t20\t2\nfreez\t20\t18\n");
        let weight_of = |term: &str| share(table.get(term).copied().unwrap_or_default()).max(FLOOR).sqrt();
        assert!(weight_of("move") < weight_of("never-seen"));
        assert!(weight_of("never-seen") < weight_of("freez"));
        assert!((weight_of("never-seen") - PRIOR.sqrt()).abs() < 1e-6);
        assert!(weight_of("move") >= FLOOR.sqrt());
    }

    #[test]
    fn a_rendered_table_reads_back() {
        let mut learner = Learner::default();
        learner.add(&[("renew".to_string(), true), ("week".to_string(), false)]);
        learner.add(&[("renew".to_string(), true)]);
        let text = learner.render("knowledge", &["tests/cases.toml".to_string()]);
        let table = parse(&text);
        assert_eq!(table["renew"], Counts { seen: 2, in_entry: 2 });
        assert_eq!(table["week"], Counts { seen: 1, in_entry: 0 });
        assert!(text.contains("# cases: tests/cases.toml\n"));
        assert_eq!(learner.questions(), 2);
    }
}
