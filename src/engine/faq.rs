//! FAQ retrieval: which entry a patron's question is about, and how sure we are.
//!
//! Each entry is indexed as the terms of its question and variants (strong
//! evidence), its tags and id (medium) and its answer (weak). A question is
//! scored by how much of its own weight (inverse document frequency) an entry
//! explains, and by how completely it restates one of the entry's questions.
//!
//! A second model reads the same terms differently: each entry is a smoothed
//! language model, and the question's likelihood under it against the whole
//! collection gives a posterior over the entries (and "none of them"). Words
//! no entry uses drop out of it, so chatty context costs nothing there. The
//! engine answers only when the two models agree.
//!
//! Terms are interned to numbers at build time and kept in postings lists
//! (term -> the entries and phrasings using it), so a search touches only the
//! entries that share a term with the question and allocates a few small
//! buffers, never strings.

use std::collections::HashMap;

use super::fasthash::FastMap;
use super::text::TextPipeline;
use crate::knowledge::{Faq, Knowledge};

/// How much a term found only in one field counts, relative to a question or variant.
const TITLE_WEIGHT: f32 = 1.0;
const TAG_WEIGHT: f32 = 0.7;
const ANSWER_WEIGHT: f32 = 0.5;
/// A phrasing must carry at least this much weight to be fully restated: a one-word variant
/// such as "parking" is strong evidence only when that word is rare.
const MIN_UNIT_WEIGHT: f32 = 3.0;

type TermId = u32;

/// The second model, a language model per entry: how many times a term counts when it
/// appears in one phrasing, in the tags and id, and in the answer.
const LM_PHRASING: f32 = 1.0;
const LM_TAG: f32 = 0.7;
const LM_ANSWER: f32 = 0.15;
/// Dirichlet smoothing: how many background terms an entry's model is mixed with. Small,
/// because entries are short and a term they do use should count.
const LM_MU: f32 = 3.0;
/// How much the language model's posterior adds to the ranking score: enough to break
/// near-ties between entries, too little to outvote a clear match.
const LM_RANK_SHARE: f32 = 0.05;
/// How much asking with the same question word as one of an entry's phrasings ("where do i
/// pick up my holds" and "Where do I pick up my holds?") adds: a tie-breaker between entries
/// sharing the same topic words, too little to outvote a topic. (0.03 until the story words
/// counted less; at 0.1 the patron sets gained 6 and lost none.)
const QUESTION_WORD_SHARE: f32 = 0.1;
/// The first-ranked entry's posterior below which the language model doubts it ...
const LM_DOUBTS: f32 = 0.1;
/// ... the runner-up's posterior and log-likelihood ratio at which the model is sure of that
/// one instead (a posterior alone can be high among entries that are all unlikely) ...
const LM_OVERRULES: f32 = 0.8;
const LM_OVERRULES_RATIO: f32 = 4.0;
/// ... and how far below the first the runner-up's score may be for the model to decide.
const RUNNER_UP_REACH: f32 = 0.1;

/// The question words that say what kind of answer is wanted (a place, a person, a reason).
pub const QUESTION_WORDS: &[&str] = &["where", "who", "why"];

/// One searchable FAQ id (a system entry with its branch overrides, or a branch-only entry).
#[derive(Debug)]
struct IndexedFaq {
    id: String,
    /// The `QUESTION_WORDS` its phrasings ask with.
    question_words: Vec<&'static str>,
    /// Set for an entry that exists only in one branch's file.
    only_branch: Option<String>,
    /// Index of this entry's first phrasing in `FaqIndex::units`; its phrasings are contiguous.
    first_unit: usize,
    unit_count: usize,
}

/// A question or variant: its total term weight.
#[derive(Debug)]
struct Unit {
    weight: f32,
}

/// A query term and how much it counts (corrected spellings and everyday words count less).
#[derive(Debug, Clone)]
pub struct QueryTerm {
    pub term: String,
    pub trust: f32,
    /// How topical patrons' use of the term has been (see `topicality`): how much it counts
    /// in what the question is about, not in how fully it restates a phrasing.
    pub topicality: f32,
}

impl QueryTerm {
    /// How much the term counts in the share of the question an entry explains, and in the
    /// language model.
    fn counted(&self) -> f32 {
        self.trust * self.topicality
    }
}

/// One candidate answer.
#[derive(Debug, Clone)]
pub struct FaqMatch {
    /// Index into the entries, for `FaqIndex::entry_id`.
    entry: usize,
    /// Ranking score, roughly 0..1.
    pub score: f32,
    /// Share of the question's weight this entry explains.
    pub coverage: f32,
    /// How completely the question restates the entry's best-matching question or variant.
    pub recall: f32,
    /// Log-likelihood ratio of the question under the entry's language model against the collection's.
    pub lm: f32,
    /// The entry's share of the probability that the question is about some entry (or none).
    pub posterior: f32,
}

pub struct FaqIndex {
    entries: Vec<IndexedFaq>,
    units: Vec<Unit>,
    term_ids: FastMap<String, TermId>,
    idf: Vec<f32>,
    /// Per term: the entries using it, with the weight of the strongest field it appears in.
    entry_postings: Vec<Vec<(u32, f32)>>,
    /// Per term: the phrasings (question or variant) using it.
    unit_postings: Vec<Vec<u32>>,
    /// Weight of a term no entry uses: unknown words may be noise or an unanswerable topic.
    unseen_idf: f32,
    /// Per term: the entries using it, with the log-likelihood ratio the term adds to that
    /// entry's language model against the whole collection's.
    lm_postings: Vec<Vec<(u32, f32)>>,
    /// Per entry: what a known query term the entry never uses costs it.
    lm_absent: Vec<f32>,
    /// Per branch id: the entries it overrides and the terms of its own answers to them.
    branch_answers: FastMap<String, Vec<BranchAnswer>>,
}

/// One branch's own answer to an entry: the entry, and per term of the answer what it adds to
/// the entry's language model at that branch.
struct BranchAnswer {
    entry: u32,
    terms: Vec<(TermId, f32)>,
}

/// An entry's text, read once: what an index is built from. Kept apart from the index so a
/// self-check can build indexes that leave one phrasing out.
#[derive(Debug, Clone)]
pub struct Draft {
    pub id: String,
    only_branch: Option<String>,
    pub phrasings: Vec<DraftPhrasing>,
    tag_terms: Vec<String>,
    answer_terms: Vec<String>,
    /// Branch overrides of this entry: (branch id, the terms of that branch's answer).
    branch_answers: Vec<(String, Vec<String>)>,
}

/// One question or variant as written, and its sorted, deduplicated content terms.
#[derive(Debug, Clone)]
pub struct DraftPhrasing {
    pub text: String,
    terms: Vec<String>,
}

impl Draft {
    /// Every term the entry is written with: its phrasings, tags and answer.
    pub fn all_terms(&self) -> impl Iterator<Item = String> + '_ {
        self.phrasings
            .iter()
            .flat_map(|phrasing| phrasing.terms.iter())
            .chain(self.tag_terms.iter())
            .chain(self.answer_terms.iter())
            .cloned()
    }

    /// The branch whose file alone holds this entry.
    pub fn only_branch(&self) -> Option<&str> {
        self.only_branch.as_deref()
    }
}

/// Every searchable entry of a knowledge base, system entries first, then branch-only ones.
/// A branch override adds its phrasings to the system entry it overrides.
pub fn drafts(knowledge: &Knowledge, pipeline: &TextPipeline) -> Vec<Draft> {
    let mut drafts: Vec<Draft> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for faq in &knowledge.faqs {
        by_id.insert(faq.id.clone(), drafts.len());
        drafts.push(draft_entry(faq, None, pipeline));
    }
    for branch in &knowledge.branches {
        for faq in &branch.faqs {
            match by_id.get(&faq.id) {
                // An override answers the same question; its wording may add variants but not change the topic.
                Some(&position) => {
                    let extra = draft_entry(faq, None, pipeline);
                    let entry = &mut drafts[position];
                    entry.branch_answers.push((branch.id.clone(), extra.answer_terms));
                    for phrasing in extra.phrasings {
                        if !entry.phrasings.iter().any(|known| known.terms == phrasing.terms) {
                            entry.phrasings.push(phrasing);
                        }
                    }
                }
                None => {
                    by_id.insert(faq.id.clone(), drafts.len());
                    drafts.push(draft_entry(faq, Some(branch.id.clone()), pipeline));
                }
            }
        }
    }
    drafts
}

/// A phrasing left out of an index: (entry position in the drafts, phrasing position in the entry).
pub type HeldOut = (usize, usize);

impl FaqIndex {
    pub fn build(knowledge: &Knowledge, pipeline: &TextPipeline) -> Self {
        Self::from_drafts(&drafts(knowledge, pipeline), None)
    }

    /// The index of these entries, as if `held_out` had never been written.
    pub fn from_drafts(drafts: &[Draft], held_out: Option<HeldOut>) -> Self {
        let mut term_ids: FastMap<String, TermId> = FastMap::default();
        let mut document_frequency: Vec<u32> = Vec::new();
        let mut entry_postings: Vec<Vec<(u32, f32)>> = Vec::new();
        let mut unit_postings: Vec<Vec<u32>> = Vec::new();
        let mut intern = |term: &str,
                          document_frequency: &mut Vec<u32>,
                          entry_postings: &mut Vec<Vec<(u32, f32)>>,
                          unit_postings: &mut Vec<Vec<u32>>| {
            if let Some(&id) = term_ids.get(term) {
                return id;
            }
            let id = document_frequency.len() as TermId;
            term_ids.insert(term.to_string(), id);
            document_frequency.push(0);
            entry_postings.push(Vec::new());
            unit_postings.push(Vec::new());
            id
        };
        let mut entries = Vec::with_capacity(drafts.len());
        let mut unit_terms: Vec<Vec<TermId>> = Vec::new();
        // Per entry: (term, count) for its language model.
        let mut entry_counts: Vec<Vec<(TermId, f32)>> = Vec::with_capacity(drafts.len());
        for (index, draft) in drafts.iter().enumerate() {
            let kept = |position: &usize| held_out != Some((index, *position));
            let phrasings: Vec<&DraftPhrasing> = (0..draft.phrasings.len())
                .filter(kept)
                .map(|position| &draft.phrasings[position])
                .collect();
            // One walk over the entry's fields feeds both models: the strongest field a term
            // appears in (coverage) and how many times it appears (the language model).
            let mut weights: FastMap<&str, f32> = FastMap::default();
            let mut counts: FastMap<&str, f32> = FastMap::default();
            let sources = phrasings
                .iter()
                .flat_map(|phrasing| phrasing.terms.iter().map(|term| (term, TITLE_WEIGHT, LM_PHRASING)))
                .chain(draft.tag_terms.iter().map(|term| (term, TAG_WEIGHT, LM_TAG)))
                .chain(draft.answer_terms.iter().map(|term| (term, ANSWER_WEIGHT, LM_ANSWER)));
            for (term, weight, count) in sources {
                let slot = weights.entry(term.as_str()).or_insert(0.0);
                *slot = slot.max(weight);
                *counts.entry(term.as_str()).or_insert(0.0) += count;
            }
            let mut terms: Vec<(&str, f32)> = weights.into_iter().collect();
            terms.sort_by(|a, b| a.0.cmp(b.0));
            let mut entry_count = Vec::with_capacity(terms.len());
            for (term, weight) in terms {
                let id = intern(term, &mut document_frequency, &mut entry_postings, &mut unit_postings);
                // Rarity is measured over how entries are asked (phrasings, tags, id), not over
                // their answers: answers are long and would make every topic word look common.
                // A word only answers use counts as rare, and answers are weak evidence anyway.
                if weight > ANSWER_WEIGHT {
                    document_frequency[id as usize] += 1;
                }
                entry_postings[id as usize].push((index as u32, weight));
                entry_count.push((id, counts[term]));
            }
            entry_counts.push(entry_count);
            let mut question_words: Vec<&'static str> = phrasings
                .iter()
                .flat_map(|phrasing| question_words_of(&phrasing.text))
                .collect();
            question_words.sort_unstable();
            question_words.dedup();
            entries.push(IndexedFaq {
                id: draft.id.clone(),
                question_words,
                only_branch: draft.only_branch.clone(),
                first_unit: unit_terms.len(),
                unit_count: phrasings.len(),
            });
            for phrasing in phrasings {
                let ids: Vec<TermId> = phrasing
                    .terms
                    .iter()
                    .map(|term| intern(term, &mut document_frequency, &mut entry_postings, &mut unit_postings))
                    .collect();
                for &id in &ids {
                    unit_postings[id as usize].push(unit_terms.len() as u32);
                }
                unit_terms.push(ids);
            }
        }
        // A branch's own answer is written for questions asked there, so at that branch its words
        // count like tags, in both models ("fern valley is closing, where do my holds go" and its
        // answer about the closure).
        let mut branch_answer_ids: Vec<(String, u32, Vec<TermId>)> = Vec::new();
        for (index, draft) in drafts.iter().enumerate() {
            for (branch, terms) in &draft.branch_answers {
                let ids = terms
                    .iter()
                    .map(|term| intern(term, &mut document_frequency, &mut entry_postings, &mut unit_postings))
                    .collect();
                branch_answer_ids.push((branch.clone(), index as u32, ids));
            }
        }
        let count = entries.len().max(1) as f32;
        let idf: Vec<f32> = document_frequency
            .iter()
            .map(|&frequency| {
                let frequency = frequency as f32;
                ((count - frequency + 0.5) / (frequency + 0.5) + 1.0).ln()
            })
            .collect();
        let units = unit_terms
            .iter()
            .map(|ids| Unit {
                weight: ids.iter().map(|&id| idf[id as usize]).sum(),
            })
            .collect();
        let unseen_idf = (count + 1.0).ln() * 0.5;
        let mut collection = vec![0.0_f32; document_frequency.len()];
        for counts in &entry_counts {
            for &(id, value) in counts {
                collection[id as usize] += value;
            }
        }
        let collection_total: f32 = collection.iter().sum::<f32>().max(1.0);
        // A word only a branch's answer uses has no collection frequency: it counts as if half a
        // use had been seen, so its gain stays finite.
        let least_background = LM_MU * 0.5 / collection_total;
        let mut branch_answers: FastMap<String, Vec<BranchAnswer>> = FastMap::default();
        for (branch, entry, ids) in branch_answer_ids {
            let terms = ids
                .into_iter()
                .map(|id| {
                    let count = entry_counts[entry as usize]
                        .iter()
                        .find(|&&(counted, _)| counted == id)
                        .map_or(0.0, |&(_, count)| count);
                    let background = (LM_MU * collection[id as usize] / collection_total).max(least_background);
                    (id, ((count + LM_TAG + background) / (count + background)).ln())
                })
                .collect();
            branch_answers
                .entry(branch)
                .or_default()
                .push(BranchAnswer { entry, terms });
        }
        let mut lm_postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); document_frequency.len()];
        let mut lm_absent = Vec::with_capacity(entry_counts.len());
        for (index, counts) in entry_counts.iter().enumerate() {
            let length: f32 = counts.iter().map(|&(_, value)| value).sum();
            lm_absent.push((LM_MU / (length + LM_MU)).ln());
            for &(id, value) in counts {
                let background = LM_MU * collection[id as usize] / collection_total;
                lm_postings[id as usize].push((index as u32, ((value + background) / background).ln()));
            }
        }
        FaqIndex {
            entries,
            units,
            term_ids,
            idf,
            entry_postings,
            unit_postings,
            unseen_idf,
            lm_postings,
            lm_absent,
            branch_answers,
        }
    }

    pub fn idf(&self, term: &str) -> Option<f32> {
        self.term_ids.get(term).map(|&id| self.idf[id as usize])
    }

    /// The id of a matched entry.
    pub fn entry_id(&self, found: &FaqMatch) -> &str {
        &self.entries[found.entry].id
    }

    /// The branch a matched entry belongs to, when it exists in one branch's file only.
    pub fn only_branch(&self, found: &FaqMatch) -> Option<&str> {
        self.entries[found.entry].only_branch.as_deref()
    }

    /// The best entries for these query terms, best first (at most `limit`).
    pub fn search(&self, query: &[QueryTerm], limit: usize) -> Vec<FaqMatch> {
        self.search_asking(query, None, None, limit)
    }

    /// `search`, for a question asked with `question_word` (one of `QUESTION_WORDS`) at `branch`
    /// (named in the question or the chat's), whose own answers then count.
    pub fn search_asking(
        &self,
        query: &[QueryTerm],
        question_word: Option<&str>,
        branch: Option<&str>,
        limit: usize,
    ) -> Vec<FaqMatch> {
        let mut total = 0.0;
        let mut explained = vec![0.0_f32; self.entries.len()];
        let mut found = vec![0.0_f32; self.units.len()];
        let mut lm = vec![0.0_f32; self.entries.len()];
        let mut known = 0.0;
        for term in query {
            let counted = term.counted();
            let Some(&id) = self.term_ids.get(&term.term) else {
                total += self.unseen_idf * counted;
                continue;
            };
            known += counted;
            for &(entry, ratio) in &self.lm_postings[id as usize] {
                lm[entry as usize] += ratio * counted;
            }
            let weight = self.idf[id as usize] * counted;
            total += weight;
            for &(entry, field_weight) in &self.entry_postings[id as usize] {
                explained[entry as usize] += weight * field_weight;
            }
            // Restating a phrasing is about its words, however the patron used them.
            let restated = self.idf[id as usize] * term.trust;
            for &unit in &self.unit_postings[id as usize] {
                found[unit as usize] += restated;
            }
        }
        if total <= 0.0 {
            return Vec::new();
        }
        if let Some(overrides) = branch.and_then(|branch| self.branch_answers.get(branch)) {
            for term in query {
                let Some(&id) = self.term_ids.get(&term.term) else {
                    continue;
                };
                let weight = self.idf[id as usize] * term.counted();
                for BranchAnswer { entry, terms } in overrides {
                    let Some(&(_, lm_gain)) = terms.iter().find(|&&(used, _)| used == id) else {
                        continue;
                    };
                    lm[*entry as usize] += lm_gain * term.counted();
                    let field_weight = self.entry_postings[id as usize]
                        .iter()
                        .find(|(posted, _)| posted == entry)
                        .map_or(0.0, |&(_, field_weight)| field_weight);
                    if field_weight < TAG_WEIGHT {
                        explained[*entry as usize] += weight * (TAG_WEIGHT - field_weight);
                    }
                }
            }
        }
        for (index, score) in lm.iter_mut().enumerate() {
            *score += known * self.lm_absent[index];
        }
        // The posterior over "about this entry" for every entry plus "about none of them", whose
        // log-likelihood ratio against the collection is 0 by definition.
        let peak = lm.iter().copied().fold(0.0, f32::max);
        let normaliser: f32 = (-peak).exp() + lm.iter().map(|score| (score - peak).exp()).sum::<f32>();
        // The best `limit` so far, best first: a small insertion list beats sorting every entry.
        let mut matches: Vec<FaqMatch> = Vec::with_capacity(limit + 1);
        for (index, entry) in self.entries.iter().enumerate() {
            if explained[index] <= 0.0 {
                continue;
            }
            let coverage = explained[index] / total;
            let recall = (entry.first_unit..entry.first_unit + entry.unit_count)
                .map(|unit| found[unit] / self.units[unit].weight.max(MIN_UNIT_WEIGHT))
                .fold(0.0_f32, f32::max);
            // Both directions matter: the entry must explain the question, and the question should
            // restate one of the entry's phrasings. The harmonic mean punishes either being weak.
            let harmonic = if coverage + recall > 0.0 {
                2.0 * coverage * recall / (coverage + recall)
            } else {
                0.0
            };
            let posterior = (lm[index] - peak).exp() / normaliser;
            let same_question_word = question_word.is_some_and(|word| entry.question_words.contains(&word));
            let score =
                harmonic + LM_RANK_SHARE * posterior + if same_question_word { QUESTION_WORD_SHARE } else { 0.0 };
            let candidate = FaqMatch {
                entry: index,
                score,
                coverage,
                recall,
                lm: lm[index],
                posterior,
            };
            let position = matches.partition_point(|better| self.ranks_before(better, &candidate));
            if position < limit {
                matches.insert(position, candidate);
                matches.truncate(limit);
            }
        }
        // "can my wife grab my holds for me": the words rank the pickup deadline first (it says
        // pick up, holds and someone too), while the language model finds the question unlikely
        // there and very likely from the proxy pickup entry, which ranks almost as high. When the
        // models disagree that clearly, the one that read the whole question decides.
        if let [first, second, ..] = matches.as_slice()
            && first.posterior < LM_DOUBTS
            && second.posterior >= LM_OVERRULES
            && second.lm >= LM_OVERRULES_RATIO
            && second.score >= first.score - RUNNER_UP_REACH
        {
            matches.swap(0, 1);
        }
        matches
    }
}

impl FaqIndex {
    /// Higher score first; ties go to the id that sorts first, so results never depend on file order.
    fn ranks_before(&self, first: &FaqMatch, second: &FaqMatch) -> bool {
        match first.score.total_cmp(&second.score) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => self.entries[first.entry].id < self.entries[second.entry].id,
        }
    }
}

/// The `QUESTION_WORDS` a text uses.
pub fn question_words_of(text: &str) -> impl Iterator<Item = &'static str> + '_ {
    QUESTION_WORDS.iter().copied().filter(move |wanted| {
        text.split(|character: char| !character.is_alphanumeric())
            .any(|word| word.eq_ignore_ascii_case(wanted))
    })
}

fn draft_entry(faq: &Faq, only_branch: Option<String>, pipeline: &TextPipeline) -> Draft {
    let content = |text: &str| {
        let mut terms: Vec<String> = pipeline
            .words(text)
            .into_iter()
            .filter(|word| !word.stop)
            .map(|word| word.term)
            .collect();
        terms.sort();
        terms.dedup();
        terms
    };
    let phrasings = std::iter::once(&faq.question)
        .chain(faq.variants.iter())
        .map(|text| DraftPhrasing {
            text: text.clone(),
            terms: content(text),
        })
        .filter(|phrasing| !phrasing.terms.is_empty())
        .collect();
    let tag_text = format!("{} {}", faq.tags.join(" "), faq.id.replace('-', " "));
    Draft {
        id: faq.id.clone(),
        only_branch,
        phrasings,
        tag_terms: content(&tag_text),
        answer_terms: content(&faq.answer),
        branch_answers: Vec::new(),
    }
}
