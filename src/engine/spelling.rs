//! Typo correction against the knowledge base's own vocabulary.
//!
//! A symmetric-delete index (every word with one or two letters removed,
//! kept as hashes) finds candidates in microseconds without allocating;
//! `strsim`'s Damerau-Levenshtein distance confirms them. Only words the knowledge base uses can be suggested, so a
//! correction can never invent a topic.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::fasthash::FastMap;

/// Words shorter than this are never corrected: too many real words are one edit apart.
const MIN_CORRECTABLE_LENGTH: usize = 5;
/// Longer words are left alone: they are rarely typos of the vocabulary and cost the most to check.
const MAX_CORRECTABLE_LENGTH: usize = 16;
/// From this length on, two edits are allowed.
const TWO_EDIT_LENGTH: usize = 8;

pub struct Speller {
    /// 1 or 2: how many edits a correction may make (two only for long words).
    max_edits: usize,
    vocabulary: FastMap<String, u32>,
    /// Hash of a deletion variant -> indexes into `words` of the words it comes from. Keys are
    /// hashes, not strings, so neither building nor looking up allocates; a collision only adds
    /// a candidate, which the edit distance check then rejects.
    deletes: HashMap<u64, Vec<u32>, BuildHasherDefault<PassThrough>>,
    words: Vec<String>,
}

impl Speller {
    /// `words` with their frequencies; frequent words win ties. `max_edits` is 1 or 2.
    pub fn new(word_counts: HashMap<String, u32>, max_edits: usize) -> Self {
        let mut words: Vec<String> = word_counts.keys().cloned().collect();
        words.sort();
        let mut deletes: HashMap<u64, Vec<u32>, BuildHasherDefault<PassThrough>> = HashMap::default();
        let mut characters: Vec<char> = Vec::new();
        for (index, word) in words.iter().enumerate() {
            characters.clear();
            characters.extend(word.chars());
            let length = characters.len();
            // A correctable word, with at most two edits, can only reach words this long.
            if length > MAX_CORRECTABLE_LENGTH + max_edits {
                continue;
            }
            // Every word is found by its own form (a typo that adds a letter to a short word);
            // only correctable lengths get deletion variants.
            let depth = if length < MIN_CORRECTABLE_LENGTH {
                0
            } else if length >= TWO_EDIT_LENGTH {
                max_edits
            } else {
                1
            };
            for_each_deletion(&characters, depth, |hash| {
                let slot = deletes.entry(hash).or_default();
                if slot.last() != Some(&(index as u32)) {
                    slot.push(index as u32);
                }
            });
        }
        Speller {
            max_edits,
            vocabulary: word_counts.into_iter().collect(),
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
        let mut characters = [' '; MAX_CORRECTABLE_LENGTH];
        for (slot, character) in characters.iter_mut().zip(word.chars()) {
            *slot = character;
        }
        let characters = &characters[..length];
        let mut candidates: Vec<u32> = Vec::new();
        for_each_deletion(characters, max_distance, |hash| {
            if let Some(indexes) = self.deletes.get(&hash) {
                candidates.extend(indexes);
            }
        });
        candidates.sort_unstable();
        candidates.dedup();
        let first = characters.first().copied();
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

/// Calls `visit` with the hash of the word and of every variant with up to `depth` (at most 2)
/// characters removed. Variants reached in two ways are visited twice; callers tolerate that.
fn for_each_deletion(characters: &[char], depth: usize, mut visit: impl FnMut(u64)) {
    let length = characters.len();
    visit(hash_without(characters, usize::MAX, usize::MAX));
    if depth == 0 {
        return;
    }
    for first in 0..length {
        visit(hash_without(characters, first, usize::MAX));
        if depth >= 2 {
            for second in first + 1..length {
                visit(hash_without(characters, first, second));
            }
        }
    }
}

/// FNV-1a over the characters, skipping the two positions given.
fn hash_without(characters: &[char], skip: usize, also_skip: usize) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (position, character) in characters.iter().enumerate() {
        if position == skip || position == also_skip {
            continue;
        }
        hash = (hash ^ u64::from(u32::from(*character))).wrapping_mul(0x0000_0100_0000_01b3);
    }
    // The length goes in too, so variants of different lengths never share a key by accident.
    hash ^ (characters.len() - usize::from(skip != usize::MAX) - usize::from(also_skip != usize::MAX)) as u64
}

/// The keys are already hashes; hashing them again would only cost time.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) | u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
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
