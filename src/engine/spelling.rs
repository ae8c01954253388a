//! Typo correction against the knowledge base's own vocabulary.
//!
//! A symmetric-delete index (every word with one or two letters removed)
//! finds candidates in microseconds; `strsim`'s Damerau-Levenshtein distance
//! confirms them. Only words the knowledge base uses can be suggested, so a
//! correction can never invent a topic.

use std::collections::{HashMap, HashSet};

/// Words shorter than this are never corrected: too many real words are one edit apart.
const MIN_CORRECTABLE_LENGTH: usize = 5;
/// Longer words are left alone: they are rarely typos of the vocabulary and cost the most to check.
const MAX_CORRECTABLE_LENGTH: usize = 16;
/// From this length on, two edits are allowed.
const TWO_EDIT_LENGTH: usize = 8;

pub struct Speller {
    /// 1 or 2: how many edits a correction may make (two only for long words).
    max_edits: usize,
    vocabulary: HashMap<String, u32>,
    deletes: HashMap<String, Vec<u32>>,
    words: Vec<String>,
}

impl Speller {
    /// `words` with their frequencies; frequent words win ties. `max_edits` is 1 or 2.
    pub fn new(word_counts: HashMap<String, u32>, max_edits: usize) -> Self {
        let mut words: Vec<String> = word_counts.keys().cloned().collect();
        words.sort();
        let mut deletes: HashMap<String, Vec<u32>> = HashMap::new();
        for (index, word) in words.iter().enumerate() {
            let length = word.chars().count();
            if length < MIN_CORRECTABLE_LENGTH {
                continue;
            }
            let depth = if length >= TWO_EDIT_LENGTH { max_edits } else { 1 };
            for variant in deletions(word, depth) {
                deletes.entry(variant).or_default().push(index as u32);
            }
        }
        Speller {
            max_edits,
            vocabulary: word_counts,
            deletes,
            words,
        }
    }

    pub fn knows(&self, word: &str) -> bool {
        self.vocabulary.contains_key(word)
    }

    /// The closest known word within the allowed edits, if `word` is unknown.
    pub fn correct(&self, word: &str) -> Option<&str> {
        let length = word.chars().count();
        if !(MIN_CORRECTABLE_LENGTH..=MAX_CORRECTABLE_LENGTH).contains(&length)
            || self.knows(word)
            || !word.chars().all(char::is_alphabetic)
        {
            return None;
        }
        let max_distance = if length >= TWO_EDIT_LENGTH { self.max_edits } else { 1 };
        let mut candidates: HashSet<u32> = HashSet::new();
        for variant in deletions(word, max_distance) {
            if let Some(indexes) = self.deletes.get(&variant) {
                candidates.extend(indexes);
            }
            if let Ok(index) = self.words.binary_search(&variant) {
                candidates.insert(index as u32);
            }
        }
        let first = word.chars().next();
        candidates
            .into_iter()
            .map(|index| self.words[index as usize].as_str())
            // A typo rarely changes the first letter; requiring it keeps "vaping" from becoming "paying".
            .filter(|candidate| candidate.chars().next() == first)
            .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
            .filter(|(distance, candidate)| {
                *distance <= max_distance && (*distance == 1 || candidate.chars().count() >= TWO_EDIT_LENGTH)
            })
            .min_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| self.vocabulary[b.1].cmp(&self.vocabulary[a.1]))
                    .then(a.1.cmp(b.1))
            })
            .map(|(_, candidate)| candidate)
    }
}

/// The word with up to `depth` characters removed, including the word itself.
fn deletions(word: &str, depth: usize) -> HashSet<String> {
    let mut result = HashSet::new();
    result.insert(word.to_string());
    let mut frontier = vec![word.to_string()];
    for _ in 0..depth {
        let mut next = Vec::new();
        for current in &frontier {
            let characters: Vec<char> = current.chars().collect();
            for skip in 0..characters.len() {
                let variant: String = characters
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| *index != skip)
                    .map(|(_, character)| *character)
                    .collect();
                if result.insert(variant.clone()) {
                    next.push(variant);
                }
            }
        }
        frontier = next;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speller(words: &[&str]) -> Speller {
        Speller::new(words.iter().map(|word| (word.to_string(), 1)).collect(), 2)
    }

    #[test]
    fn corrects_common_typos() {
        let speller = speller(&["passport", "password", "reset", "paying", "renew"]);
        assert_eq!(speller.correct("pasport"), Some("passport"));
        assert_eq!(speller.correct("pasword"), Some("password"));
        assert_eq!(speller.correct("resett"), Some("reset"));
        assert_eq!(speller.correct("renwe"), Some("renew"));
    }

    #[test]
    fn leaves_known_short_and_unrelated_words_alone() {
        let speller = speller(&["paying", "card"]);
        assert_eq!(speller.correct("vaping"), None);
        assert_eq!(speller.correct("car"), None);
        assert_eq!(speller.correct("card"), None);
        assert_eq!(speller.correct("elephant"), None);
    }
}
