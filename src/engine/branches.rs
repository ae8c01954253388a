//! Finding the branch a patron names: by name, alias, id, with typos
//! ("bayveiw"), digits ("2 rivers"), joined or split words ("oceanview",
//! "rock port"), and noticing a branch name that does not exist.

use std::collections::HashMap;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::fasthash::FastMap;
use super::spelling::Speller;
use crate::knowledge::Branch;

/// Words that describe a branch without naming it.
const GENERIC_WORDS: &[&str] = &[
    "the",
    "branch",
    "library",
    "libraries",
    "public",
    "community",
    "regional",
    "center",
    "centre",
    "location",
];
const NUMBER_WORDS: &[(&str, &str)] = &[
    ("1", "one"),
    ("2", "two"),
    ("3", "three"),
    ("4", "four"),
    ("5", "five"),
    ("6", "six"),
    ("7", "seven"),
    ("8", "eight"),
    ("9", "nine"),
    ("10", "ten"),
];
const LONGEST_NAME_WORDS: usize = 4;

/// A branch named in a message, by word positions in the surface words.
#[derive(Debug, Clone, PartialEq)]
pub struct BranchMention {
    pub branch_id: String,
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
}

/// A place name that looks like a branch ("the springfield branch") but is none.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownBranch {
    pub name: String,
    /// Closest real branch ids, best first.
    pub suggestions: Vec<String>,
}

pub struct BranchFinder {
    /// Space-joined and concatenated forms of every name -> (branch id, confidence).
    forms: FastMap<String, (String, f32)>,
    speller: Speller,
    names: Vec<(String, String)>,
}

impl BranchFinder {
    pub fn new(branches: &[Branch]) -> Self {
        let mut forms: FastMap<String, (String, f32)> = FastMap::default();
        let mut insert = |form: Vec<String>, id: &str, confidence: f32| {
            if form.is_empty() {
                return;
            }
            let spaced = form.join(" ");
            let joined = form.concat();
            for key in [spaced, joined] {
                let slot = forms.entry(key).or_insert((id.to_string(), confidence));
                if slot.1 < confidence {
                    *slot = (id.to_string(), confidence);
                }
            }
        };
        for branch in branches {
            let mut names: Vec<&str> = vec![&branch.name];
            names.extend(branch.aliases.iter().map(String::as_str));
            let id_words = branch.id.replace('-', " ");
            names.push(&id_words);
            for name in names {
                let words = normalise_words(name);
                insert(words.clone(), &branch.id, 1.0);
                let specific: Vec<String> = words
                    .iter()
                    .filter(|word| !GENERIC_WORDS.contains(&word.as_str()))
                    .cloned()
                    .collect();
                let total_length: usize = specific.iter().map(String::len).sum();
                if specific.len() < words.len() && total_length >= 4 {
                    insert(specific, &branch.id, 0.9);
                }
            }
        }
        // Streets come after every name, so a name always wins over a street of the same words,
        // and a street two branches share names neither.
        let mut street_forms: FastMap<String, Option<String>> = FastMap::default();
        for branch in branches {
            for form in street_forms_of(&branch.address) {
                if forms.contains_key(&form) {
                    continue;
                }
                street_forms
                    .entry(form)
                    .and_modify(|owner| {
                        if owner.as_deref() != Some(branch.id.as_str()) {
                            *owner = None;
                        }
                    })
                    .or_insert_with(|| Some(branch.id.clone()));
            }
        }
        for (form, owner) in street_forms {
            if let Some(id) = owner {
                forms.insert(form, (id, STREET_CONFIDENCE));
            }
        }
        let mut form_counts: HashMap<String, u32> = HashMap::new();
        for key in forms.keys() {
            if !key.contains(' ') {
                form_counts.insert(key.clone(), 1);
            }
        }
        let names = branches
            .iter()
            .map(|branch| (branch.id.clone(), branch.name.clone()))
            .collect();
        // One edit is enough for names: with symmetric deletes it includes a transposition ("bayveiw").
        BranchFinder {
            forms,
            speller: Speller::new(form_counts, 1),
            names,
        }
    }

    /// Every branch named in `words` (lowercased surface words), longest match first, no overlaps.
    pub fn find(&self, words: &[String]) -> Vec<BranchMention> {
        let words: Vec<&str> = words.iter().map(|word| spelled_out(word)).collect();
        // Whether each word may be part of a typo'd name: not a stop word or a generic word.
        let content: Vec<bool> = words
            .iter()
            .map(|word| !super::lexicon::is_stop_word(word) && !GENERIC_WORDS.contains(word))
            .collect();
        let mut mentions = Vec::new();
        // Reused for every span tried, so looking up a span does not allocate.
        let mut spaced = String::new();
        let mut joined = String::new();
        let mut start = 0;
        while start < words.len() {
            let mut found = None;
            for length in (1..=LONGEST_NAME_WORDS.min(words.len() - start)).rev() {
                let slice = &words[start..start + length];
                if slice.iter().all(|word| GENERIC_WORDS.contains(word)) {
                    continue;
                }
                // "mian library", "centrl branch": a typo'd name before the word that says it is one.
                let named_as_a_library = length == 2 && content[start] && matches!(slice[1], "library" | "branch");
                let content_words = content[start..start + length].iter().all(|content| *content) || named_as_a_library;
                if let Some((id, confidence)) = self.lookup(slice, content_words, &mut spaced, &mut joined) {
                    found = Some(BranchMention {
                        branch_id: id.to_string(),
                        start,
                        end: start + length,
                        confidence,
                    });
                    break;
                }
            }
            match found {
                Some(mention) => {
                    start = mention.end;
                    mentions.push(mention);
                }
                None => start += 1,
            }
        }
        mentions
    }

    fn lookup(
        &self,
        slice: &[&str],
        content_words: bool,
        spaced: &mut String,
        joined: &mut String,
    ) -> Option<(&str, f32)> {
        spaced.clear();
        joined.clear();
        for (position, word) in slice.iter().enumerate() {
            if position > 0 {
                spaced.push(' ');
            }
            spaced.push_str(word);
            joined.push_str(word);
        }
        if let Some((id, confidence)) = self.forms.get(spaced.as_str()) {
            return Some((id, *confidence));
        }
        if let Some((id, confidence)) = self.forms.get(joined.as_str()) {
            return Some((id, confidence * 0.95));
        }
        // A possessive lost its apostrophe on the way in: "main's hours" reads "mains hours".
        if let Some(name) = spaced.strip_suffix('s')
            && let Some((id, confidence)) = self.forms.get(name)
        {
            return Some((id, confidence * 0.9));
        }
        // Typos only in names long enough that one slip cannot turn one real word into another, and only
        // for one- or two-word spans of content words: every span tried costs a speller lookup.
        if slice.len() <= 2 && content_words && (6..=20).contains(&joined.len()) {
            let corrected = self.speller.correct(joined)?;
            let (id, confidence) = self.forms.get(corrected)?;
            return Some((id, confidence * 0.85));
        }
        None
    }

    /// A word used like a branch name ("springfield" in "the springfield branch") that matches none.
    /// `is_known_word` says whether the knowledge base uses the word (a "tool library" is a service).
    pub fn unknown(&self, words: &[String], is_known_word: impl Fn(&str) -> bool) -> Option<UnknownBranch> {
        for (position, word) in words.iter().enumerate().skip(1) {
            if !matches!(word.as_str(), "branch" | "library" | "location") {
                continue;
            }
            let candidate = &words[position - 1];
            // "an actual library", "a university library": an article before it makes the word a
            // kind of library, not the name of one.
            let kind_of_library = position >= 2 && matches!(words[position - 2].as_str(), "a" | "an");
            let plausible = !kind_of_library
                && candidate.len() >= 3
                && candidate.chars().all(char::is_alphabetic)
                && !GENERIC_WORDS.contains(&candidate.as_str())
                && !super::lexicon::is_stop_word(candidate)
                && !NOT_PLACE_NAMES.contains(&candidate.as_str())
                && !is_known_word(candidate);
            if plausible {
                return Some(UnknownBranch {
                    name: candidate.clone(),
                    suggestions: self.suggest(candidate, 3),
                });
            }
        }
        None
    }

    /// Real branch ids whose names look most like `name`.
    pub fn suggest(&self, name: &str, limit: usize) -> Vec<String> {
        let matcher = SkimMatcherV2::default().ignore_case();
        let mut scored: Vec<(f64, &str)> = self
            .names
            .iter()
            .map(|(id, branch_name)| {
                let subsequence = matcher
                    .fuzzy_match(branch_name, name)
                    .map_or(0.0, |score| score as f64 / (name.len() as f64 * 20.0));
                let similarity = strsim::jaro_winkler(&branch_name.to_lowercase(), name)
                    .max(strsim::jaro_winkler(&id.replace('-', " "), name));
                (similarity + subsequence.min(1.0), id.as_str())
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.into_iter().take(limit).map(|(_, id)| id.to_string()).collect()
    }
}

/// Words before "library" that describe a kind of library rather than a place.
const NOT_PLACE_NAMES: &[&str] = &[
    "main",
    "local",
    "nearest",
    "closest",
    "county",
    "city",
    "town",
    "school",
    "kids",
    "childrens",
    "digital",
    "online",
    "home",
    "neighborhood",
    "neighbourhood",
    "favorite",
    "favourite",
    "other",
    "new",
    "old",
    "big",
    "small",
    "little",
    "whole",
    "entire",
    "every",
    "each",
    "same",
    "different",
    "usual",
    "near",
    "nearby",
    "actual",
    "real",
    "physical",
    "regular",
    "proper",
    "good",
    "free",
    "private",
    "university",
    "academic",
    "law",
    "state",
    "national",
];

/// Place-name words as signs and patrons abbreviate them ("mission hts", "crystal spgs").
const PLACE_ABBREVIATIONS: &[(&str, &str)] = &[
    ("hts", "heights"),
    ("hgts", "heights"),
    ("mt", "mount"),
    ("mtn", "mountain"),
    ("pt", "point"),
    ("ft", "fort"),
    ("spgs", "springs"),
    ("spg", "springs"),
    ("crk", "creek"),
    ("vly", "valley"),
    ("xing", "crossing"),
    ("jct", "junction"),
    ("lk", "lake"),
    ("ctr", "center"),
];

/// A word as branch names spell it: digits and place abbreviations written out.
fn spelled_out(word: &str) -> &str {
    NUMBER_WORDS
        .iter()
        .chain(PLACE_ABBREVIATIONS)
        .find(|(short, _)| *short == word)
        .map_or(word, |(_, spelled)| spelled)
}

/// "the library on jade st": a street is a fair way to name a branch, a little less sure than its name.
const STREET_CONFIDENCE: f32 = 0.85;

/// Street-type words as addresses abbreviate them and as patrons write them out.
const STREET_TYPES: &[(&str, &str)] = &[
    ("st", "street"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("rd", "road"),
    ("blvd", "boulevard"),
    ("dr", "drive"),
    ("ln", "lane"),
    ("hwy", "highway"),
    ("sq", "square"),
    ("pl", "place"),
    ("ct", "court"),
    ("pkwy", "parkway"),
    ("cir", "circle"),
    ("ter", "terrace"),
];

const DIRECTIONS: &[(&str, &str)] = &[("n", "north"), ("s", "south"), ("e", "east"), ("w", "west")];

/// The ways a patron may write the street of an address: "640 Jade St, Port Aurelia" gives
/// "jade st" and "jade street"; "1200 E Harbor Blvd" also "east harbor blvd" and "harbor
/// boulevard". A street of one bare word names nothing: "way" alone is not a place.
fn street_forms_of(address: &str) -> Vec<String> {
    let street = address.split(',').next().unwrap_or_default();
    let mut words: Vec<String> = street
        .to_lowercase()
        .split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect();
    while words
        .first()
        .is_some_and(|word| word.chars().any(|c| c.is_ascii_digit()))
    {
        words.remove(0);
    }
    if words.len() < 2 {
        return Vec::new();
    }
    let mut heads: Vec<Vec<String>> = vec![words.clone()];
    if let Some(&(_, full)) = DIRECTIONS.iter().find(|(short, _)| *short == words[0]) {
        heads.push(
            std::iter::once(full.to_string())
                .chain(words[1..].iter().cloned())
                .collect(),
        );
        heads.push(words[1..].to_vec());
    }
    let mut forms = Vec::new();
    for head in heads {
        if head.len() < 2 {
            continue;
        }
        let last = head.len() - 1;
        forms.push(head.join(" "));
        if let Some(&(short, full)) = STREET_TYPES.iter().find(|(short, _)| *short == head[last]) {
            for other in [short, full] {
                if other != head[last] {
                    forms.push(format!("{} {other}", head[..last].join(" ")));
                }
            }
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

fn normalise_words(name: &str) -> Vec<String> {
    name.to_lowercase()
        .replace(['\'', '\u{2019}'], "")
        .split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| spelled_out(word).to_string())
        .collect()
}
