//! Opening-hours answers: one branch on one day, right now, a weekday in
//! general, a range of days, or every branch at once.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::answer::{Answer, AnswerKind};
use super::dates::When;
use crate::knowledge::{Branch, DayHours, Knowledge};

/// How far ahead "when does it next open" looks (a long renovation closure fits).
const NEXT_OPENING_HORIZON_DAYS: u64 = 120;

/// What an hours question asks about.
pub struct HoursRequest {
    pub when: Option<When>,
    /// A clock time the patron named ("at 7pm").
    pub time: Option<NaiveTime>,
    pub now: NaiveDateTime,
}

/// Ranges up to this many days are answered day by day; longer ones as the weekly hours and
/// the days that differ.
const LONGEST_DAY_BY_DAY_RANGE: i64 = 14;

pub fn branch_hours(knowledge: &Knowledge, branch: &Branch, request: &HoursRequest, confidence: f32) -> Answer {
    let today = request.now.date();
    let mut answer = Answer::new(AnswerKind::Hours, Some(branch.id.clone()), confidence, String::new());
    let name = &branch.name;
    match &request.when {
        Some(When::Now) => {
            answer.date = Some(today);
            let (open, text) = open_now_sentence(knowledge, branch, request.now);
            answer.open = Some(open);
            answer.text = text;
        }
        Some(When::Day { date, .. }) => {
            answer.date = Some(*date);
            let (hours, _) = knowledge.hours_on(branch, *date);
            match request.time {
                Some(time) => {
                    // The contract's `open` is about the day unless the question is about this
                    // minute; the text answers the time asked.
                    let open_then = hours.range_at(time).is_some();
                    answer.open = Some(!hours.is_closed());
                    let verdict = if open_then { "open" } else { "closed" };
                    answer.text = format!(
                        "{name} is {verdict} at {} {}. {}",
                        format_time(time),
                        format_date(*date, today),
                        day_sentence(knowledge, branch, *date, today)
                    );
                }
                None => {
                    answer.open = Some(!hours.is_closed());
                    answer.text = day_sentence(knowledge, branch, *date, today);
                }
            }
            if *date == today && request.time.is_none() {
                answer.text.push(' ');
                answer
                    .text
                    .push_str(&open_now_sentence(knowledge, branch, request.now).1);
            } else if knowledge.hours_on(branch, *date).0.is_closed() {
                append_next_opening(
                    &mut answer.text,
                    knowledge,
                    branch,
                    date.and_time(NaiveTime::MIN),
                    request.now,
                );
            }
        }
        Some(When::Weekday { weekday, next, plural }) => {
            answer.date = Some(*next);
            let (hours_then, exception) = knowledge.hours_on(branch, *next);
            let regular = branch.hours.on(*weekday);
            if *plural {
                answer.open = Some(!regular.is_closed());
                answer.text = format!("{name} is {} on {}s.", describe_hours(regular), weekday_name(*weekday));
                if exception.is_some() {
                    answer.text.push_str(&format!(
                        " This week is different: {}",
                        day_sentence(knowledge, branch, *next, today)
                    ));
                }
            } else {
                let open_then = match request.time {
                    Some(time) => hours_then.range_at(time).is_some(),
                    None => !hours_then.is_closed(),
                };
                answer.open = Some(!hours_then.is_closed());
                answer.text = match request.time {
                    Some(time) => format!(
                        "{name} is {} at {} {}. {}",
                        if open_then { "open" } else { "closed" },
                        format_time(time),
                        format_date(*next, today),
                        day_sentence(knowledge, branch, *next, today)
                    ),
                    None => day_sentence(knowledge, branch, *next, today),
                };
                if hours_then.is_closed() {
                    append_next_opening(
                        &mut answer.text,
                        knowledge,
                        branch,
                        next.and_time(NaiveTime::MIN),
                        request.now,
                    );
                }
            }
        }
        Some(When::Range { from, to }) => {
            answer.date = Some(*from);
            let mut lines = Vec::new();
            let mut any_open = false;
            let mut day = *from;
            while day <= *to {
                let (hours, _) = knowledge.hours_on(branch, day);
                any_open |= !hours.is_closed();
                lines.push(format!("- {}", day_line(knowledge, branch, day, today)));
                day = day + Days::new(1);
            }
            answer.open = Some(any_open);
            answer.text = if (*to - *from).num_days() < LONGEST_DAY_BY_DAY_RANGE {
                format!("{name} hours:\n{}", lines.join("\n"))
            } else {
                // "open in january": a month of lines hides what matters; the weekly hours and
                // the days that differ say the same.
                let changes = exception_lines(knowledge, branch, *from, *to, today);
                let changes = if changes.is_empty() {
                    "No holidays or closures change them in that time.".to_string()
                } else {
                    format!("Except:\n{}", changes.join("\n"))
                };
                format!(
                    "{name} from {} to {}:\n{}\n{changes}",
                    format_date(*from, today).trim_start_matches("on "),
                    format_date(*to, today).trim_start_matches("on "),
                    weekly_table(branch)
                )
            };
        }
        None => {
            answer.date = Some(today);
            let (hours, _) = knowledge.hours_on(branch, today);
            answer.open = Some(!hours.is_closed());
            answer.text = format!(
                "{} {}\n\nRegular hours:\n{}{}",
                day_sentence(knowledge, branch, today, today),
                open_now_sentence(knowledge, branch, request.now).1,
                weekly_table(branch),
                upcoming_changes(knowledge, branch, today)
            );
        }
    }
    answer
}

/// Every branch on one day (`hours:all`).
pub fn all_branches_hours(knowledge: &Knowledge, date: NaiveDate, today: NaiveDate, confidence: f32) -> Answer {
    let mut open_lines = Vec::new();
    let mut closed = Vec::new();
    for branch in &knowledge.branches {
        let (hours, _) = knowledge.hours_on(branch, date);
        if hours.is_closed() {
            closed.push(branch.name.clone());
        } else {
            open_lines.push(format!("- {}: {}", branch.name, format_ranges(&hours)));
        }
    }
    let mut text = if open_lines.is_empty() {
        format!("No branch is open {}.", format_date(date, today))
    } else {
        format!("Open {}:\n{}", format_date(date, today), open_lines.join("\n"))
    };
    if !closed.is_empty() && !open_lines.is_empty() {
        text.push_str(&format!("\nClosed: {}.", closed.join(", ")));
    }
    let mut answer = Answer::new(AnswerKind::Hours, Some("all".to_string()), confidence, text);
    answer.date = Some(date);
    answer
}

/// Whether the branch is open at `now`, and a sentence saying so and what comes next.
pub fn open_now_sentence(knowledge: &Knowledge, branch: &Branch, now: NaiveDateTime) -> (bool, String) {
    let (hours, _) = knowledge.hours_on(branch, now.date());
    if let Some(range) = hours.range_at(now.time()) {
        return (
            true,
            format!("{} is open now, until {}.", branch.name, format_time(range.close)),
        );
    }
    let mut text = format!("{} is closed right now.", branch.name);
    match next_opening(knowledge, branch, now) {
        Some(next) => text.push_str(&format!(" It opens {}.", format_moment(next, now))),
        None => text.push_str(" No opening is scheduled in the coming months."),
    }
    (false, text)
}

/// The first opening time strictly after `after`.
pub fn next_opening(knowledge: &Knowledge, branch: &Branch, after: NaiveDateTime) -> Option<NaiveDateTime> {
    let mut day = after.date();
    for _ in 0..NEXT_OPENING_HORIZON_DAYS {
        let (hours, _) = knowledge.hours_on(branch, day);
        for range in &hours.ranges {
            let opening = day.and_time(range.open);
            if opening > after {
                return Some(opening);
            }
        }
        day = day.checked_add_days(Days::new(1))?;
    }
    None
}

/// " It next opens ..." after the closed day asked about; "today" and "tomorrow" are the
/// patron's (`now`), not the asked day's.
fn append_next_opening(
    text: &mut String,
    knowledge: &Knowledge,
    branch: &Branch,
    after: NaiveDateTime,
    now: NaiveDateTime,
) {
    if let Some(next) = next_opening(knowledge, branch, after) {
        text.push_str(&format!(" It next opens {}.", format_moment(next, now)));
    }
}

/// "Eastside Branch is open 10:00 am to 8:00 pm on Tuesday, December 1." with any exception's reason.
fn day_sentence(knowledge: &Knowledge, branch: &Branch, date: NaiveDate, today: NaiveDate) -> String {
    let (hours, exception) = knowledge.hours_on(branch, date);
    let when = format_date(date, today);
    let reason = exception.and_then(|exception| exception.reason.as_deref());
    if hours.is_closed() {
        match reason {
            Some(reason) => format!("{} is closed {when}: {}.", branch.name, reason.trim_end_matches('.')),
            None => format!("{} is closed {when}.", branch.name),
        }
    } else {
        let base = format!("{} is open {} {when}", branch.name, format_ranges(&hours));
        match reason {
            Some(reason) => format!("{base} ({}).", reason.trim_end_matches('.')),
            None => format!("{base}."),
        }
    }
}

fn day_line(knowledge: &Knowledge, branch: &Branch, date: NaiveDate, today: NaiveDate) -> String {
    let (hours, exception) = knowledge.hours_on(branch, date);
    let reason = exception
        .and_then(|exception| exception.reason.as_deref())
        .map(|reason| format!(" ({})", reason.trim_end_matches('.')))
        .unwrap_or_default();
    format!(
        "{}: {}{reason}",
        capitalise(&format_date(date, today)),
        describe_hours(&hours)
    )
}

fn weekly_table(branch: &Branch) -> String {
    let days = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    days.iter()
        .map(|day| {
            format!(
                "- {}: {}",
                &weekday_name(*day)[..3],
                describe_hours(branch.hours.on(*day))
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Exceptions in the next two weeks, so "what are the hours" warns about a coming closure.
/// One line per day from `from` to `to` whose hours an exception changes.
fn exception_lines(
    knowledge: &Knowledge,
    branch: &Branch,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Vec<String> {
    from.iter_days()
        .take_while(|day| *day <= to)
        .filter(|day| knowledge.hours_on(branch, *day).1.is_some())
        .map(|day| format!("- {}", day_line(knowledge, branch, day, today)))
        .collect()
}

fn upcoming_changes(knowledge: &Knowledge, branch: &Branch, today: NaiveDate) -> String {
    let lines = exception_lines(knowledge, branch, today + Days::new(1), today + Days::new(14), today);
    if lines.is_empty() {
        String::new()
    } else {
        format!("\n\nComing up:\n{}", lines.join("\n"))
    }
}

fn describe_hours(hours: &DayHours) -> String {
    if hours.is_closed() {
        "closed".to_string()
    } else {
        format_ranges(hours)
    }
}

pub fn format_ranges(hours: &DayHours) -> String {
    hours
        .ranges
        .iter()
        .map(|range| format!("{} to {}", format_time(range.open), format_time(range.close)))
        .collect::<Vec<_>>()
        .join(" and ")
}

pub fn format_time(time: NaiveTime) -> String {
    if time == NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN) {
        return "noon".to_string();
    }
    time.format("%-I:%M %P").to_string()
}

/// "today", "tomorrow", or "on Tuesday, December 15".
pub fn format_date(date: NaiveDate, today: NaiveDate) -> String {
    if date == today {
        "today".to_string()
    } else if Some(date) == today.succ_opt() {
        format!("tomorrow ({})", date.format("%A, %B %-d"))
    } else if date.year() == today.year() || date < today + Days::new(180) {
        format!("on {}", date.format("%A, %B %-d"))
    } else {
        format!("on {}", date.format("%A, %B %-d, %Y"))
    }
}

fn format_moment(moment: NaiveDateTime, now: NaiveDateTime) -> String {
    let time = format_time(moment.time());
    if moment.date() == now.date() {
        format!("today at {time}")
    } else if Some(moment.date()) == now.date().succ_opt() {
        format!("tomorrow at {time}")
    } else {
        format!("{} at {time}", format_date(moment.date(), now.date()))
    }
}

pub fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn capitalise(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}
