//! Event answers: what's on at a branch, on a day or in a range, by topic,
//! and the next occurrence of a series, leaving out days a branch is closed.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, NaiveDateTime};

use super::answer::{Answer, AnswerKind};
use super::hours::{format_date, format_ranges, format_time};
use super::text::TextPipeline;
use crate::knowledge::{DayHours, Event, Knowledge};

/// How far ahead a topic question ("when is the next lego club") looks.
const TOPIC_HORIZON_DAYS: u64 = 90;
/// How far ahead a question with no day ("what's on at eastside") looks.
const DEFAULT_HORIZON_DAYS: u64 = 7;
/// At most this many occurrences are listed in one answer.
const MAX_LISTED: usize = 8;

/// Event titles, audiences and descriptions as terms, to match topics.
pub struct EventIndex {
    /// Per event: title terms (strong) and audience/description terms (weak).
    entries: Vec<(Vec<String>, Vec<String>)>,
    /// Per event: the names patrons may use for it: the whole title, and the part after a colon
    /// or in quotes ("Hidden Figures" in `Black History Month Film: "Hidden Figures"`).
    names: Vec<Vec<Vec<String>>>,
    idf: HashMap<String, f32>,
}

#[derive(Clone, Copy)]
pub struct EventRequest<'a> {
    pub branch: Option<&'a str>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Query terms describing the topic; empty for "anything".
    pub topic: &'a [String],
    /// Whether the patron named the days (otherwise the range is a default horizon).
    pub days_named: bool,
}

impl EventIndex {
    pub fn build(knowledge: &Knowledge, pipeline: &TextPipeline) -> Self {
        let terms_of = |text: &str| -> Vec<String> {
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
        let entries: Vec<(Vec<String>, Vec<String>)> = knowledge
            .events
            .iter()
            .map(|event| {
                let weak = format!(
                    "{} {}",
                    event.audience.as_deref().unwrap_or(""),
                    event.description.as_deref().unwrap_or("")
                );
                let mut weak = terms_of(&weak);
                weak.extend(audience_terms(event.audience.as_deref().unwrap_or("")).map(str::to_owned));
                weak.sort();
                weak.dedup();
                let mut title = terms_of(&event.title);
                // Patrons call a knitting circle a knitting group; only in event titles, because
                // elsewhere a group is a study group or a class visit.
                if title.iter().any(|term| term == "circl") {
                    title.push("group".to_string());
                    title.sort();
                }
                (title, weak)
            })
            .collect();
        let names = knowledge
            .events
            .iter()
            .zip(&entries)
            .map(|(event, (title, _))| {
                let mut names = vec![title.clone()];
                let quoted = event.title.split('"').skip(1).step_by(2);
                let after_colon = event.title.rsplit_once(':').map(|(_, rest)| rest);
                for part in quoted.chain(after_colon) {
                    let terms = terms_of(part);
                    if !terms.is_empty() && !names.contains(&terms) {
                        names.push(terms);
                    }
                }
                names
            })
            .collect();
        let mut frequency: HashMap<String, u32> = HashMap::new();
        for (title, _) in &entries {
            for term in title {
                *frequency.entry(term.clone()).or_default() += 1;
            }
        }
        let count = entries.len().max(1) as f32;
        let idf = frequency
            .into_iter()
            .map(|(term, df)| (term, (count / df as f32).ln() + 1.0))
            .collect();
        EventIndex { entries, names, idf }
    }

    /// Whether some event's title uses this term.
    pub fn titles_use(&self, term: &str) -> bool {
        self.idf.contains_key(term)
    }

    /// How well `topic` names some event title: the share of the topic's weight found in the best title (0..1).
    /// Terms no title uses weigh as much as a rare title word, so "book" alone does not make a question about events.
    pub fn topic_strength(&self, topic: &[String], branch: Option<&str>, knowledge: &Knowledge) -> f32 {
        let unseen = self.idf.values().copied().fold(1.0_f32, f32::max);
        let weight = |term: &String| self.idf.get(term).copied().unwrap_or(unseen);
        let total: f32 = topic.iter().map(weight).sum();
        if total <= 0.0 {
            return 0.0;
        }
        self.entries
            .iter()
            .zip(&knowledge.events)
            .filter(|(_, event)| branch.is_none() || event.branch.as_deref() == branch)
            .map(|((title, _), _)| {
                topic
                    .iter()
                    .filter(|term| title.contains(term))
                    .map(weight)
                    .sum::<f32>()
                    / total
            })
            .fold(0.0, f32::max)
    }

    /// How well `topic` and some event title name the same thing: the harmonic mean of the share
    /// of the topic's weight the title explains and the share of the title's weight the topic
    /// restates (0..1). "card" explains itself with "Holiday Card Making" but restates a third of
    /// it, so it is weak evidence of an events question; "lego" restates "LEGO Club". Title words
    /// for which `ignore` holds (generic event words such as "club") count on neither side.
    pub fn topic_fit(&self, topic: &[String], ignore: impl Fn(&str) -> bool) -> f32 {
        let unseen = self.idf.values().copied().fold(1.0_f32, f32::max);
        let weight = |term: &String| self.idf.get(term).copied().unwrap_or(unseen);
        let total: f32 = topic.iter().map(weight).sum();
        if total <= 0.0 {
            return 0.0;
        }
        self.names
            .iter()
            .flatten()
            .map(|title| {
                let title_weight: f32 = title.iter().filter(|term| !ignore(term)).map(weight).sum();
                let found: f32 = topic.iter().filter(|term| title.contains(term)).map(weight).sum();
                if found <= 0.0 || title_weight <= 0.0 {
                    return 0.0;
                }
                let coverage = found / total;
                let recall = (found / title_weight).min(1.0);
                2.0 * coverage * recall / (coverage + recall)
            })
            .fold(0.0, f32::max)
    }

    /// The words of the topic that name what the patron wants. "Lego club for my son": lego is
    /// the subject and son only says who it is for, so a Baby Lapsit (a child's event) is not a
    /// match. Audience words are the topic only when nothing else names an event at the branch.
    fn subject_of(&self, knowledge: &Knowledge, request: &EventRequest<'_>) -> Vec<String> {
        let subject: Vec<String> = request
            .topic
            .iter()
            .filter(|term| !is_audience_term(term))
            .cloned()
            .collect();
        let names_an_event = !subject.is_empty()
            && knowledge.events.iter().enumerate().any(|(index, event)| {
                (request.branch.is_none() || event.branch.as_deref() == request.branch)
                    && self.names_in_title(index, &subject)
            });
        if names_an_event {
            subject
        } else {
            request.topic.to_vec()
        }
    }

    /// Whether a topic word is in the event's title. A word only its description uses
    /// ("friendly" for "cousins are in town") is too weak to stand for what the patron wants.
    fn names_in_title(&self, index: usize, topic: &[String]) -> bool {
        let (title, _) = &self.entries[index];
        topic.iter().any(|term| title.contains(term))
    }

    /// How well one event matches the topic: title terms count fully, audience and description half.
    fn relevance(&self, index: usize, topic: &[String]) -> f32 {
        let (title, weak) = &self.entries[index];
        topic
            .iter()
            .map(|term| {
                let weight = self.idf.get(term).copied().unwrap_or(1.0);
                // Who an event is for is said in its audience ("Ages 1-3"), so there an
                // audience word counts as much as in the title.
                if title.contains(term) || (is_audience_term(term) && weak.contains(term)) {
                    weight
                } else if weak.contains(term) {
                    weight * 0.4
                } else {
                    0.0
                }
            })
            .sum()
    }

    pub fn answer(
        &self,
        knowledge: &Knowledge,
        request: &EventRequest<'_>,
        now: NaiveDateTime,
        confidence: f32,
    ) -> Answer {
        let today = now.date();
        let answer = self.answer_in_range(knowledge, request, now, confidence);
        let nothing_then = found_nothing(&answer);
        if !(nothing_then && request.days_named && !request.topic.is_empty()) {
            return answer;
        }
        // Nothing on the day asked about: say so and give the next occurrences instead, from
        // today, because the day may have been misread ("valentine crafts" is not asking about
        // February 14) or the event may come before it.
        let later = EventRequest {
            from: today,
            days_named: false,
            ..*request
        };
        let mut fallback = self.answer_in_range(knowledge, &later, now, confidence);
        if found_nothing(&fallback) {
            // "central library thursday events? im free after 5": nothing anywhere matches the
            // other words, so they did not name an event; everything on the day asked is the answer.
            let everything = EventRequest { topic: &[], ..*request };
            let mut everything_then = self.answer_in_range(knowledge, &everything, now, confidence);
            if found_nothing(&everything_then) {
                return answer;
            }
            everything_then.text = format!(
                "Nothing matching exactly; everything {}:\n{}",
                format_date(request.from, today),
                everything_then.text
            );
            return everything_then;
        }
        fallback.text = format!(
            "Nothing matching {}. {}",
            format_span(request.from, request.to, today),
            fallback.text
        );
        // The answer covers both the days asked about and the later occurrences it lists.
        fallback.from = Some(today.min(request.from));
        fallback.to = fallback.to.max(Some(request.to));
        fallback
    }

    fn answer_in_range(
        &self,
        knowledge: &Knowledge,
        request: &EventRequest<'_>,
        now: NaiveDateTime,
        confidence: f32,
    ) -> Answer {
        let today = now.date();
        let topic = self.subject_of(knowledge, request);
        let topical = !topic.is_empty();
        let to = if request.days_named {
            request.to
        } else if topical {
            request.from + Days::new(TOPIC_HORIZON_DAYS)
        } else {
            request.from + Days::new(DEFAULT_HORIZON_DAYS - 1)
        };
        // Each event's relevance once, 0 outside the branch asked about.
        let relevances: Vec<f32> = knowledge
            .events
            .iter()
            .enumerate()
            .map(|(index, event)| {
                if request.branch.is_some() && event.branch.as_deref() != request.branch {
                    0.0
                } else if topical {
                    self.relevance(index, &topic)
                } else {
                    1.0
                }
            })
            .collect();
        // "When is the author talk about the winter orchard", asked after the talk: the talk is
        // the match, and the Winter Book Sale, which shares one word with it, is not.
        let mut best_relevance = if topical && !request.days_named {
            relevances.iter().copied().fold(0.0_f32, f32::max)
        } else {
            0.0
        };
        let mut found: Vec<(NaiveDateTime, usize, f32)> = Vec::new();
        for (index, event) in knowledge.events.iter().enumerate() {
            let relevance = relevances[index];
            if relevance <= 0.0 {
                continue;
            }
            for occurrence in &event.occurrences {
                let date = occurrence.date();
                if date < request.from || date > to || !is_announced(knowledge, event, date) {
                    continue;
                }
                // Today's events that are already over are not worth listing.
                let end = *occurrence + event.duration.unwrap_or_default();
                if !event.all_day && end < now {
                    continue;
                }
                best_relevance = best_relevance.max(relevance);
                found.push((*occurrence, index, relevance));
            }
        }
        // Keep only the events that match the topic about as well as the best one.
        found.retain(|(_, _, relevance)| *relevance >= best_relevance * 0.6);
        found.sort_by_key(|(start, index, _)| (*start, *index));
        if topical && !request.days_named {
            // "When is the next lego club": each series once, at its next occurrence, then more if room.
            let mut seen = Vec::new();
            let mut firsts = Vec::new();
            let mut rest = Vec::new();
            for item in found {
                let title = &knowledge.events[item.1].title;
                let key = (title.clone(), knowledge.events[item.1].branch.clone());
                if seen.contains(&key) {
                    rest.push(item);
                } else {
                    seen.push(key);
                    firsts.push(item);
                }
            }
            firsts.extend(rest);
            firsts.truncate(MAX_LISTED);
            firsts.sort_by_key(|(start, index, _)| (*start, *index));
            found = firsts;
        }
        let where_name = match request.branch.and_then(|id| knowledge.branch(id)) {
            Some(branch) => format!("at {}", branch.name),
            None => "across the library".to_string(),
        };
        let target = request.branch.map_or_else(|| "all".to_string(), str::to_owned);
        let shown_to = if topical && !request.days_named {
            found.last().map_or(to, |(start, _, _)| start.date())
        } else {
            to
        };
        let text = if found.is_empty() {
            let when = format_span(request.from, to, today);
            format!(
                "{NOTHING_FOUND} {} {where_name} {when}.",
                if topical { "a matching event" } else { "any events" },
            )
        } else {
            // "...and 1 more" hides what one more line would show.
            let listed = if found.len() <= MAX_LISTED + 2 {
                found.len()
            } else {
                MAX_LISTED
            };
            let more = found.len() - listed;
            let lines: Vec<String> = found
                .iter()
                .take(listed)
                .map(|(start, index, _)| {
                    describe_occurrence(
                        knowledge,
                        &knowledge.events[*index],
                        *start,
                        today,
                        request.branch.is_none(),
                    )
                })
                .collect();
            let mut text = format!("Events {where_name}:\n{}", lines.join("\n"));
            if more > 0 {
                text.push_str(&format!("\n...and {more} more."));
            }
            text
        };
        let mut answer = Answer::new(AnswerKind::Events, Some(target), confidence, text);
        answer.from = Some(request.from);
        answer.to = Some(shown_to.max(request.from));
        answer
    }
}

/// Terms that say who an event is for rather than what it is.
pub fn is_audience_term(term: &str) -> bool {
    matches!(term, "child" | "teen" | "adult" | "elder" | "famili")
}

/// The audience words an event's audience line stands for: "Ages 1-3" is for children, "Teens
/// 12-18" for teens, "All ages" for everyone.
fn audience_terms(audience: &str) -> impl Iterator<Item = &'static str> {
    let audience = audience.to_lowercase();
    let mut terms: Vec<&'static str> = Vec::new();
    if audience.contains("all ages") || audience.contains("famil") {
        terms.extend(["child", "teen", "adult", "elder", "famili"]);
    }
    if audience.contains("teen") {
        terms.push("teen");
    }
    if audience.contains("adult") {
        terms.push("adult");
    }
    if audience.contains("senior") || audience.contains("older") {
        terms.push("elder");
    }
    if audience.contains("grade")
        || audience.contains("month")
        || audience.contains("kid")
        || audience.contains("child")
    {
        terms.push("child");
    }
    // "Ages 6-12", "Ages 8-14": children under 13, teens from 13.
    let ages: Vec<u32> = audience
        .split(|character: char| !character.is_ascii_digit())
        .filter_map(|number| number.parse().ok())
        .collect();
    if audience.contains("age") && !audience.contains("month") && !ages.is_empty() {
        if ages.iter().any(|&age| age < 13) {
            terms.push("child");
        }
        if ages.iter().any(|&age| age >= 13) {
            terms.push("teen");
        }
    }
    terms.into_iter()
}

/// An occurrence is announced unless its branch is closed that day.
pub fn is_announced(knowledge: &Knowledge, event: &Event, date: NaiveDate) -> bool {
    match event.branch.as_deref().and_then(|id| knowledge.branch(id)) {
        Some(branch) => !knowledge.hours_on(branch, date).0.is_closed(),
        None => true,
    }
}

/// The branch's hours on an occurrence's day when the branch opens that day but not at the
/// time the occurrence starts: a program before opening, or after an early holiday closing.
/// The format page hides only closed days, so such an occurrence is still announced, with the
/// day's hours beside it for the patron to check before going.
pub fn hours_if_starting_while_closed(knowledge: &Knowledge, event: &Event, start: NaiveDateTime) -> Option<DayHours> {
    if event.all_day {
        return None;
    }
    let branch = event.branch.as_deref().and_then(|id| knowledge.branch(id))?;
    let (hours, _) = knowledge.hours_on(branch, start.date());
    (!hours.is_closed() && hours.range_at(start.time()).is_none()).then_some(hours)
}

/// "on Monday, March 1", or "between March 1 and March 31" for several days.
fn format_span(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> String {
    if from == to {
        format_date(to, today)
    } else {
        format!("between {} and {}", from.format("%B %-d"), to.format("%B %-d"))
    }
}

fn describe_occurrence(
    knowledge: &Knowledge,
    event: &Event,
    start: NaiveDateTime,
    today: NaiveDate,
    with_branch: bool,
) -> String {
    let when = if event.all_day {
        format_date(start.date(), today)
    } else {
        let mut time = format_time(start.time());
        if let Some(duration) = event.duration {
            time = format!("{time} to {}", format_time((start + duration).time()));
        }
        format!("{}, {time}", format_date(start.date(), today))
    };
    let mut line = format!("- {}: {}", event.title, when.trim_start_matches("on "));
    if with_branch && let Some(branch) = event.branch.as_deref().and_then(|id| knowledge.branch(id)) {
        line.push_str(&format!(" at {}", branch.name));
    }
    if let Some(audience) = &event.audience {
        line.push_str(&format!(" ({audience})"));
    }
    if let Some(hours) = hours_if_starting_while_closed(knowledge, event, start) {
        line.push_str(&format!(
            "; the branch itself is open {} that day",
            format_ranges(&hours)
        ));
    }
    if let Some(link) = &event.link {
        line.push_str(&format!(" {link}"));
    }
    line
}

/// How an answer that lists no event begins.
const NOTHING_FOUND: &str = "I don't see";

/// Whether an events answer found nothing to list.
pub fn found_nothing(answer: &Answer) -> bool {
    answer.text.starts_with(NOTHING_FOUND)
}

#[cfg(test)]
mod tests {
    use super::audience_terms;

    #[test]
    fn audience_lines_name_who_an_event_is_for() {
        let terms = |audience: &str| audience_terms(audience).collect::<Vec<_>>();
        assert_eq!(terms("Ages 1-3"), ["child"]);
        assert_eq!(terms("Ages 0-18 months"), ["child"]);
        assert_eq!(terms("Ages 8-14"), ["child", "teen"]);
        assert_eq!(terms("Teens 12-18"), ["teen"]);
        assert_eq!(terms("Adults"), ["adult"]);
        assert!(terms("All ages").contains(&"child"));
        assert!(terms("").is_empty());
    }
}
