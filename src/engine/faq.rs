//! FAQ retrieval: which entry a patron's question is about, and how sure we are.
//!
//! Each entry is indexed as the terms of its question and variants (strong
//! evidence), its tags and id (medium) and its answer (weak). A question is
//! scored by how much of its own weight (inverse document frequency) an entry
//! explains, and by how completely it restates one of the entry's questions.

use std::collections::HashMap;

use super::text::{TextPipeline, Word};
use crate::knowledge::{Faq, Knowledge};

/// How much a term found only in one field counts, relative to a question or variant.
const TITLE_WEIGHT: f32 = 1.0;
const TAG_WEIGHT: f32 = 0.7;
const ANSWER_WEIGHT: f32 = 0.45;

/// One searchable FAQ id (a system entry with its branch overrides, or a branch-only entry).
#[derive(Debug)]
struct IndexedFaq {
    id: String,
    /// Set for an entry that exists only in one branch's file.
    only_branch: Option<String>,
    /// Question and variants, each as its unique terms.
    units: Vec<Vec<String>>,
    /// Every term of the entry with the weight of the strongest field it appears in.
    terms: HashMap<String, f32>,
}

/// A query term and how much to trust it (corrected spellings count less).
#[derive(Debug, Clone)]
pub struct QueryTerm {
    pub term: String,
    pub trust: f32,
}

/// One candidate answer.
#[derive(Debug, Clone)]
pub struct FaqMatch {
    pub id: String,
    pub only_branch: Option<String>,
    /// Ranking score, roughly 0..1.
    pub score: f32,
    /// Share of the question's weight this entry explains.
    pub coverage: f32,
    /// How completely the question restates the entry's best-matching question or variant.
    pub recall: f32,
}

pub struct FaqIndex {
    entries: Vec<IndexedFaq>,
    idf: HashMap<String, f32>,
    /// Weight of a term no entry uses: unknown words may be noise or an unanswerable topic.
    unseen_idf: f32,
}

impl FaqIndex {
    pub fn build(knowledge: &Knowledge, pipeline: &TextPipeline) -> Self {
        let mut entries: Vec<IndexedFaq> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for faq in &knowledge.faqs {
            by_id.insert(faq.id.clone(), entries.len());
            entries.push(index_entry(faq, None, pipeline));
        }
        for branch in &knowledge.branches {
            for faq in &branch.faqs {
                match by_id.get(&faq.id) {
                    // An override answers the same question; its wording may add variants but not change the topic.
                    Some(&position) => {
                        let extra = index_entry(faq, None, pipeline);
                        let entry = &mut entries[position];
                        for unit in extra.units {
                            if !entry.units.contains(&unit) {
                                entry.units.push(unit);
                            }
                        }
                    }
                    None => {
                        by_id.insert(faq.id.clone(), entries.len());
                        entries.push(index_entry(faq, Some(branch.id.clone()), pipeline));
                    }
                }
            }
        }
        let count = entries.len().max(1) as f32;
        let mut document_frequency: HashMap<String, u32> = HashMap::new();
        for entry in &entries {
            for term in entry.terms.keys() {
                *document_frequency.entry(term.clone()).or_default() += 1;
            }
        }
        let idf = document_frequency
            .into_iter()
            .map(|(term, frequency)| {
                let frequency = frequency as f32;
                (term, ((count - frequency + 0.5) / (frequency + 0.5) + 1.0).ln())
            })
            .collect();
        let unseen_idf = (count + 1.0).ln() * 0.5;
        FaqIndex {
            entries,
            idf,
            unseen_idf,
        }
    }

    pub fn idf(&self, term: &str) -> Option<f32> {
        self.idf.get(term).copied()
    }

    /// The best entries for these query terms, best first (at most `limit`).
    pub fn search(&self, query: &[QueryTerm], limit: usize) -> Vec<FaqMatch> {
        let weights: Vec<(usize, f32)> = query
            .iter()
            .enumerate()
            .map(|(position, term)| {
                (
                    position,
                    self.idf.get(&term.term).copied().unwrap_or(self.unseen_idf) * term.trust,
                )
            })
            .collect();
        let total: f32 = weights.iter().map(|(_, weight)| weight).sum();
        if total <= 0.0 {
            return Vec::new();
        }
        let mut matches: Vec<FaqMatch> = self
            .entries
            .iter()
            .filter_map(|entry| {
                let explained: f32 = weights
                    .iter()
                    .map(|(position, weight)| weight * entry.terms.get(&query[*position].term).copied().unwrap_or(0.0))
                    .sum();
                if explained <= 0.0 {
                    return None;
                }
                let coverage = explained / total;
                let recall = entry
                    .units
                    .iter()
                    .map(|unit| self.unit_recall(unit, query))
                    .fold(0.0_f32, f32::max);
                // Both directions matter: the entry must explain the question, and the question should
                // restate one of the entry's phrasings. The harmonic mean punishes either being weak.
                let score = if coverage + recall > 0.0 {
                    2.0 * coverage * recall / (coverage + recall)
                } else {
                    0.0
                };
                Some(FaqMatch {
                    id: entry.id.clone(),
                    only_branch: entry.only_branch.clone(),
                    score,
                    coverage,
                    recall,
                })
            })
            .collect();
        matches.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        matches.truncate(limit);
        matches
    }

    /// Share of a question/variant's weight that the query repeats.
    fn unit_recall(&self, unit: &[String], query: &[QueryTerm]) -> f32 {
        let mut total = 0.0;
        let mut found = 0.0;
        for term in unit {
            let weight = self.idf.get(term).copied().unwrap_or(self.unseen_idf);
            total += weight;
            if let Some(query_term) = query.iter().find(|query_term| &query_term.term == term) {
                found += weight * query_term.trust;
            }
        }
        if total > 0.0 { found / total } else { 0.0 }
    }
}

fn index_entry(faq: &Faq, only_branch: Option<String>, pipeline: &TextPipeline) -> IndexedFaq {
    let mut terms: HashMap<String, f32> = HashMap::new();
    let add = |words: &[Word], weight: f32, terms: &mut HashMap<String, f32>| {
        for word in words.iter().filter(|word| !word.stop) {
            let slot = terms.entry(word.term.clone()).or_insert(0.0);
            *slot = slot.max(weight);
        }
    };
    let mut units = Vec::new();
    for text in std::iter::once(&faq.question).chain(faq.variants.iter()) {
        let words = pipeline.words(text);
        add(&words, TITLE_WEIGHT, &mut terms);
        let mut unit: Vec<String> = words
            .into_iter()
            .filter(|word| !word.stop)
            .map(|word| word.term)
            .collect();
        unit.sort();
        unit.dedup();
        if !unit.is_empty() {
            units.push(unit);
        }
    }
    let tag_text = format!("{} {}", faq.tags.join(" "), faq.id.replace('-', " "));
    add(&pipeline.words(&tag_text), TAG_WEIGHT, &mut terms);
    add(&pipeline.words(&faq.answer), ANSWER_WEIGHT, &mut terms);
    IndexedFaq {
        id: faq.id.clone(),
        only_branch,
        units,
        terms,
    }
}
