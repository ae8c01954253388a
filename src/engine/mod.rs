//! The answer engine: a question, the chat's branch and the time in; an `Answer` out.
//!
//! Pure: no IO, no clock of its own, no platform types. Everything it needs is
//! built once per knowledge snapshot in `Engine::new` so answering is cheap.

pub mod answer;
mod branches;
pub mod dates;
mod events;
mod faq;
mod fasthash;
pub mod hours;
mod lexicon;
mod lookup;
mod spelling;
mod text;
pub mod topicality;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

pub use answer::{Answer, AnswerKind, Guess};
use branches::{BranchFinder, BranchMention};
use dates::{NamedDay, NamedDays, When};
use events::{EventIndex, EventRequest, is_audience_term};
pub use events::{hours_if_starting_while_closed, is_announced};
use faq::{FaqIndex, FaqMatch, QueryTerm};
use hours::HoursRequest;
use spelling::Speller;
use text::{TextPipeline, Word};

use crate::knowledge::Knowledge;

/// The least language-model posterior an FAQ answer needs (see `faq_answer`).
const LM_AGREEMENT: f32 = 0.1;
/// Below this posterior the language model is not sure enough of the entry on its own: the
/// answer also needs a strong match of the words (`STRONG_MATCH`).
const LM_SURE: f32 = 0.3;
/// A confidence at which the words alone decide, whatever share of the posterior entries much
/// like this one take ("where do i pick up holds at westport" and the pickup deadline).
const STRONG_MATCH: f32 = 0.7;
/// How strongly the language model must prefer an FAQ entry for it to answer a question about
/// a program the calendar has nothing on.
const EVENT_FAQ_AGREEMENT: f32 = 0.5;
/// What a word counts once the question's wording has said what it means (see `question_terms`).
const IMPLIED_WORD_TRUST: f32 = 0.3;
/// How much surer than the escalation threshold one sentence of a long message must be to
/// answer for the whole message: a sentence read alone has lost its context.
const SEGMENT_MARGIN: f32 = 0.1;
/// How far above its own score a FAQ match's confidence may rise on its lead over the runner-up.
const WEAK_MATCH_LEAD: f32 = 0.15;

/// Tunables an admin may set in `config.toml`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineConfig {
    /// Below this confidence the engine hands the question to staff instead of answering.
    pub escalate_below: f32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig { escalate_below: 0.5 }
    }
}

/// One question to answer.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    pub text: &'a str,
    /// The chat's branch: a branch channel or group, or the patron's home branch.
    pub branch: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// Everything precomputed from one knowledge snapshot.
pub struct Engine {
    knowledge: Arc<Knowledge>,
    pipeline: TextPipeline,
    faq: FaqIndex,
    events: EventIndex,
    branches: BranchFinder,
    speller: Speller,
    named_days: NamedDays,
    /// Every service any branch lists, as terms, with its display text.
    services: Vec<(Vec<String>, String)>,
    config: EngineConfig,
}

/// One FAQ phrasing asked of an index that leaves it out (see `Engine::held_out_answers`).
#[derive(Debug, Clone)]
pub struct HeldOutAnswer {
    /// The entry the phrasing belongs to: the right answer.
    pub entry_id: String,
    /// The branch whose file alone holds the entry (the phrasing is asked in that branch's chat).
    pub branch: Option<String>,
    pub phrasing: String,
    pub answer: Answer,
}

/// How closely a question's topic and an event title must name the same thing (see
/// `EventIndex::topic_fit`) for a question about a moment ("when", a day, "next") to be about
/// the calendar. One common title word ("book") is not enough.
const CALENDAR_TITLE_FIT: f32 = 0.6;
/// How sure an answer from the calendar is when the question names an event and a moment.
const CALENDAR_CONFIDENCE: f32 = 0.85;
/// How sure it is when the question names a time and a word only event titles use.
const CALENDAR_WORD_CONFIDENCE: f32 = 0.7;

/// What the message's wording signals, independent of any knowledge.
#[derive(Debug, Default)]
struct Cues {
    hours: bool,
    branch_info: bool,
    /// "where", "address", "located": asks where a branch is (a part of `branch_info`).
    location: bool,
    events: bool,
    all_branches: bool,
    next: bool,
    /// "when is", "what time is": asks for a moment, which the calendar may hold.
    when_asked: bool,
    needs_person: bool,
}

impl Engine {
    pub fn new(knowledge: Arc<Knowledge>, config: EngineConfig) -> Self {
        let pipeline = TextPipeline::new(&knowledge.library.synonyms).with_compounds(knowledge_texts(&knowledge));
        let faq = FaqIndex::build(&knowledge, &pipeline);
        let events = EventIndex::build(&knowledge, &pipeline);
        let branches = BranchFinder::new(&knowledge.branches);
        let speller = Speller::new(vocabulary(&knowledge, &pipeline), 2);
        // Built once here, not on the first question.
        lexicon::is_english_word("");
        let mut named_days: Vec<NamedDay> = Vec::new();
        for exception in knowledge
            .library
            .exceptions
            .iter()
            .chain(knowledge.branches.iter().flat_map(|branch| branch.exceptions.iter()))
        {
            if let (Some(reason), true) = (&exception.reason, exception.from == exception.to) {
                named_days.push(NamedDay {
                    name: reason.clone(),
                    date: exception.from,
                });
            }
        }
        let mut services: Vec<(Vec<String>, String)> = Vec::new();
        for branch in &knowledge.branches {
            for service in &branch.services {
                let terms = content_terms(&pipeline.words(service));
                if !terms.is_empty() && !services.iter().any(|(known, _)| *known == terms) {
                    services.push((terms, service.clone()));
                }
            }
        }
        Engine {
            knowledge,
            pipeline,
            faq,
            events,
            branches,
            speller,
            named_days: NamedDays::new(&named_days),
            services,
            config,
        }
    }

    pub fn knowledge(&self) -> &Arc<Knowledge> {
        &self.knowledge
    }

    pub fn config(&self) -> EngineConfig {
        self.config
    }

    pub fn answer(&self, question: &Question<'_>) -> Answer {
        self.answer_with(question, &self.faq)
    }

    /// Each FAQ phrasing (question or variant) asked of an index built without it, for the
    /// self-check: how well the rest of the knowledge base answers a way of asking it lacks.
    pub fn held_out_answers(&self, now: DateTime<Utc>) -> Vec<HeldOutAnswer> {
        let drafts = faq::drafts(&self.knowledge, &self.pipeline);
        let mut answers = Vec::new();
        for (entry, draft) in drafts.iter().enumerate() {
            for (position, phrasing) in draft.phrasings.iter().enumerate() {
                let index = FaqIndex::from_drafts(&drafts, Some((entry, position)));
                let question = Question {
                    text: &phrasing.text,
                    branch: draft.only_branch(),
                    now,
                };
                answers.push(HeldOutAnswer {
                    entry_id: draft.id.clone(),
                    branch: draft.only_branch().map(str::to_owned),
                    phrasing: phrasing.text.clone(),
                    answer: self.answer_with(&question, &index),
                });
            }
        }
        answers
    }

    /// `answer`, searching the FAQ in `faq` (the engine's own index, or one with a phrasing held out).
    fn answer_with(&self, question: &Question<'_>, faq: &FaqIndex) -> Answer {
        let knowledge = &*self.knowledge;
        let now = question.now.with_timezone(&knowledge.library.timezone).naive_local();
        let today = now.date();
        let surface = self.pipeline.surface_words(question.text);
        if surface.is_empty() {
            return help_answer(knowledge, 0.6);
        }
        if let Some(answer) = smalltalk(&surface, question.text.contains('?'), knowledge) {
            return answer;
        }
        let mentions: Vec<BranchMention> = self.branches.find(&surface);
        let named_branch = mentions.first().map(|mention| mention.branch_id.as_str());
        let chat_branch = question.branch.filter(|id| knowledge.branch(id).is_some());
        let branch = named_branch.or(chat_branch);
        let remaining = words_outside(&surface, &mentions);
        let when_mention = dates::find_when_named(question.text, today, &self.named_days);
        let (when, time) = match when_mention {
            Some(mention) => (Some(mention.when), mention.time),
            None => (None, None),
        };
        let words = self.pipeline.words_of(&remaining);
        let mut cues = Cues::detect(&self.corrected(cue_tokens(&words)));
        cues.events |= asks_anything_at_a_branch(&surface, &mentions);
        // "how do i find the marina library": the way to a branch.
        let finds_a_branch = mentions.iter().any(|mention| {
            matches!(
                words_before(&surface, mention, 2).as_slice(),
                ["find", ..] | ["the", "find"]
            )
        });
        cues.location |= finds_a_branch;
        cues.branch_info |= finds_a_branch;
        let query = self.question_terms(faq, &surface, &words);
        let topic: Vec<QueryTerm> = query
            .iter()
            .filter(|term| !is_context_term(&term.term))
            .cloned()
            .collect();
        let question_word = asked_with(&surface);
        let faq_matches = faq.search_asking(&query, question_word, branch, 3);
        // Reading a long message's asking sentences one by one costs a search each; several
        // routes may ask, so it is done at most once.
        let sentence_confirmation = std::cell::OnceCell::new();
        let confirmed_by_a_sentence = || {
            sentence_confirmation
                .get_or_init(|| self.confirmed_by_a_sentence(faq, &faq_matches, question.text, branch))
                .clone()
        };
        // "fern valley is closing, where do my holds go?": a closure told as news, and the
        // question is where something goes. Asking where a branch is open still asks for hours.
        let where_during_a_closure = question_word == Some("where")
            && !surface.iter().any(|word| {
                matches!(
                    word.as_str(),
                    "open" | "opens" | "opening" | "hours" | "hour" | "time" | "schedule" | "late" | "early"
                )
            });
        cues.hours &= !where_during_a_closure;
        let asks_may_i = surface
            .windows(2)
            .any(|pair| matches!(pair[0].as_str(), "can" | "could") && matches!(pair[1].as_str(), "i" | "we"));
        // "can i come in tmrw at 10 to use a computer?", "can i swing by sunday": asking to visit
        // on a day asks whether the branch is open then, whatever the visit is for.
        let asks_to_visit = !cues.hours
            && when.is_some()
            && asks_may_i
            && surface.windows(2).any(|pair| {
                matches!(pair[0].as_str(), "come" | "swing" | "stop" | "drop" | "pop" | "head")
                    && matches!(pair[1].as_str(), "in" | "by" | "over")
                    // "can i go to chinatown branch monday morning"
                    || named_branch.is_some() && pair[0] == "go" && pair[1] == "to"
            });
        cues.hours |= asks_to_visit;
        // Whether an FAQ topic dominates matters only when the wording also asks for hours or
        // branch details; search again only then, and only if context terms were dropped.
        // "is pine ridge still open? thinking of driving up": words after the hours question
        // say why the patron asks; only a topic before it ("is the drive-up window open") or
        // named by it ("hours for the history room") is what must be open.
        let asked_topic: Vec<QueryTerm> = match topic_words_of_hours_question(&words) {
            Some(_) | None if asks_to_visit => Vec::new(),
            // "gotta drop off overdue dvds, is east side open tmrw?": the branch is what must be open.
            Some(_) if cues.hours && !cues.branch_info && branch_is_asked_open(&surface, &mentions) => Vec::new(),
            Some(lead) if cues.hours && !cues.branch_info => self
                .query_terms(faq, lead)
                .into_iter()
                .filter(|term| !is_context_term(&term.term))
                .collect(),
            _ => topic.clone(),
        };
        let strong_topic_faq = (cues.hours || cues.branch_info) && {
            // Restating an entry's phrasing, or explaining two or more topic words almost fully
            // ("when is the local history room open"): the hours route would leave them unanswered.
            let strong = |top: &FaqMatch, topic: &[QueryTerm]| {
                top.coverage >= 0.7 && (top.recall >= 0.4 || (topic.len() >= 2 && top.coverage >= 0.85))
            };
            if asked_topic.len() == query.len() {
                faq_matches.first().is_some_and(|top| strong(top, &asked_topic))
            } else {
                !asked_topic.is_empty()
                    && faq
                        .search_asking(&asked_topic, question_word, branch, 1)
                        .first()
                        .is_some_and(|top| strong(top, &asked_topic))
            }
        };
        // "baby lapsit at westport today? what time": the time of an event, not of the branch.
        let hours_of_an_event = cues.hours && {
            let asked: Vec<String> = asked_topic
                .iter()
                .map(|term| term.term.clone())
                .filter(|term| !is_event_word(term))
                .collect();
            self.events.topic_fit(&asked, is_event_word) >= CALENDAR_TITLE_FIT
        };
        let unknown_branch = if named_branch.is_none() {
            self.branches.unknown(&surface, |word| self.speller.knows(word))
        } else {
            None
        };
        let branch_confidence = mentions.first().map_or(0.9, |mention| mention.confidence);

        // Advice, disputes and incidents go to a person even when they mention hours or events.
        if cues.needs_person {
            let best = faq_matches.first().map(|top| Guess {
                kind: AnswerKind::Faq,
                target: Some(faq.entry_id(top).to_string()),
                confidence: top.score * 0.5,
            });
            return escalate(knowledge, branch, best);
        }

        // "I was dropping off books Sunday and saw flyers for a knitting workshop. do i have to
        // sign up ahead for stuff like that?": in a long message, hours, events or branch words
        // that only the story uses do not make the question about them. A sentence that asks
        // decides, when it finds the best FAQ entry on its own.
        if (cues.hours || cues.events || cues.branch_info || cues.all_branches)
            && self.route_words_only_in_the_story(question.text)
            && let Some(confirmed) = confirmed_by_a_sentence()
        {
            return confirmed;
        }

        // "juniper springs library number? want to call before i drive out": a contact detail of
        // a branch the patron names, whatever the reason given for wanting it.
        let contact_of_named_branch = named_branch.is_some()
            && surface.iter().any(|word| {
                matches!(
                    word.as_str(),
                    "number" | "phone" | "email" | "address" | "zip" | "zipcode"
                )
            })
            && !surface
                .iter()
                .any(|word| matches!(word.as_str(), "my" | "update" | "change" | "card" | "pin"));
        // "whats the address for sea bright? want to get there before they close": closing time
        // as the patron's deadline, while what they ask for is a contact detail.
        let closing_is_a_deadline = surface.iter().any(|word| word == "before")
            && !surface.iter().any(|word| {
                matches!(
                    word.as_str(),
                    "open" | "opens" | "opening" | "hours" | "hour" | "time" | "when" | "schedule"
                )
            });
        cues.hours &= !(contact_of_named_branch && closing_is_a_deadline);

        // "can i pick up my holds at fern valley this saturday" when Fern Valley is closed that
        // day: the closure is the answer, whatever the errand.
        let errand_on_a_closed_day = named_branch.and_then(|id| knowledge.branch(id)).is_some_and(|branch| {
            matches!(when, Some(When::Day { .. } | When::Weekday { .. }))
                && knowledge.hours_on(branch, day_of(&when, today)).0.is_closed()
        }) && asks_may_i
            && !cues.events
            && !cues.branch_info;
        // Opening hours.
        if errand_on_a_closed_day || (cues.hours && !strong_topic_faq && !hours_of_an_event) {
            if cues.all_branches && named_branch.is_none() {
                let date = day_of(&when, today);
                return hours::all_branches_hours(knowledge, date, today, 0.9);
            }
            if let Some(unknown) = unknown_branch {
                return self.unknown_branch_answer(&unknown.name, &unknown.suggestions);
            }
            let Some(branch_id) = branch else {
                return clarify_branch(
                    knowledge,
                    "Which branch do you mean? Tell me its name and I'll look up its hours.",
                );
            };
            let branch = knowledge
                .branch(branch_id)
                .expect("branch ids come from the knowledge base");
            // "when does the main library open next", "when does fern valley reopen": asked while
            // it is closed, the answer is about the day it next opens.
            let asks_next_opening = when.is_none()
                && time.is_none()
                && (cues.next
                    || surface.iter().any(|word| word.starts_with("reopen"))
                    || surface
                        .windows(2)
                        .any(|pair| pair[0].starts_with("open") && pair[1] == "again"));
            let closed_now = asks_next_opening
                .then(|| hours::open_now_sentence(knowledge, branch, now))
                .filter(|(open, _)| !open);
            let next_day = closed_now.as_ref().and_then(|_| {
                hours::next_opening(knowledge, branch, now).map(|opening| When::Day {
                    date: opening.date(),
                    holiday: None,
                })
            });
            let request = HoursRequest {
                when: next_day.clone().or(when),
                time,
                now,
            };
            let mut answer = hours::branch_hours(knowledge, branch, &request, 0.95 * branch_confidence);
            if let (Some((_, closed)), Some(_)) = (closed_now, next_day) {
                answer.text = format!("{closed} {}", answer.text);
            }
            return answer;
        }

        // "whats ur address": the library's address; "update my address", "what counts as proof
        // of address" are about the patron's own.
        let patrons_own_address = surface
            .iter()
            .any(|word| matches!(word.as_str(), "proof" | "change" | "update"))
            || surface.iter().enumerate().any(|(position, word)| {
                word == "address"
                    && surface[position.saturating_sub(2)..position]
                        .iter()
                        .any(|before| matches!(before.as_str(), "my" | "our"))
            });
        let asks_library_address = surface
            .windows(2)
            .any(|pair| matches!(pair[0].as_str(), "your" | "the" | "its") && pair[1] == "address")
            && !patrons_own_address;

        // Address, phone, directions, services of one branch.
        let service = self.service_asked(&query);
        // In a branch's channel, "do you guys have a computer lab", "is there one here" ask
        // about that branch as surely as naming it does.
        let points_at_chat_branch = chat_branch.is_some()
            && (surface
                .iter()
                .any(|word| matches!(word.as_str(), "here" | "you" | "your"))
                || surface
                    .windows(2)
                    .any(|pair| pair[0] == "this" && matches!(pair[1].as_str(), "branch" | "location" | "library")));
        if let Some(branch_id) = branch
            && ((cues.branch_info && (!strong_topic_faq || contact_of_named_branch || asks_library_address))
                || (service.is_some()
                    && (named_branch.is_some() || points_at_chat_branch)
                    && (surface
                        .iter()
                        .any(|word| matches!(word.as_str(), "have" | "has" | "got" | "offer" | "offers"))
                        || surface
                            .windows(2)
                            .any(|pair| matches!(pair[0].as_str(), "is" | "are") && pair[1] == "there"))))
        {
            let branch = knowledge
                .branch(branch_id)
                .expect("branch ids come from the knowledge base");
            return branch_answer(branch, service.as_deref(), 0.9 * branch_confidence);
        }

        // "where are you located": the address of a branch the patron has not named.
        // "whats ur street address? want to walk over after school": an explicit address word
        // asks for it even when other words follow, unless an FAQ answers them.
        let asks_address = surface.iter().any(|word| {
            matches!(
                word.as_str(),
                "address" | "located" | "location" | "directions" | "street"
            )
        });
        let faq_confidence = self.faq_confidence(faq, &faq_matches, &query, branch);
        // An address word is itself a strong sign of the branch's details: an FAQ entry takes the
        // question only when it is clearly sure, not when it barely explains "street address"
        // ("want to walk over after school"). The patron's own address is never a branch's.
        if cues.location
            && (topic.is_empty()
                || asks_address
                    && !patrons_own_address
                    && (faq_confidence < self.config.escalate_below + SEGMENT_MARGIN || asks_library_address))
            && branch.is_none()
            && unknown_branch.is_none()
        {
            return clarify_branch(
                knowledge,
                "Which branch do you mean? Tell me its name and I'll give you its address and phone number.",
            );
        }

        // Events: event wording or an event's topic, weighed against the best FAQ answer.
        let topic_terms: Vec<String> = topic
            .iter()
            .map(|term| term.term.clone())
            .filter(|term| !is_event_word(term))
            .collect();
        let scheduled = when.is_some() || named_branch.is_some() || cues.next;
        let mut event_confidence = self.event_confidence(&cues, scheduled, &topic_terms, knowledge);
        // "cantonese storytime at chinatown this weekend?", "seed swap at clearwater, when is
        // it": a question about a moment that names an event's title wants the calendar, even
        // when an FAQ explains the program itself.
        let names_days = matches!(when, Some(When::Day { .. } | When::Weekday { .. } | When::Range { .. }));
        let about_a_moment = names_days || cues.next || cues.when_asked;
        // "any storytimes tomorrow morning? my 2 yr old...": who it is for does not name the event.
        // Words neither the FAQ nor any event title knows ("stir crazy") are chatter here.
        let subject: Vec<String> = topic_terms
            .iter()
            .filter(|term| !is_audience_term(term) && (faq.idf(term).is_some() || self.events.titles_use(term)))
            .cloned()
            .collect();
        let names_an_event = self.events.topic_fit(&subject, is_event_word) >= CALENDAR_TITLE_FIT;
        // "central library thursday events?": event wording, a branch and a day ask for that
        // day's calendar, whatever else the patron says ("im free after 5").
        let a_branch_on_a_day = cues.events && named_branch.is_some() && names_days;
        let calendar = about_a_moment && names_an_event || a_branch_on_a_day;
        if calendar {
            event_confidence = event_confidence.max(CALENDAR_CONFIDENCE);
        }
        // "where can my kid play chess this weekend", "a medicare talk at old town in january":
        // a word only event titles use, asked about a time, names the calendar however chatty
        // the rest is. An FAQ that explains the question better still wins.
        let calendar_only_word = topic_terms
            .iter()
            .any(|term| faq.idf(term).is_none() && self.events.titles_use(term));
        if calendar_only_word && (when.is_some() || about_a_moment || cues.all_branches) {
            event_confidence = event_confidence.max(CALENDAR_WORD_CONFIDENCE);
        }
        // "can i bring my dog to toddler storytime at bayview", "am i allowed to take pictures
        // during storytime": a house rule asked about going to an event. The words no event title
        // uses say what is asked; when they alone find an FAQ answer surer than the calendar, it answers.
        let asks_a_rule = (asks_may_i
            || surface
                .iter()
                .any(|word| matches!(word.as_str(), "allowed" | "ok" | "okay" | "alright")))
            && !cues.when_asked
            && !cues.next
            && !names_days;
        if event_confidence > 0.0 && asks_a_rule {
            let off_calendar: Vec<QueryTerm> = query
                .iter()
                .filter(|term| !self.events.titles_use(&term.term) && !is_event_word(&term.term))
                .cloned()
                .collect();
            let topical = off_calendar
                .iter()
                .filter(|term| !is_context_term(&term.term) && !is_audience_term(&term.term))
                .count();
            if topical > 0 && off_calendar.len() < query.len() {
                let rule_matches = faq.search_asking(&off_calendar, question_word, branch, 3);
                let confidence = self.faq_confidence(faq, &rule_matches, &off_calendar, branch);
                // The whole question must find that entry first too: the rule words alone
                // ("bring" a child) can find an entry the question is not about.
                let also_asked = rule_matches
                    .first()
                    .zip(faq_matches.first())
                    .is_some_and(|(rule, whole)| faq.entry_id(rule) == faq.entry_id(whole));
                if also_asked
                    && confidence >= self.config.escalate_below.max(event_confidence)
                    && rule_matches.first().is_some_and(|top| top.posterior >= LM_AGREEMENT)
                {
                    return self.faq_answer(faq, &rule_matches, &off_calendar, branch);
                }
            }
        }
        // "can we just show up to story time or should i call first", "a 1000 books before
        // kindergarten program?? how do we join": event words with no day, branch, "next" or
        // "when", and nothing only the calendar knows, ask about a program, not for the calendar. An FAQ entry both models
        // are sure of, or that a sentence which asks finds on its own, answers instead.
        let unscheduled = when.is_none()
            && branch.is_none()
            && !cues.next
            && !cues.when_asked
            && !cues.all_branches
            && !calendar
            && !calendar_only_word;
        if unscheduled && event_confidence > 0.0 {
            let faq_sure = faq_matches
                .first()
                .is_some_and(|top| top.posterior >= EVENT_FAQ_AGREEMENT)
                && faq_confidence >= self.config.escalate_below;
            if faq_sure {
                return self.faq_answer(faq, &faq_matches, &query, branch);
            }
            if let Some(confirmed) = confirmed_by_a_sentence() {
                return confirmed;
            }
        }
        if event_confidence > 0.0 && (calendar || event_confidence >= faq_confidence) {
            let (from, to, days_named) = match &when {
                Some(When::Day { date, .. }) => (*date, *date, true),
                Some(When::Weekday { next, .. }) => (*next, *next, true),
                Some(When::Range { from, to }) => (*from, *to, true),
                Some(When::Now) | None => (today, today, false),
            };
            let event_branch = branch;
            // "what's happening at all the branches tomorrow": the whole calendar is what is asked.
            // "summerville library events this weekend": a branch that does not exist is named,
            // so the whole library's calendar is not what was asked.
            if event_branch.is_none()
                && !cues.all_branches
                && let Some(unknown) = unknown_branch
            {
                return self.unknown_branch_answer(&unknown.name, &unknown.suggestions);
            }
            if event_branch.is_none() && topic_terms.is_empty() && !cues.all_branches {
                return clarify_branch(
                    knowledge,
                    "Which branch would you like events for? Tell me its name, or ask about a topic (storytime, book club, ...).",
                );
            }
            let request = EventRequest {
                branch: event_branch,
                from,
                to,
                topic: &topic_terms,
                days_named,
            };
            let answer = self.events.answer(knowledge, &request, now, event_confidence);
            // "a 1000 books before kindergarten program?? how do we join", "do i need to sign up
            // for programs": no moment is asked and the calendar has nothing on the topic, so the
            // program itself is asked about. An FAQ entry both models find answers it instead,
            // unless a word only event titles use names a series ("is the calligraphy class still on").
            let nothing_on_the_calendar = events::found_nothing(&answer);
            if nothing_on_the_calendar
                && !about_a_moment
                && !calendar
                && !calendar_only_word
                && !topic_terms.is_empty()
                && let Some(top) = faq_matches.first()
                && top.posterior >= EVENT_FAQ_AGREEMENT
            {
                return self.faq_answer(faq, &faq_matches, &query, branch);
            }
            if event_confidence < self.config.escalate_below {
                let guess = Guess {
                    kind: AnswerKind::Events,
                    target: answer.target.clone(),
                    confidence: event_confidence,
                };
                return escalate(knowledge, branch, Some(guess));
            }
            return answer;
        }

        // Unknown branch named in a question that needs one: its details, its events, or
        // whether it offers a service ("does the hillcrest library have study rooms").
        if let Some(unknown) = unknown_branch
            && (cues.branch_info || cues.events || service.is_some())
        {
            return self.unknown_branch_answer(&unknown.name, &unknown.suggestions);
        }

        // "Hi, sorry for the long message. Back in November I ... What do I need to do?": the
        // story around a question dilutes how much of it any entry explains. A sentence that asks
        // for the same entry on its own, surely enough, answers for the whole message.
        let answer = self.faq_answer(faq, &faq_matches, &query, branch);
        if answer.kind == AnswerKind::Escalate
            && let Some(confirmed) = confirmed_by_a_sentence()
        {
            return confirmed;
        }
        answer
    }

    /// The best FAQ entry's answer, when a sentence of the message that asks finds it on its own.
    fn confirmed_by_a_sentence(
        &self,
        faq: &FaqIndex,
        matches: &[FaqMatch],
        text: &str,
        branch: Option<&str>,
    ) -> Option<Answer> {
        let top = matches.first()?;
        let confidence = self.confirming_segment(faq, text, faq.entry_id(top), branch)?;
        let entry = self.knowledge.faq(faq.entry_id(top), faq.only_branch(top).or(branch))?;
        Some(Answer::new(
            AnswerKind::Faq,
            Some(entry.id.clone()),
            confidence,
            entry.answer.clone(),
        ))
    }

    /// Whether a message's hours, events or branch words all come from the story around its
    /// questions: it has sentences that ask, and none of them uses such words or names a branch.
    fn route_words_only_in_the_story(&self, text: &str) -> bool {
        let sentences = sentences(text);
        let asking: Vec<&Sentence> = sentences.iter().filter(|sentence| sentence.asks()).collect();
        sentences.len() >= 2
            && !asking.is_empty()
            && asking.iter().all(|sentence| {
                let (_, mentions, words) = self.read(sentence.text);
                let cues = Cues::detect(&self.corrected(cue_tokens(&words)));
                mentions.is_empty() && !(cues.hours || cues.events || cues.branch_info || cues.all_branches)
            })
    }

    /// A long message whose best FAQ entry explains too little of it to answer: the confidence
    /// of one of its sentences (or two adjacent ones) that asks for the same entry on its own.
    fn confirming_segment(&self, faq: &FaqIndex, text: &str, entry_id: &str, branch: Option<&str>) -> Option<f32> {
        let sentences = sentences(text);
        if sentences.len() < 2 {
            return None;
        }
        // Only sentences that ask, alone or after the sentence before them ("my son lost his
        // card. what do we do?"): a background sentence ("got the email that my book is in")
        // can name an entry confidently without being what the patron asks.
        let alone = sentences
            .iter()
            .filter(|sentence| sentence.asks())
            .map(|sentence| sentence.text.to_string());
        let after_the_one_before = sentences
            .windows(2)
            .filter(|pair| pair[1].asks())
            .map(|pair| format!("{}. {}", pair[0].text, pair[1].text));
        alone
            .chain(after_the_one_before)
            .filter_map(|segment| {
                let (surface, _, words) = self.read(&segment);
                let query = self.question_terms(faq, &surface, &words);
                let matches = faq.search_asking(&query, asked_with(&surface), branch, 3);
                let top = matches.first()?;
                let confidence = self.faq_confidence(faq, &matches, &query, branch);
                (faq.entry_id(top) == entry_id
                    && top.posterior >= LM_AGREEMENT
                    && confidence >= self.config.escalate_below + SEGMENT_MARGIN)
                    .then_some(confidence)
            })
            .reduce(f32::max)
    }

    /// A text's surface words, the branches it names, and the words outside those names.
    fn read(&self, text: &str) -> (Vec<String>, Vec<BranchMention>, Vec<Word>) {
        let surface = self.pipeline.surface_words(text);
        let mentions = self.branches.find(&surface);
        let words = self.pipeline.words_of(&words_outside(&surface, &mentions));
        (surface, mentions, words)
    }

    /// Cue words with typos corrected against the knowledge base's vocabulary ("adress",
    /// "opne"): a word the patron misspelt still says what they ask.
    fn corrected(&self, mut tokens: Vec<String>) -> Vec<String> {
        for token in &mut tokens {
            if self.speller.knows(token) || lexicon::is_english_word(token) {
                continue;
            }
            if let Some(corrected) = self.speller.correct(token) {
                *token = corrected.to_string();
            }
        }
        tokens
    }

    /// How the engine read a question: its query terms and the top FAQ candidates, for `ask --explain`.
    pub fn explain(&self, text: &str) -> String {
        let (surface, mentions, words) = self.read(text);
        let query = self.question_terms(&self.faq, &surface, &words);
        let mut lines = vec![format!(
            "branches: {:?}",
            mentions.iter().map(|mention| &mention.branch_id).collect::<Vec<_>>()
        )];
        lines.push(format!(
            "terms: {}",
            query
                .iter()
                .map(|term| format!(
                    "{}({:.2})",
                    term.term,
                    self.faq.idf(&term.term).unwrap_or(-1.0) * term.trust * term.topicality
                ))
                .collect::<Vec<_>>()
                .join(" ")
        ));
        for candidate in self.faq.search(&query, 5) {
            lines.push(format!(
                "  {} score {:.2} coverage {:.2} recall {:.2} lm {:.2} posterior {:.2}",
                self.faq.entry_id(&candidate),
                candidate.score,
                candidate.coverage,
                candidate.recall,
                candidate.lm,
                candidate.posterior
            ));
        }
        lines.join("\n")
    }

    /// How sure the best FAQ match is (0 when nothing matched).
    fn faq_confidence(&self, faq: &FaqIndex, matches: &[FaqMatch], query: &[QueryTerm], branch: Option<&str>) -> f32 {
        let Some(top) = matches.first() else {
            return 0.0;
        };
        let second = matches.get(1).map_or(0.0, |second| second.score);
        let margin = if top.score > 0.0 {
            (top.score - second) / top.score
        } else {
            0.0
        };
        // Calibrated on patron questions: the score, plus a bonus when the runner-up is far behind.
        // A wrong answer costs more than an escalation, so a close second pulls confidence down.
        // (Scaling the bonus by coverage cut wrong answers in the self-check but escalated right
        // answers to long, chatty patron questions, whose coverage is low: left as it was.)
        let mut confidence = ((top.score + 0.3 * margin) / 1.1).min(1.0);
        // A lead over weak rivals does not make a weak match strong: an entry explaining little of
        // the question is not the answer just because no other entry explains more.
        confidence = confidence.min(top.score + WEAK_MATCH_LEAD);
        if query.len() <= 1 {
            confidence *= 0.85;
        }
        if let (Some(only), Some(current)) = (faq.only_branch(top), branch)
            && only != current
        {
            confidence *= 0.8;
        }
        confidence
    }

    /// How strongly the wording asks for events, from its evidence: event wording, a day, a
    /// branch or "next" (scheduled), and how well the remaining topic names an event. 0 when
    /// nothing points at events. Event wording with a topic no event has ("are events free")
    /// stays low, so an FAQ that explains it wins.
    fn event_confidence(&self, cues: &Cues, scheduled: bool, topic: &[String], knowledge: &Knowledge) -> f32 {
        let fit = self.events.topic_fit(topic, is_event_word);
        let scheduled = if scheduled { 1.0 } else { 0.0 };
        if cues.events {
            // Nothing left to explain ("what's on this saturday") is as good as a topic that fits.
            let explained = if topic.is_empty() {
                1.0
            } else {
                0.5 * (self.events.topic_strength(topic, None, knowledge) + fit)
            };
            // Event wording with a day, a branch or "next" is about the calendar unless an FAQ fits better.
            return if scheduled > 0.0 {
                0.7 + 0.25 * explained
            } else {
                0.45 + 0.4 * explained
            };
        }
        // A topic alone ("knitting") must name an event: its words found in a title, and much of the title restated.
        let strength = self.events.topic_strength(topic, None, knowledge);
        if strength < 0.5 {
            return 0.0;
        }
        (0.2 + 0.15 * scheduled + 0.6 * fit).min(0.9)
    }

    fn faq_answer(&self, faq: &FaqIndex, matches: &[FaqMatch], query: &[QueryTerm], branch: Option<&str>) -> Answer {
        let knowledge = &*self.knowledge;
        let Some(top) = matches.first() else {
            return escalate(knowledge, branch, None);
        };
        let confidence = self.faq_confidence(faq, matches, query, branch);
        let top_id = faq.entry_id(top);
        let only_branch = faq.only_branch(top);
        let guess = Guess {
            kind: AnswerKind::Faq,
            target: Some(top_id.to_string()),
            confidence,
        };
        // Two models that read the question differently must agree: when the language model
        // finds this entry an unlikely source of the question, the overlap is probably
        // incidental (everyday words shared with the entry), and answering would likely be wrong.
        // When it is only unsure, the words must match strongly.
        let disagree = top.posterior < LM_AGREEMENT || (top.posterior < LM_SURE && confidence < STRONG_MATCH);
        if confidence < self.config.escalate_below || disagree {
            return escalate(knowledge, branch, Some(guess));
        }
        let faq_branch = only_branch.or(branch);
        let Some(faq) = knowledge.faq(top_id, faq_branch) else {
            return escalate(knowledge, branch, Some(guess));
        };
        Answer::new(AnswerKind::Faq, Some(faq.id.clone()), confidence, faq.answer.clone())
    }

    /// The terms a question is searched with: its words' terms, and what its wording implies.
    fn question_terms(&self, faq: &FaqIndex, surface: &[String], words: &[Word]) -> Vec<QueryTerm> {
        let mut query = self.query_terms(faq, words);
        // "can my boss find out what books i check out": someone else learning what a patron
        // borrows is a question about privacy, though no word of it says so. Who would learn
        // what, and how, are part of that question ("my husband" is not a proxy picking up holds,
        // "my job" not a job search, "what i read" not learning to read).
        if let Some(said) = who_learns_my_borrowing(surface) {
            self.imply(&mut query, &said, &["privacy", "borrow"]);
        }
        // "my puppy chewed up my library card": a damaged card is replaced, whoever damaged it;
        // the damage and the dog are how, not what is asked.
        if card_is_damaged(surface, &self.pipeline) {
            self.imply(&mut query, &["damage", "dog"], &["replace"]);
        }
        // "can my daughter pick up my holds": another person collecting for the patron.
        if let Some(person) = someone_collects_for_me(surface) {
            self.imply(&mut query, &[person], &["someone"]);
        }
        // "got a text that my book is in, where do i find it": a message the patron already got
        // is news, not what they ask about (unless it never came).
        let received = received_messages(surface);
        if !received.is_empty() {
            self.imply(&mut query, &received, &[]);
        }
        // "can someone show my grandma how to use her ipad": being shown how is learning, not
        // showing a card at the desk.
        if let Some(verb) = shown_how(surface) {
            self.imply(&mut query, &[verb], &["learn"]);
        }
        query
    }

    /// What a wording implies: the terms of the words it explains count `IMPLIED_WORD_TRUST`,
    /// and the terms it means count in full.
    fn imply(&self, query: &mut Vec<QueryTerm>, explained: &[&str], meant: &[&str]) {
        let explained: Vec<String> = explained.iter().map(|word| self.pipeline.term(word)).collect();
        for term in query.iter_mut().filter(|term| explained.contains(&term.term)) {
            term.trust *= IMPLIED_WORD_TRUST;
        }
        for meant in meant {
            let meant = self.pipeline.term(meant);
            // What the wording means is the topic, however patrons use the word elsewhere.
            match query.iter_mut().find(|term| term.term == meant) {
                Some(term) => {
                    term.trust = 1.0;
                    term.topicality = 1.0;
                }
                None => query.push(QueryTerm {
                    term: meant,
                    trust: 1.0,
                    topicality: 1.0,
                }),
            }
        }
    }

    /// Query terms with typos corrected against the knowledge base's vocabulary.
    fn query_terms(&self, faq: &FaqIndex, words: &[Word]) -> Vec<QueryTerm> {
        let mut terms: Vec<QueryTerm> = Vec::new();
        for word in words
            .iter()
            .filter(|word| !word.stop && !dates::is_calendar_word(&word.text))
        {
            let (term, trust) = if faq.idf(&word.term).is_some()
                || self.speller.knows(&word.text)
                || word.text.contains(' ')
                || lexicon::is_english_word(&word.text)
            {
                (word.term.clone(), 1.0)
            } else {
                match self.speller.correct(&word.text) {
                    Some(corrected) => (self.pipeline.term(corrected), 0.8),
                    None => (word.term.clone(), 1.0),
                }
            };
            if lexicon::is_stop_word(&term) {
                continue;
            }
            let trust = trust * lexicon::everyday_weight(&word.text);
            if !terms.iter().any(|existing| existing.term == term) {
                let topicality = topicality::weight(&term);
                terms.push(QueryTerm {
                    term,
                    trust,
                    topicality,
                });
            }
        }
        terms
    }

    /// A service some branch lists, when the question names it ("study rooms").
    fn service_asked(&self, query: &[QueryTerm]) -> Option<String> {
        self.services
            .iter()
            .filter(|(terms, _)| {
                terms
                    .iter()
                    .all(|term| query.iter().any(|query_term| &query_term.term == term))
            })
            .max_by_key(|(terms, _)| terms.len())
            .map(|(_, display)| display.clone())
    }

    fn unknown_branch_answer(&self, name: &str, suggestions: &[String]) -> Answer {
        let knowledge = &*self.knowledge;
        let names: Vec<String> = suggestions
            .iter()
            .filter_map(|id| knowledge.branch(id))
            .map(|branch| branch.name.clone())
            .collect();
        let text = format!(
            "I don't know a branch called \"{name}\". Did you mean {}? {} has {} branches; tell me which one.",
            names.join(", or "),
            knowledge.library.name,
            knowledge.branches.len()
        );
        let mut answer = Answer::new(AnswerKind::Clarify, Some("branch".to_string()), 0.8, text);
        answer.guess = suggestions.first().map(|id| Guess {
            kind: AnswerKind::Clarify,
            target: Some(id.clone()),
            confidence: 0.5,
        });
        answer
    }
}

impl Cues {
    fn detect(words: &[String]) -> Cues {
        let has = |word: &str| words.iter().any(|candidate| candidate == word);
        let has_pair = |first: &str, second: &str| words.windows(2).any(|pair| pair[0] == first && pair[1] == second);
        // "open"/"close" read as opening hours unless they take an object: "close my account",
        // "open an account" are about something else.
        let takes_object = |position: usize| {
            let next = words.get(position + 1).map(String::as_str);
            // "wont open the book" opens a thing; "open the 26th", "open the day after" a door.
            let opens_a_thing = next == Some("the")
                && words
                    .get(position + 2)
                    .is_some_and(|thing| !dates::is_calendar_word(thing) && !matches!(thing.as_str(), "day" | "whole"));
            opens_a_thing
                || next.is_some_and(|next| {
                    matches!(
                        next,
                        "my" | "your" | "our" | "their" | "his" | "her" | "a" | "an" | "account" | "accounts" | "it"
                    )
                })
        };
        // "a few hours a week", "2 hours", "24 hour return" measure time; they don't ask when a branch is open.
        let is_duration = |position: usize| {
            let before = position.checked_sub(1).and_then(|previous| words.get(previous));
            let quantity = before.is_some_and(|word| {
                word.chars().all(|character| character.is_ascii_digit())
                    || matches!(
                        word.as_str(),
                        "a" | "an"
                            | "few"
                            | "couple"
                            | "several"
                            | "many"
                            | "one"
                            | "two"
                            | "three"
                            | "four"
                            | "five"
                            | "six"
                            | "seven"
                            | "eight"
                            | "nine"
                            | "ten"
                            | "eleven"
                            | "twelve"
                            | "extra"
                            | "more"
                            | "per"
                    )
            });
            let rate = matches!(words.get(position + 1).map(String::as_str), Some("a" | "per" | "each"));
            // "i sit with my mom at dialysis for hours", but not "looking for hours for main".
            let for_a_long_time = words[position] == "hours"
                && before.is_some_and(|word| word == "for")
                && !position
                    .checked_sub(2)
                    .and_then(|index| words.get(index))
                    .is_some_and(|word| matches!(word.as_str(), "looking" | "look" | "searching" | "asking" | "ask"));
            quantity || rate || for_a_long_time
        };
        // "can never get there while you're open", "when they are open": a clause saying when the
        // patron cannot come, not a question about the hours.
        let while_open = |position: usize| {
            position >= 3
                && matches!(words[position - 1].as_str(), "are" | "is")
                && matches!(words[position - 2].as_str(), "you" | "they" | "it" | "we")
                && matches!(words[position - 3].as_str(), "while" | "when" | "whenever")
        };
        // "my wife works crazy hours": someone's working hours, not the library's.
        let working_hours = |position: usize| {
            words[position.saturating_sub(2)..position].iter().any(|word| {
                matches!(
                    word.as_str(),
                    "work" | "works" | "working" | "worked" | "shift" | "shifts" | "job"
                )
            })
        };
        // "close to the top of the list", "a closed door room", "open seating areas", "an open
        // mic": near, shut, or a kind of place or event, not a schedule.
        let describes_a_thing = |position: usize| {
            let next = words.get(position + 1).map(String::as_str);
            matches!(words[position].as_str(), "close" | "closed")
                && matches!(next, Some("to" | "by" | "enough" | "door" | "doors"))
                || words[position] == "open"
                    && matches!(
                        next,
                        Some(
                            "seating"
                                | "seat"
                                | "seats"
                                | "area"
                                | "areas"
                                | "space"
                                | "spaces"
                                | "mic"
                                | "plan"
                                | "source"
                                | "enrollment"
                                | "tables"
                        )
                    )
        };
        // "is there somewhere to drop books off after hours? you're always closed when i'm off":
        // the question is what can be done while closed, so closing words only explain it.
        let after_hours = has("afterhour");
        // "when was the library opened" asks about history.
        let past = has("was") || has("were") || has("first") || has("built");
        let hours = words.iter().enumerate().any(|(position, word)| {
            (matches!(word.as_str(), "hours" | "hour") && !is_duration(position) && !working_hours(position))
                || word == "schedule"
                || (matches!(
                    word.as_str(),
                    "open"
                        | "opens"
                        | "opening"
                        | "close"
                        | "closes"
                        | "closing"
                        | "closed"
                        | "reopen"
                        | "reopens"
                        | "reopening"
                ) && !takes_object(position)
                    && !while_open(position)
                    && !describes_a_thing(position)
                    && !after_hours)
                // "just opened a dog grooming business" opened something of the patron's.
                || (word == "opened"
                    && !past
                    && !takes_object(position)
                    && !position
                        .checked_sub(1)
                        .is_some_and(|previous| matches!(words[previous].as_str(), "just" | "recently" | "newly" | "i" | "we")))
        }) || has_pair("what", "time")
            || has_pair("how", "late")
            || has_pair("how", "early");
        // "anything on at ur location this week?": the branch pointed at, not its address asked for.
        let points_at_a_location = |position: usize| {
            position >= 2
                && matches!(words[position - 1].as_str(), "your" | "ur" | "this" | "that")
                && matches!(words[position - 2].as_str(), "at" | "in" | "for")
        };
        let location = ["address", "located", "directions", "map", "zip", "zipcode"]
            .iter()
            .any(|word| has(word))
            || words
                .iter()
                .enumerate()
                .any(|(position, word)| word == "location" && !points_at_a_location(position))
            || has_pair("what", "street")
            || has_pair("which", "street")
            || has_pair("what", "road")
            || has_pair("which", "road")
            || has_pair("cross", "street")
            // "where is", "where exactly is", "where r u": where the branch is, not where
            // something is in it ("where's the best place to park").
            || words.iter().enumerate().any(|(position, word)| {
                let Some(verb) = words[position + 1..]
                    .iter()
                    .take(2)
                    .position(|next| matches!(next.as_str(), "is" | "are" | "r"))
                else {
                    return false;
                };
                let subject = words[position + 2 + verb..]
                    .iter()
                    .find(|next| !matches!(next.as_str(), "the" | "a" | "this" | "that" | "your" | "ur"));
                word == "where"
                    && !subject.is_some_and(|subject| {
                        matches!(
                            subject.as_str(),
                            "best" | "good" | "place" | "spot" | "my" | "our" | "bathroom" | "bathrooms" | "restroom"
                                | "restrooms" | "toilet"
                        )
                    })
            });
        // "whats ur phone number", "email for eastside": the branch's contact details. The
        // patron's own phone or email, or emailing something ("show it on my phone", "email
        // them to myself"), is how the patron does something, not what is asked.
        let contact_word = |position: usize, word: &String| {
            let before = position.checked_sub(1).map(|previous| words[previous].as_str());
            let after = words.get(position + 1).map(String::as_str);
            // A number is the branch's unless it is the patron's own, a new one, or a PIN.
            let numbers_own = word == "number"
                && (has("card") || before.is_some_and(|before| matches!(before, "pin" | "secret" | "account")));
            matches!(word.as_str(), "phone" | "email" | "number")
                && !numbers_own
                && !before.is_some_and(|before| {
                    matches!(
                        before,
                        "my" | "his" | "her" | "our" | "a" | "an" | "on" | "by" | "via" | "through" | "new"
                    )
                })
                && !after.is_some_and(|after| {
                    matches!(
                        after,
                        "me" | "them" | "it" | "myself" | "him" | "her" | "us" | "my" | "things" | "stuff" | "files"
                    )
                })
        };
        let branch_info = location
            || words
                .iter()
                .enumerate()
                .any(|(position, word)| contact_word(position, word))
            || ["contact", "services", "amenities", "facilities"]
                .iter()
                .any(|word| has(word))
            || has_pair("get", "to")
            || has_pair("get", "there")
            || has_pair("how", "far");
        let events = [
            "event",
            "events",
            "happening",
            "happenings",
            "program",
            "programs",
            "programming",
            "activities",
            "activity",
            "calendar",
            "class",
            "classes",
            "workshop",
            "workshops",
            "storytime",
            "storytimes",
            "bookclub",
            "club",
            "clubs",
            "celebration",
            "festival",
            "concert",
            "party",
        ]
        .iter()
        .any(|word| has(word))
            // "what's going on this weekend", but not "going on strike" or "going on vacation".
            || words.windows(2).enumerate().any(|(position, pair)| {
                pair[0] == "going"
                    && pair[1] == "on"
                    && words.get(position + 2).is_none_or(|next| {
                        matches!(next.as_str(), "at" | "in" | "for" | "this" | "next" | "around" | "near" | "there" | "here")
                            || dates::is_calendar_word(next)
                    })
            })
            // "what's on my card" asks about the patron's account, not the calendar.
            || words.windows(3).enumerate().any(|(position, triple)| {
                triple[0] == "what"
                    && triple[1] == "is"
                    && triple[2] == "on"
                    && words.get(position + 3).is_none_or(|next| next != "my")
            })
            || has("fun")
            || ["for", "on", "this", "today", "tonight", "tomorrow", "going", "happening"]
                .iter()
                .any(|next| has_pair("anything", next) || has_pair("something", next))
                // "does the library have anything for that" points back at a need the patron
                // described: a resource, not a program ("anything for teens").
                && !words.windows(3).any(|triple| {
                    matches!(triple[0].as_str(), "anything" | "something")
                        && triple[1] == "for"
                        && matches!(triple[2].as_str(), "that" | "it")
                })
            // "anything at greenfield on saturday" (the branch name is not among these words),
            // but not "anything at the library for my mom", which asks for a service.
            || words.windows(3).any(|triple| {
                triple[0] == "anything"
                    && triple[1] == "at"
                    && !matches!(triple[2].as_str(), "the" | "a" | "library" | "libraries" | "all")
            })
            || words.last().is_some_and(|last| last == "at") && has_pair("anything", "at")
            || has_pair("things", "to");
        // "which branches", "is any library branch open on jan 1", "open anywhere on sunday".
        let all_branches = ["branches", "libraries", "locations"].iter().any(|word| has(word))
            && ["which", "what", "any", "all", "list"].iter().any(|word| has(word))
            || has("anywhere")
            || has("everywhere")
            || has("everything") && has("open")
            || has_pair("anything", "open")
            || words.windows(3).any(|triple| {
                matches!(triple[0].as_str(), "any" | "every")
                    && (matches!(triple[1].as_str(), "branch" | "library" | "location")
                        || matches!(triple[2].as_str(), "branch" | "location"))
            });
        // "when is the next book club", but not "the next person in line", "next door", "next to".
        let next = words.iter().enumerate().any(|(position, word)| {
            word == "next"
                && !words.get(position + 1).is_some_and(|after| {
                    matches!(
                        after.as_str(),
                        "person" | "people" | "patron" | "one" | "in" | "to" | "door" | "guy" | "reader" | "borrower"
                    )
                })
        }) || has("upcoming")
            || has_pair("coming", "up");
        let when_asked = has("when") || has("whens") || has_pair("what", "time");
        let needs_person = NEEDS_PERSON.iter().any(|phrase| {
            let phrase_words: Vec<&str> = phrase.split(' ').collect();
            words.windows(phrase_words.len()).enumerate().any(|(position, window)| {
                let before = position.checked_sub(1).map(|previous| words[previous].as_str());
                // "will i get yelled at if i bring coffee": a fear of what might happen, not
                // something that did. "i'd like my card shut down": closing the patron's own account.
                let hypothetical = matches!(before, Some("get" | "getting" | "be" | "been"));
                let own_account = phrase_words[1..] == ["down"] && matches!(before, Some("card" | "account"));
                window
                    .iter()
                    .zip(&phrase_words)
                    .all(|(word, expected)| word == expected)
                    && !hypothetical
                    && !own_account
            })
        });
        Cues {
            hours,
            branch_info,
            location,
            events,
            all_branches,
            next,
            when_asked,
            needs_person,
        }
    }
}

/// Requests a reference librarian, not an FAQ, should handle: advice, disputes, incidents, people.
const NEEDS_PERSON: &[&str] = &[
    "recommend some",
    "can you suggest",
    "could you suggest",
    "suggest a good",
    "recommend a good",
    "recommend me",
    // The patron asks staff to pick something ("can you recommend a mystery"); "how do i
    // recommend a title" is a purchase suggestion and stays with the FAQ.
    "you recommend",
    "any books about",
    "books about",
    "recommendation",
    "recommendations",
    "what should i read",
    // Readers' advisory for someone else: "what fantasy series should he try next".
    "should he read",
    "should she read",
    "should they read",
    "should we read",
    "should he try",
    "should she try",
    "read next",
    "should i get her",
    "should i get him",
    "should i get them",
    "to read next",
    "books like",
    // What staff would pick or are reading themselves: readers' advisory too.
    "personal pick",
    "your pick",
    "your favorite",
    "your favourite",
    "what are you reading",
    "reading lately",
    "what is it called",
    "whats it called",
    "name of the book",
    "cant remember the title",
    "can not remember the title",
    "forget the title",
    // Cuts to the library's money: staff speak for the library. The budget as a topic ("speak at
    // the board meeting about the budget") is the board's or the director's FAQ entry.
    "budget cut",
    "budget cuts",
    "cutting the budget",
    "cutting the library",
    "cut the library",
    // Rumours of a branch closing: staff speak for the library. Not "for good" or "shut down"
    // alone: "moving to oregon for good, how do i shut down my card" closes the patron's account.
    "close down",
    "closing down",
    "lawyer",
    "sue",
    "suing",
    "legal advice",
    "landlord",
    "allergy",
    "allergic",
    "medical",
    "diagnosis",
    "charged twice",
    "double charged",
    "twice for the same",
    "not fair",
    "unfair",
    "want it removed",
    "want this removed",
    "want that removed",
    "money back",
    "refund",
    "footage",
    "security camera",
    "camera footage",
    "police report",
    "still the",
    "where did she go",
    "where did he go",
    "on the shelf right now",
    "speaks",
    "architect",
    "dewey number",
    "call number",
    // Something that went wrong with a person or a decision: staff need to hear it.
    "rude",
    "yelled",
    "harassed",
    "harassing",
    "blamed",
    "accused",
    "turned away",
    "turned us away",
    "turned me away",
    "refused",
    "denied",
    "waive",
    "waived",
    "no notice",
    "without notice",
    "did not show",
    "never showed",
    // The state of one patron's own case, which only staff can look up.
    "the status",
    "status of my",
    "still hasnt come",
    "still hasnt arrived",
    "still isnt ready",
    "still not ready",
    "order number",
    "request number",
    "confirmation number",
    "case number",
    "reference number",
    "shipped yet",
    "can someone check",
    "someone check",
    "check what happened",
    "never borrowed",
    "never checked out",
    "never checked it out",
    "call me back",
    "never called",
    "nobody called",
    "no one called",
    "check on my",
    "look into it",
    "look into this",
    "look into my",
    "done yet",
    "decide yet",
    "decided yet",
    // A ready hold that is not where it should be: someone must look for it.
    "not on the shelf",
    "not on the hold shelf",
    "not on the holds shelf",
    "heard nothing",
    "havent heard back",
    "have not heard back",
    "never heard back",
    "if you got it",
    "if you received",
    "rejected",
    "ate my",
    "can you check with",
    "did you get",
    "did you receive",
    "disappeared",
    // When one title comes back is in the catalog, for a person to read; "when are my books due"
    // is the FAQ.
    "its due back",
    "it is due back",
    "will it be back",
    "will it be returned",
    // A booking or message that may not have arrived: staff must look it up.
    "can you check",
    "never got a confirmation",
    "never got an email",
    "never got the email",
    "never received",
    // The library's history and numbers, which no FAQ keeps.
    "what year",
    "first open",
    "first opened",
    "how many people went",
    "how many people came",
    "how many people attended",
    // A charge the patron disputes: staff decide.
    "take the charge off",
    "remove the charge",
    "remove that charge",
    // A request to bend a rule for one patron.
    "make an exception",
    "an exception for",
    // Something happening in a building right now: staff must act, not the FAQ.
    "dripping",
    "leaking",
    "leak",
    "pouring",
    "flooding",
    "flooded",
    "on fire",
    "passed out",
    "unconscious",
    "bleeding",
    "overdose",
    "ambulance",
    "call 911",
    "stuck in the elevator",
    // Politics: staff speak for the library, the bot does not take sides.
    "candidate",
    "candidates",
    "election",
    "vote for",
];

/// `asks` is whether the message has a question mark.
fn smalltalk(words: &[String], asks: bool, knowledge: &Knowledge) -> Option<Answer> {
    const GREETINGS: &[&str] = &[
        "hi",
        "hello",
        "hey",
        "heya",
        "hiya",
        "howdy",
        "greetings",
        "morning",
        "afternoon",
        "evening",
        "good",
        "there",
        "yo",
        "sup",
        "hola",
        "bonjour",
        "all",
        "everyone",
        "folks",
        "team",
        "friends",
        "bot",
        // "hey there library", "hiya, anyone there?": greeting whoever is at the desk.
        "library",
        "librarian",
        "librarians",
        "anyone",
        "anybody",
        "is",
        "you",
        // Season's greetings: "happy new year!", "merry christmas to you all".
        "happy",
        "merry",
        "new",
        "year",
        "years",
        "holiday",
        "holidays",
        "season",
        "seasons",
        "christmas",
        "xmas",
        "thanksgiving",
        "hanukkah",
        "easter",
        "to",
        "and",
    ];
    const THANKS: &[&str] = &[
        "thanks",
        "thank",
        "appreciate",
        "appreciated",
        "cheers",
        "great",
        "awesome",
        "perfect",
        "helpful",
        "helps",
        "helped",
        "cool",
        "nice",
        "ok",
        "okay",
        "bye",
        "goodbye",
        "wonderful",
        "amazing",
        "excellent",
        "brilliant",
        "got",
        "it",
        "so",
        "much",
        "you",
        "that",
        "this",
        "very",
        "a",
        "lot",
        "really",
        "super",
        "truly",
        "incredibly",
        "extremely",
        "was",
        "is",
        "the",
        "info",
        "information",
        "again",
        "kindly",
        "ton",
        "tons",
        "bunch",
        "heaps",
        "have",
        "day",
        "have",
        "see",
        "later",
        "ya",
        // "thx, have a good long weekend", "ty sm", "have a good one".
        "sm",
        "long",
        "weekend",
        "week",
        "night",
        "one",
        "rest",
        "of",
        "your",
        "guys",
        "yall",
    ];
    let text = words.join(" ");
    const HELP_PHRASES: &[&str] = &[
        "what can you do",
        "what do you do",
        "what can i ask",
        "what are you",
        "who are you",
        "are you a bot",
        "are you a robot",
        "are you human",
        "are you a person",
        "how does this work",
        "how does this chat work",
        "how does this chat thing work",
        "how does this thing work",
        "how do i use this",
        "how do you work",
        "what can you help",
        "what can you answer",
        "can you answer",
        "what questions",
        "help me",
        "help",
        "commands",
        "menu",
        "options",
    ];
    // "what kinda stuff can u help me with" asks what the bot covers, whatever follows; "what
    // kind of stuff gets people banned" asks about the library, so the bot must be addressed.
    const CAPABILITY_OPENINGS: &[&str] = &["what kind of", "what kinds of", "what kinda", "what sort of"];
    // "um what are you exactly": hesitations say nothing and must not push a short question
    // over the length limit.
    let fillers = words
        .iter()
        .filter(|word| {
            matches!(
                word.as_str(),
                "um" | "umm" | "uh" | "uhh" | "hmm" | "erm" | "so" | "exactly"
            )
        })
        .count();
    let has_word = |wanted: &str| words.iter().any(|candidate| candidate == wanted);
    let capability_question = words.len() <= 12
        && CAPABILITY_OPENINGS.iter().any(|opening| text.contains(opening))
        && ["you", "u", "bot"].iter().any(|word| has_word(word))
        && (has_word("can") || has_word("do") || HELP_PHRASES.iter().any(|phrase| text.contains(phrase)));
    // "i'm not very good at this chat stuff. what can i ask you?": what comes before the
    // question only explains it.
    let ends_with_help = words.len() <= 16
        && [
            "what can i ask you",
            "what can i ask",
            "what can you do",
            "what can you help me with",
            "what can you help with",
            "what are you able to help with",
            "what are you able to do",
        ]
        .iter()
        .any(|phrase| text.ends_with(phrase));
    if capability_question
        || ends_with_help
        || words.len() - fillers <= 9
            && HELP_PHRASES.iter().any(|phrase| {
                text == *phrase
                    || text.starts_with(&format!("{phrase} "))
                    || text.ends_with(&format!(" {phrase}"))
                    || text.contains(&format!(" {phrase} "))
            })
            // "help me with my resume" names a topic; "what can you help me with?" does not.
            && !words
                .iter()
                .enumerate()
                .any(|(position, word)| word == "with" && position + 1 < words.len() || word == "find")
            && !asks_help_with_a_topic(words)
    {
        return Some(help_answer(knowledge, 0.9));
    }
    let thanked = words.iter().any(|word| {
        matches!(
            word.as_str(),
            "thanks" | "thank" | "appreciate" | "appreciated" | "cheers"
        )
    });
    let opens_with_thanks = matches!(words.first().map(String::as_str), Some("thanks" | "thank" | "cheers"));
    // "hiii", "heyyy", "hellooo": chat stretches greetings.
    let collapsed: Vec<String> = words.iter().map(|word| collapse_repeats(word)).collect();
    let words = &collapsed;
    // Season's greetings count too: "happy new year", "merry christmas" (letters collapsed).
    let greeted = words.iter().any(|word| {
        matches!(
            word.as_str(),
            "hi" | "helo" | "hey" | "heya" | "hiya" | "howdy" | "gretings" | "yo" | "sup" | "hola" | "hapy" | "mery"
        )
    }) || (has_word("anyone") || has_word("anybody")) && has_word("there")
        || text == "good morning"
        || text == "good afternoon"
        || text == "good evening";
    let known = |list: &[&str], word: &str| list.iter().any(|known| collapse_repeats(known) == word);
    let only_pleasantries = words.iter().all(|word| known(GREETINGS, word) || known(THANKS, word));
    // "thank you so much, that's a big help with everything going on", "thanks!! way more
    // helpful than the dmv today lol": thanks first, then a remark that asks for nothing.
    let thanks_with_a_remark = opens_with_thanks
        && !asks
        && words.len() <= 16
        && !words.iter().any(|word| {
            matches!(
                word.as_str(),
                "what"
                    | "when"
                    | "where"
                    | "how"
                    | "why"
                    | "which"
                    | "who"
                    | "can"
                    | "could"
                    | "but"
                    | "still"
                    | "not"
                    | "however"
                    | "also"
                    | "another"
                    | "i"
                    | "my"
                    | "me"
                    | "need"
                    | "want"
                    | "please"
            )
        });
    // "thx, that's all i needed": done, not a new request.
    let done = text.contains("that is all") || text.contains("thats all");
    if thanks_with_a_remark || opens_with_thanks && done {
        return Some(thanks_answer());
    }
    if !only_pleasantries {
        return None;
    }
    // "ok cool", "got it", "perfect": an acknowledgement, not a question for staff.
    let acknowledged = words.iter().any(|word| {
        matches!(
            word.as_str(),
            "ok" | "okay"
                | "cool"
                | "great"
                | "awesome"
                | "perfect"
                | "nice"
                | "got"
                | "wonderful"
                | "amazing"
                | "excelent"
                | "briliant"
        )
    });
    if thanked || acknowledged || words.iter().any(|word| matches!(word.as_str(), "bye" | "godbye")) {
        return Some(thanks_answer());
    }
    if greeted {
        let text = format!(
            "Hi! I'm the {} reference desk. Ask me about branch hours, events, or how to do things like renew books or get a card.",
            knowledge.library.name
        );
        return Some(Answer::new(AnswerKind::Smalltalk, Some("greeting".into()), 0.95, text));
    }
    None
}

fn thanks_answer() -> Answer {
    Answer::new(
        AnswerKind::Smalltalk,
        Some("thanks".into()),
        0.95,
        "You're welcome! Ask me anytime about hours, events, or how things work at the library.",
    )
}

/// The question word a message asks with ("where do i pick up my holds"), not one that starts a
/// relative clause ("someone who can help", "a place where i can study").
fn asked_with(surface: &[String]) -> Option<&'static str> {
    surface.iter().enumerate().find_map(|(position, word)| {
        let wanted = faq::QUESTION_WORDS.iter().copied().find(|wanted| word == wanted)?;
        let relative = position
            .checked_sub(1)
            .and_then(|previous| surface.get(previous))
            .is_some_and(|previous| {
                ["someone", "parent", "child"]
                    .iter()
                    .any(|concept| lexicon::in_concept(concept, previous))
                    || matches!(
                        previous.as_str(),
                        "anyone"
                            | "anybody"
                            | "people"
                            | "those"
                            | "one"
                            | "kids"
                            | "place"
                            | "places"
                            | "spot"
                            | "area"
                            | "room"
                    )
            });
        (!relative).then_some(wanted)
    })
}

/// A word with each run of a repeated letter written once: "hiii" and "hi" are the same greeting.
fn collapse_repeats(word: &str) -> String {
    let mut collapsed = String::with_capacity(word.len());
    for character in word.chars() {
        if !collapsed.ends_with(character) {
            collapsed.push(character);
        }
    }
    collapsed
}

/// "can my husband find out what books i check out", "would my job ever find out what i borrow",
/// "will you tell my parents which books i read": another person learning what the patron
/// borrows. "how can i see what i checked out" is the patron's own list, not this.
/// Returns the words saying who learns what and how, which the privacy of a borrowing record explains.
fn who_learns_my_borrowing(surface: &[String]) -> Option<[&str; 3]> {
    // Besides the lexicon's people ("someone", "parent"): whoever else might ask for a record.
    const OTHERS: &[&str] = &[
        "job",
        "work",
        "police",
        "cops",
        "government",
        "anyone",
        "anybody",
        "people",
        "ex",
        "school",
        "teacher",
        "landlord",
        "family",
        "others",
        "staff",
        "librarians",
    ];
    let someone_else = |word: &&String| {
        lexicon::in_concept("someone", word) || lexicon::in_concept("parent", word) || OTHERS.contains(&word.as_str())
    };
    const LEARN: &[&str] = &[
        "find", "know", "see", "look", "track", "access", "tell", "share", "show", "check",
    ];
    const BORROWING: &[&str] = &[
        "borrow",
        "borrowed",
        "borrowing",
        "check",
        "checked",
        "checking",
        "checkout",
        "checkouts",
        "read",
        "reading",
        "rent",
        "rented",
        "history",
        "record",
        "records",
    ];
    let learn = surface.iter().position(|word| LEARN.contains(&word.as_str()))?;
    let near_before = &surface[learn.saturating_sub(4)..learn];
    let near_after = &surface[learn + 1..(learn + 4).min(surface.len())];
    let someone_else = near_before.iter().chain(near_after).find(someone_else)?;
    let what = surface[learn + 1..]
        .iter()
        .position(|word| matches!(word.as_str(), "what" | "which"))
        .map(|offset| learn + 1 + offset)?;
    let borrowed = surface[what + 1..]
        .iter()
        .take(5)
        .find(|word| BORROWING.contains(&word.as_str()))?;
    Some([someone_else.as_str(), surface[learn].as_str(), borrowed.as_str()])
}

/// "my puppy chewed up my library card", "my card got wet and wont scan": the card itself damaged.
fn card_is_damaged(surface: &[String], pipeline: &TextPipeline) -> bool {
    const ITEMS: &[&str] = &[
        "book",
        "books",
        "dvd",
        "dvds",
        "cd",
        "cds",
        "item",
        "items",
        "movie",
        "magazine",
        "laptop",
        "hotspot",
        "kit",
        "tool",
        "audiobook",
    ];
    // Most questions never say "card": then no word needs stemming here.
    if !surface.iter().any(|word| word == "card") {
        return false;
    }
    let damage = pipeline.term("damage");
    surface.iter().enumerate().any(|(position, word)| {
        let near = &surface[position.saturating_sub(3)..(position + 5).min(surface.len())];
        // "ripped a book, will it go on my card" damaged the book.
        near.iter().any(|near| near == "card")
            && !near.iter().any(|near| ITEMS.contains(&near.as_str()))
            && pipeline.term(word) == damage
    })
}

/// "can my daughter pick up my holds", "could my mom grab the books i requested", "can my
/// husband go get my holds": someone the patron knows collecting what the patron borrows.
/// Returns who.
fn someone_collects_for_me(surface: &[String]) -> Option<&str> {
    const COLLECT: [&str; 4] = ["pick", "get", "grab", "collect"];
    surface.windows(2).enumerate().find_map(|(position, pair)| {
        let person = &pair[1];
        let known = pair[0] == "my"
            && ["child", "parent", "someone"]
                .iter()
                .any(|concept| lexicon::in_concept(concept, person));
        if !known {
            return None;
        }
        // "my husband grab", "my neighbor go get", "my husband is going to grab".
        let after = position + 2;
        let verb = surface[after..(after + 4).min(surface.len())]
            .iter()
            .position(|word| COLLECT.contains(&word.as_str()))?;
        let for_me = surface[after + verb + 1..]
            .iter()
            .any(|word| matches!(word.as_str(), "my" | "me" | "mine" | "i"));
        for_me.then_some(person.as_str())
    })
}

/// "got a text that", "just received an email saying": the messages the patron says they got.
/// Not "never got a text", "didnt get an email": a message that did not come is the question.
fn received_messages(surface: &[String]) -> Vec<&str> {
    const MESSAGES: [&str; 12] = [
        "text",
        "texts",
        "email",
        "emails",
        "notice",
        "notices",
        "message",
        "messages",
        "call",
        "letter",
        "notification",
        "alert",
    ];
    let mut received = Vec::new();
    for (position, word) in surface.iter().enumerate() {
        let got = matches!(word.as_str(), "got" | "received" | "gotten");
        let denied = surface[position.saturating_sub(2)..position]
            .iter()
            .any(|before| matches!(before.as_str(), "never" | "not" | "didnt" | "havent" | "hasnt" | "no"));
        if !got || denied {
            continue;
        }
        received.extend(
            surface[position + 1..(position + 3).min(surface.len())]
                .iter()
                .filter(|next| MESSAGES.contains(&next.as_str()))
                .map(String::as_str),
        );
    }
    received
}

/// "show my grandma how to use", "teach me how": the verb of someone being shown how, if any.
fn shown_how(surface: &[String]) -> Option<&str> {
    surface.iter().enumerate().find_map(|(position, word)| {
        let verb = matches!(word.as_str(), "show" | "teach" | "explain");
        let how_follows = || surface[position + 1..].iter().take(4).any(|word| word == "how");
        (verb && how_follows()).then_some(word.as_str())
    })
}

/// One sentence of a message, and whether it ended with a question mark.
struct Sentence<'a> {
    text: &'a str,
    asked: bool,
}

impl Sentence<'_> {
    /// Asks by its punctuation or by how it opens ("how do i ...", "can someone ...").
    fn asks(&self) -> bool {
        self.asked || asks_by_its_opening(self.text)
    }
}

fn sentences(text: &str) -> Vec<Sentence<'_>> {
    let mut sentences = Vec::new();
    let mut start = 0;
    for (position, character) in text.char_indices() {
        if matches!(character, '.' | '?' | '!' | ';' | '\n') {
            let sentence = text[start..position].trim();
            if sentence.chars().any(char::is_alphanumeric) {
                sentences.push(Sentence {
                    text: sentence,
                    asked: character == '?',
                });
            }
            start = position + character.len_utf8();
        }
    }
    let rest = text[start..].trim();
    if rest.chars().any(char::is_alphanumeric) {
        sentences.push(Sentence {
            text: rest,
            asked: false,
        });
    }
    sentences
}

/// "how do i ...", "can someone ...", "is there ...": a sentence that asks by how it opens,
/// whatever its punctuation. Greetings and fillers before the opening are skipped.
fn asks_by_its_opening(sentence: &str) -> bool {
    // The words as typed: "dont want them to be late" is not "do ...".
    let words: Vec<String> = sentence
        .split_whitespace()
        .map(|word| {
            word.chars()
                .filter(|character| character.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        })
        .collect();
    let opening = words.iter().find(|word| {
        !matches!(
            word.as_str(),
            "hi" | "hello"
                | "hey"
                | "so"
                | "ok"
                | "okay"
                | "um"
                | "also"
                | "and"
                | "but"
                | "anyway"
                | "anyways"
                | "please"
                | "quick"
                | "question"
                | "just"
                | "well"
                | "oh"
        )
    });
    opening.is_some_and(|word| {
        matches!(
            word.as_str(),
            "how"
                | "what"
                | "whats"
                | "where"
                | "wheres"
                | "when"
                | "whens"
                | "why"
                | "who"
                | "which"
                | "can"
                | "could"
                | "would"
                | "will"
                | "should"
                | "do"
                | "does"
                | "did"
                | "is"
                | "are"
                | "am"
                | "any"
                | "anything"
                | "need"
                | "want"
                | "looking"
        )
    })
}

/// "homework help", "help filing taxes": the word help with a topic is a question about a
/// service, not a request for the bot's menu. Only the bare request ("help", "can you help me",
/// "what can you do") is.
fn asks_help_with_a_topic(words: &[String]) -> bool {
    let is_help_word = |word: &str| {
        matches!(
            word,
            "help"
                | "me"
                | "please"
                | "need"
                | "want"
                | "do"
                | "does"
                | "this"
                | "work"
                | "commands"
                | "menu"
                | "options"
        )
    };
    words.iter().any(|word| word == "help")
        && words
            .iter()
            .any(|word| !is_help_word(word) && !lexicon::is_stop_word(word))
}

fn help_answer(knowledge: &Knowledge, confidence: f32) -> Answer {
    let text = format!(
        "I answer questions about {}: opening hours and holiday closures (\"is Eastside open on Sunday?\"), events (\"storytime this week?\"), branch addresses and services, and how things work (renewing, holds, cards, printing). If I'm not sure, I pass your question to library staff.",
        knowledge.library.name
    );
    Answer::new(AnswerKind::Smalltalk, Some("help".into()), confidence, text)
}

fn clarify_branch(knowledge: &Knowledge, question: &str) -> Answer {
    let examples: Vec<&str> = knowledge
        .branches
        .iter()
        .take(4)
        .map(|branch| branch.name.as_str())
        .collect();
    let text = format!("{question} For example: {}.", examples.join(", "));
    Answer::new(AnswerKind::Clarify, Some("branch".into()), 0.9, text)
}

fn escalate(knowledge: &Knowledge, branch: Option<&str>, guess: Option<Guess>) -> Answer {
    let staff = branch.and_then(|id| knowledge.branch(id)).map_or_else(
        || "library staff".to_string(),
        |branch| format!("{} staff", branch.name),
    );
    let text =
        format!("I'm not sure about that one, so I'm passing your question to {staff}. A person will reply here.");
    let mut answer = Answer::new(
        AnswerKind::Escalate,
        None,
        guess.as_ref().map_or(0.0, |guess| guess.confidence),
        text,
    );
    answer.guess = guess;
    answer
}

fn branch_answer(branch: &crate::knowledge::Branch, service: Option<&str>, confidence: f32) -> Answer {
    let mut lines = Vec::new();
    if let Some(service) = service {
        let has = branch
            .services
            .iter()
            .any(|offered| offered.eq_ignore_ascii_case(service));
        lines.push(if has {
            format!("Yes, {} has {service}.", branch.name)
        } else {
            format!("{} doesn't list {service} among its services.", branch.name)
        });
    }
    lines.push(format!("{}: {}", branch.name, branch.address));
    lines.push(format!("Phone: {}", branch.phone));
    if let Some(email) = &branch.email {
        lines.push(format!("Email: {email}"));
    }
    if !branch.services.is_empty() {
        lines.push(format!("Services: {}", branch.services.join(", ")));
    }
    if let Some(notes) = &branch.notes {
        lines.push(notes.clone());
    }
    Answer::new(
        AnswerKind::Branch,
        Some(branch.id.clone()),
        confidence,
        lines.join("\n"),
    )
}

/// The words cue detection reads: surface words, except that a lexicon phrase counts as its
/// terms, so "service hours" or "after you close" do not read as questions about opening hours.
/// The words that can name what an hours question asks about: those before its first hours
/// word, or all of them when that word names its subject ("hours for the history room").
/// `None` when no hours word is found.
fn topic_words_of_hours_question(words: &[Word]) -> Option<&[Word]> {
    let position = words.iter().position(|word| {
        matches!(
            word.text.as_str(),
            "open" | "opens" | "opening" | "close" | "closes" | "closing" | "closed" | "hours"
        )
    })?;
    match words.get(position + 1).map(|word| word.text.as_str()) {
        Some("for" | "of") => Some(words),
        _ => Some(&words[..position]),
    }
}

fn cue_tokens(words: &[Word]) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        if !word.text.contains(' ') {
            tokens.push(word.text.clone());
        } else if tokens.last() != Some(&word.term) {
            tokens.push(word.term.clone());
        }
    }
    tokens
}

/// "is east side open tmrw", "are the chinatown and marina branches still open": a branch named
/// right between "is" and "open" is the subject of the hours question, so words before it tell
/// why the patron asks ("gotta drop off overdue dvds"); "is the makerspace at eastside open"
/// asks about the makerspace.
fn branch_is_asked_open(surface: &[String], mentions: &[BranchMention]) -> bool {
    mentions.iter().any(|mention| {
        let mut before = surface[..mention.start].iter().rev().map(String::as_str);
        let verb = match before.next() {
            Some("the") => before.next(),
            word => word,
        };
        let mut after = surface[mention.end..]
            .iter()
            .map(String::as_str)
            .skip_while(|word| matches!(*word, "branch" | "library" | "still" | "even" | "currently"));
        matches!(verb, Some("is" | "are" | "r" | "was"))
            && matches!(after.next(), Some("open" | "opened" | "closed" | "close"))
    })
}

/// "anything at the main library this sat": "anything at" right before a branch's name asks
/// for its events, though "anything at the library for my mom" asks for a service.
fn asks_anything_at_a_branch(surface: &[String], mentions: &[BranchMention]) -> bool {
    mentions.iter().any(|mention| {
        matches!(
            words_before(surface, mention, 3).as_slice(),
            ["at", "anything", ..] | ["the", "at", "anything"]
        )
    })
}

/// Up to `count` surface words before a branch mention, nearest first.
fn words_before<'a>(surface: &'a [String], mention: &BranchMention, count: usize) -> Vec<&'a str> {
    surface[..mention.start]
        .iter()
        .rev()
        .take(count)
        .map(String::as_str)
        .collect()
}

/// The surface words not taken by a branch name, so "oak park" does not read as parking.
fn words_outside(surface: &[String], mentions: &[BranchMention]) -> Vec<String> {
    surface
        .iter()
        .enumerate()
        .filter(|(position, _)| {
            !mentions
                .iter()
                .any(|mention| (mention.start..mention.end).contains(position))
        })
        .map(|(_, word)| word.clone())
        .collect()
}

fn day_of(when: &Option<When>, today: NaiveDate) -> NaiveDate {
    match when {
        Some(When::Day { date, .. }) => *date,
        Some(When::Weekday { next, .. }) => *next,
        Some(When::Range { from, .. }) => *from,
        Some(When::Now) | None => today,
    }
}

fn content_terms(words: &[Word]) -> Vec<String> {
    let mut terms: Vec<String> = words
        .iter()
        .filter(|word| !word.stop)
        .map(|word| word.term.clone())
        .collect();
    terms.sort();
    terms.dedup();
    terms
}

/// Terms that set the context of a question (the library, opening, lateness) rather than its topic.
fn is_context_term(term: &str) -> bool {
    matches!(
        term,
        "hours"
            | "open"
            | "close"
            | "librari"
            | "branch"
            | "late"
            | "earli"
            | "earl"
            | "address"
            | "zip"
            | "zipcod"
            | "street"
            | "build"
            | "locat"
            | "direct"
            | "phone"
            | "number"
            | "call"
            | "email"
            | "contact"
            | "time"
            | "get"
            // "can i still make it to eastside before they close": getting there is why hours matter.
            | "visit"
            // "what services does this branch offer": the branch's details, unless a topic follows.
            | "servic"
            | "offer"
            // "is there a mahjong group anywhere": at any branch, not a topic.
            | "anywher"
            | "everywher"
            // "how many hours", "how much longer": the quantity, not a topic.
            | "mani"
            | "much"
    )
}

fn is_event_word(term: &str) -> bool {
    matches!(
        term,
        "event"
            | "happen"
            | "on"
            | "meet"
            | "meeting"
            | "class"
            | "club"
            | "go"
            | "anyth"
            | "week"
            | "weekend"
            | "next"
            | "upcom"
            | "come"
            // "anything fun happening": what the patron hopes for, not a topic.
            | "fun"
    )
}

/// Words the knowledge base uses, with counts, for typo correction.
fn vocabulary(knowledge: &Knowledge, pipeline: &TextPipeline) -> HashMap<String, u32> {
    let mut counts: HashMap<String, u32> = HashMap::new();
    let concept_words = lexicon::CONCEPTS
        .iter()
        .flat_map(|(concept, words)| std::iter::once(*concept).chain(words.iter().copied()));
    for text in knowledge_texts(knowledge).chain(concept_words) {
        for word in pipeline.surface_words(text) {
            *counts.entry(word).or_default() += 1;
        }
    }
    counts
}

/// Everything the knowledge base says in words: FAQ phrasings, answers and tags, branch names,
/// aliases and services, event titles.
fn knowledge_texts(knowledge: &Knowledge) -> impl Iterator<Item = &str> {
    let faqs = knowledge
        .faqs
        .iter()
        .chain(knowledge.branches.iter().flat_map(|branch| branch.faqs.iter()))
        .flat_map(|faq| {
            [faq.question.as_str(), faq.answer.as_str()]
                .into_iter()
                .chain(faq.variants.iter().map(String::as_str))
                .chain(faq.tags.iter().map(String::as_str))
        });
    let branches = knowledge.branches.iter().flat_map(|branch| {
        std::iter::once(branch.name.as_str())
            .chain(branch.aliases.iter().map(String::as_str))
            .chain(branch.services.iter().map(String::as_str))
    });
    let events = knowledge.events.iter().map(|event| event.title.as_str());
    faqs.chain(branches).chain(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues(message: &str) -> Cues {
        let pipeline = TextPipeline::new(&[]);
        let words = pipeline.words(message);
        Cues::detect(&cue_tokens(&words))
    }

    #[test]
    fn hours_words_inside_other_phrases_are_not_hours_questions() {
        let cases = [
            ("what time do you close today", true),
            ("is eastside open on sunday", true),
            ("hrs for 2 rivers", true),
            ("is there somewhere to leave books at night after you close", false),
            ("where can i return books after hours", false),
            ("my 15 yo needs 20 service hours for school", false),
            ("can i return books when the library is closed", false),
            ("how do i close my library account", false),
            ("close my card because im moving away", false),
            ("can i open an account online", false),
            ("is the library open the day after christmas", true),
            ("are you open", true),
            ("community service hours for school", false),
            ("i can volunteer a few hours a week", false),
            ("can i use a computer for 2 hours", false),
            ("when was the first library opened", false),
            ("how many hours is eastside open on saturday", true),
            ("is it opened yet", true),
            ("my wife works crazy hours, can i renew her books", false),
            ("i work long hours, can someone pick up my holds", false),
            ("whats the hours at eastside, i work nearby", true),
            ("can i use ur wifi from the parking lot after ur closed", false),
            (
                "does your wifi work from the parking lot when the building is closed",
                false,
            ),
            ("libby has been stuck for an hour and wont open the book", false),
            ("is it open the whole day on saturday", true),
            ("are you open the 26th", true),
            ("how much does a page make per hour", false),
            ("im close to the top of the list, can i push it back", false),
            ("need a closed door spot i can book for a call", false),
            ("open seating areas distract me, can i book a small room", false),
            ("is there an open mic night", false),
            ("is the library close to the bus stop", false),
            (
                "the library is always closed when im off, can i drop books off after hours",
                false,
            ),
            ("what time do you close on friday", true),
            ("are you closed on monday", true),
        ];
        for (message, hours) in cases {
            assert_eq!(cues(message).hours, hours, "{message:?}");
        }
    }

    #[test]
    fn someone_else_learning_what_i_borrow() {
        let pipeline = TextPipeline::new(&[]);
        let read =
            |message: &str| who_learns_my_borrowing(&pipeline.surface_words(message)).map(|words| words[0].to_string());
        assert_eq!(
            read("can my husband find out what books i check out").as_deref(),
            Some("husband")
        );
        assert_eq!(read("would my job ever find out what i borrow").as_deref(), Some("job"));
        assert_eq!(
            read("will you tell my parents which books i read").as_deref(),
            Some("parents")
        );
        for own in [
            "how can i see what i checked out",
            "how do i find out what books i have checked out",
            "can someone show me how to check out ebooks",
            "my husband wants to pick up my hold",
        ] {
            assert_eq!(read(own), None, "{own}");
        }
    }

    #[test]
    fn family_collecting_for_the_patron() {
        let pipeline = TextPipeline::new(&[]);
        let read = |message: &str| someone_collects_for_me(&pipeline.surface_words(message)).map(str::to_string);
        assert_eq!(read("can my daughter pick up my holds").as_deref(), Some("daughter"));
        assert_eq!(read("could my mom grab the books i requested").as_deref(), Some("mom"));
        assert_eq!(read("can i pick up holds for my mom"), None);
        assert_eq!(read("my son wants to get a card"), None);
        assert_eq!(read("can my husband grab my holds for me").as_deref(), Some("husband"));
        assert_eq!(
            read("im home sick, can my neighbor go get the books i requested").as_deref(),
            Some("neighbor")
        );
        assert_eq!(
            read("my husband is going to grab my holds on his way home").as_deref(),
            Some("husband")
        );
        assert_eq!(read("my wife works nights, can i get my holds later"), None);
    }

    #[test]
    fn a_message_the_patron_got_is_news_unless_it_never_came() {
        let pipeline = TextPipeline::new(&[]);
        let read = |message: &str| {
            received_messages(&pipeline.surface_words(message))
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(read("got a text that my book is in, where do i find it"), ["text"]);
        assert_eq!(read("i just received an email saying my card expires"), ["email"]);
        assert!(read("i never got a text that my hold was ready").is_empty());
        assert!(read("will i get a text when my hold is ready").is_empty());
    }

    #[test]
    fn a_damaged_card_is_not_a_damaged_item() {
        let pipeline = TextPipeline::new(&[]);
        let read = |message: &str| card_is_damaged(&pipeline.surface_words(message), &pipeline);
        assert!(read("my puppy chewed up my library card"));
        assert!(read("my card got damaged in the wash"));
        assert!(!read("my dog chewed a library book"));
        assert!(!read("i damaged a dvd, will it go on my card"));
    }

    #[test]
    fn being_shown_how_is_learning() {
        let pipeline = TextPipeline::new(&[]);
        let read = |message: &str| shown_how(&pipeline.surface_words(message)).map(str::to_string);
        assert_eq!(
            read("can sum1 show my grandma how to use her ipad").as_deref(),
            Some("show")
        );
        assert_eq!(read("could someone teach me how email works").as_deref(), Some("teach"));
        assert_eq!(read("do i have to show my id to pick up a hold"), None);
        assert_eq!(read("how do i show my digital card"), None);
    }

    #[test]
    fn the_branchs_contact_details_not_the_patrons() {
        let cases = [
            ("whats ur phone number", true),
            ("email for eastside", true),
            ("phone?", true),
            ("how do i contact the branch", true),
            ("left my card at home, can i just show something on my phone", false),
            (
                "is there a way to scan my tax papers and email them to myself here",
                false,
            ),
            ("can i get notices by email instead", false),
            ("i got a new phone, how do i get the app", false),
            ("whats the number for eastside", true),
            ("what can i do to get a new number", false),
            ("forgot my pin number", false),
            ("whats my card number", false),
        ];
        for (message, branch_info) in cases {
            assert_eq!(cues(message).branch_info, branch_info, "{message:?}");
        }
    }

    #[test]
    fn event_wording() {
        let cases = [
            ("whats on at central this saturday", true),
            ("what's happening this week", true),
            ("is there a book club at eastside", true),
            ("my hold came in on tuesday, whats the last day i can grab it", false),
            ("can i get more time on my books", false),
            ("whats on my card right now", false),
            ("anything for teens at westport this wed", true),
            ("grandkids visiting saturday, anything for them at bayview", true),
            (
                "want to compare fridges before i buy one, does the library have anything for that",
                false,
            ),
            ("whats going on this weekend", true),
            ("are library workers going on strike in january", false),
        ];
        for (message, events) in cases {
            assert_eq!(cues(message).events, events, "{message:?}");
        }
    }

    #[test]
    fn next_asks_for_the_calendar_unless_it_means_someone_or_somewhere() {
        let cases = [
            ("when is the next lego club", true),
            ("anything next week", true),
            ("how can i be the next person to get this book", false),
            ("am i next in line yet", false),
            ("is there parking next to the library", false),
        ];
        for (message, next) in cases {
            assert_eq!(cues(message).next, next, "{message:?}");
        }
    }

    #[test]
    fn help_with_a_topic_is_not_a_menu_request() {
        let knowledge = {
            let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
            crate::knowledge::load_dir(&directory).expect("bundled knowledge").0
        };
        let pipeline = TextPipeline::new(&[]);
        let cases = [
            ("help", true),
            ("help me please", true),
            ("can you help me", true),
            ("what can you do", true),
            ("homework help", false),
            ("help filing taxes", false),
            ("resume help", false),
            ("computer help for seniors", false),
            ("what kind of stuff gets people banned there", false),
            ("what kind of stuff can you do", true),
        ];
        for (message, menu) in cases {
            let answer = smalltalk(&pipeline.surface_words(message), message.contains('?'), &knowledge);
            assert_eq!(
                answer.is_some_and(|answer| answer.label() == "smalltalk:help"),
                menu,
                "{message:?}"
            );
        }
    }

    #[test]
    fn advice_and_incidents_need_a_person() {
        let cases = [
            ("the county is cutting the library budget, will branches close", true),
            ("my daughter has a peanut allergy, are there snacks at storytime", true),
            ("how do i renew my books", false),
            ("the guard was rude to my son", true),
            ("can you waive my fine this once", true),
            ("how do i pay my fine", false),
            (
                "can u recommend a mystery for my mom, she loved the thursday murder club",
                true,
            ),
            ("do you have any books about the cannery strike", true),
            ("theres a book the library should have, how do i recommend it", false),
            (
                "he just finished harry potter, what fantasy series should he try next",
                true,
            ),
            (
                "my passport application still hasnt come, can you check with the state department",
                true,
            ),
            ("my 3d print from 3 weeks ago still isnt ready, whats the status", true),
            ("which of the mayor candidates wants to fund libraries", true),
            ("how long does a passport application take", false),
            ("my interlibrary loan request number 55817, has it shipped yet", true),
            ("theres a charge for a hotspot i never borrowed", true),
            ("they said theyd call me back about my museum pass and never did", true),
            ("the charge is still there, can someone check what happened", true),
            ("how do i get a book from another library", false),
            (
                "asked for a book 6 weeks ago and heard nothing, can u check on my request",
                true,
            ),
            ("the copy machine ate my $5 bill", true),
            (
                "theres water dripping from the ceiling onto the kids computers right now",
                true,
            ),
            ("someone passed out in the bathroom", true),
            ("i think someone else used my card, can you look into it", true),
            ("is my 3d print done yet", true),
            ("the only copy is checked out, can u tell me when its due back", true),
            ("when are my books due back", false),
            ("could you make an exception and give me one extra week", true),
            ("she has read all the cat who books, what should i get her next", true),
            ("can i use the kids computers", false),
            ("the guard yelled at my son for no reason", true),
            ("can i bring my coffee in, or will i get yelled at", false),
            (
                "what are the librarians here reading lately? i'd love a personal pick",
                true,
            ),
            ("is the library closing down for good", true),
            ("i'd like my card shut down before i move", false),
        ];
        for (message, needs_person) in cases {
            assert_eq!(cues(message).needs_person, needs_person, "{message:?}");
        }
    }
}
