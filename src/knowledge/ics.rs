//! iCalendar (`events/*.ics`) exports read into events.
//!
//! Parsing (line unfolding, properties, parameters, escapes) is the
//! `icalendar` crate's; recurrence (RRULE, EXDATE, TZID) is the `rrule`
//! crate's. This module only maps VEVENTs onto `Event` and assigns branches.

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use icalendar::parser::{self, Component, Property, unfold};

use super::{Branch, Diagnostic, Event, Origin};

/// Upper bound on the occurrences expanded from one RRULE, so an unbounded rule stays cheap.
const MAX_OCCURRENCES: u16 = 520;

/// Reads one calendar file. Events that cannot be read are reported and skipped.
pub fn read_calendar(relative: &Path, text: &str, timezone: Tz, branches: &[Branch]) -> (Vec<Event>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let unfolded = unfold(text);
    let calendar = match parser::read_calendar(&unfolded) {
        Ok(calendar) => calendar,
        Err(error) => {
            let first_line = error.lines().next().unwrap_or("invalid iCalendar").to_string();
            diagnostics.push(Diagnostic::error(
                relative,
                1,
                None,
                format!("not a readable iCalendar file: {first_line}"),
            ));
            return (Vec::new(), diagnostics);
        }
    };
    let stem = relative
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file_branch = branches
        .iter()
        .find(|branch| branch.id == stem)
        .map(|branch| branch.id.clone());
    let event_lines = vevent_lines(text);
    let mut events = Vec::new();
    let vevents = calendar
        .components
        .iter()
        .flat_map(|component| std::iter::once(component).chain(component.components.iter()))
        .filter(|component| component.name.as_str().eq_ignore_ascii_case("VEVENT"));
    for (index, component) in vevents.enumerate() {
        let line = event_lines.get(index).copied().unwrap_or(1);
        let context = EventContext {
            relative,
            line,
            timezone,
            branches,
            file_branch: file_branch.as_deref(),
        };
        match read_event(component, &context) {
            Ok((event, warnings)) => {
                diagnostics.extend(warnings);
                events.push(event);
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    (events, diagnostics)
}

struct EventContext<'a> {
    relative: &'a Path,
    line: usize,
    timezone: Tz,
    branches: &'a [Branch],
    file_branch: Option<&'a str>,
}

impl EventContext<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.relative, self.line, Some(field), message)
    }
}

fn read_event(component: &Component<'_>, context: &EventContext<'_>) -> Result<(Event, Vec<Diagnostic>), Diagnostic> {
    let mut warnings = Vec::new();
    let text_of = |name: &str| {
        component
            .find_prop(name)
            .map(|property| property.val.clone().unescape_text().as_str().trim().to_string())
    };
    let title = text_of("SUMMARY")
        .filter(|title| !title.is_empty())
        .ok_or_else(|| context.error("SUMMARY", "a VEVENT needs a SUMMARY (its title)"))?;
    let start_property = component
        .find_prop("DTSTART")
        .ok_or_else(|| context.error("DTSTART", "a VEVENT needs a DTSTART"))?;
    let (start, all_day) = local_time(start_property, context.timezone).ok_or_else(|| {
        context.error(
            "DTSTART",
            format!(
                "cannot read {:?}; expected e.g. 20261202T150000",
                start_property.val.as_str()
            ),
        )
    })?;
    let end = match component.find_prop("DTEND") {
        Some(property) => Some(
            local_time(property, context.timezone)
                .map(|(end, _)| end)
                .ok_or_else(|| context.error("DTEND", format!("cannot read {:?}", property.val.as_str())))?,
        ),
        None => None,
    };
    let occurrences = match component.find_prop("RRULE") {
        Some(_) => expand_rule(component, context)?,
        None => vec![start],
    };
    let location = text_of("LOCATION");
    let branch = context.file_branch.map(str::to_owned).or_else(|| {
        location
            .as_deref()
            .and_then(|location| branch_at(location, context.branches))
    });
    if branch.is_none() && location.as_deref().is_some_and(|location| !location.is_empty()) {
        warnings.push(Diagnostic::warning(
            context.relative,
            context.line,
            Some("LOCATION"),
            format!(
                "{:?} matches no branch name or alias; the event is listed as system-wide",
                location.unwrap_or_default()
            ),
        ));
    }
    let event = Event {
        title,
        branch,
        occurrences,
        duration: end.filter(|end| *end > start && !all_day).map(|end| end - start),
        all_day,
        audience: None,
        description: text_of("DESCRIPTION").filter(|text| !text.is_empty()),
        link: text_of("URL").filter(|text| !text.is_empty()),
        origin: Origin {
            file: context.relative.to_path_buf(),
            line: context.line,
        },
    };
    Ok((event, warnings))
}

/// Expands RRULE/EXDATE with the rrule crate, from the event's own DTSTART, RRULE, EXDATE and RDATE lines.
fn expand_rule(component: &Component<'_>, context: &EventContext<'_>) -> Result<Vec<NaiveDateTime>, Diagnostic> {
    let mut lines = Vec::new();
    for property in &component.properties {
        let name = property.name.as_str().to_ascii_uppercase();
        if matches!(name.as_str(), "DTSTART" | "RRULE" | "EXDATE" | "RDATE") {
            lines.push(content_line(property));
        }
    }
    let rule_set: rrule::RRuleSet = lines
        .join("\n")
        .parse()
        .map_err(|error: rrule::RRuleError| context.error("RRULE", format!("cannot expand the recurrence: {error}")))?;
    let library_zone = rrule::Tz::Tz(context.timezone);
    let mut occurrences: Vec<NaiveDateTime> = rule_set
        .all(MAX_OCCURRENCES)
        .dates
        .into_iter()
        .map(|occurrence| occurrence.with_timezone(&library_zone).naive_local())
        .collect();
    occurrences.sort();
    occurrences.dedup();
    Ok(occurrences)
}

/// Re-serialises one parsed property as an iCalendar content line for the rrule parser.
fn content_line(property: &Property<'_>) -> String {
    let mut line = property.name.as_str().to_ascii_uppercase();
    for parameter in &property.params {
        line.push(';');
        line.push_str(parameter.key.as_str());
        if let Some(value) = &parameter.val {
            line.push('=');
            line.push_str(value.as_str());
        }
    }
    line.push(':');
    line.push_str(property.val.as_str());
    line
}

/// A DTSTART/DTEND value in the library's local time, and whether it is a whole day.
fn local_time(property: &Property<'_>, timezone: Tz) -> Option<(NaiveDateTime, bool)> {
    let value = property.val.as_str().trim();
    let parameter = |key: &str| {
        property
            .params
            .iter()
            .find(|parameter| parameter.key.as_str().eq_ignore_ascii_case(key))
            .and_then(|parameter| parameter.val.as_ref())
            .map(|value| value.as_str().trim_matches('"').to_string())
    };
    if parameter("VALUE").is_some_and(|kind| kind.eq_ignore_ascii_case("DATE")) || value.len() == 8 {
        let date = NaiveDate::parse_from_str(value, "%Y%m%d").ok()?;
        return Some((date.and_hms_opt(0, 0, 0)?, true));
    }
    if let Some(utc) = value.strip_suffix('Z') {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        return Some((
            chrono::Utc
                .from_utc_datetime(&naive)
                .with_timezone(&timezone)
                .naive_local(),
            false,
        ));
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok()?;
    match parameter("TZID").and_then(|name| name.parse::<Tz>().ok()) {
        Some(zone) => {
            let zoned = zone.from_local_datetime(&naive).earliest()?;
            Some((zoned.with_timezone(&timezone).naive_local(), false))
        }
        // Floating time (or an unknown TZID): read as the library's wall clock.
        None => Some((naive, false)),
    }
}

/// The branch whose name or an alias appears in a LOCATION such as "Chinatown Branch, Community Room".
fn branch_at(location: &str, branches: &[Branch]) -> Option<String> {
    let location = location.to_lowercase();
    branches
        .iter()
        .flat_map(|branch| {
            std::iter::once(&branch.name)
                .chain(branch.aliases.iter())
                .map(move |name| (name.to_lowercase(), branch))
        })
        .filter(|(name, _)| !name.is_empty() && location.contains(name.as_str()))
        .max_by_key(|(name, _)| name.len())
        .map(|(_, branch)| branch.id.clone())
}

/// 1-based line of each `BEGIN:VEVENT` in the raw (folded) text.
fn vevent_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim_end().eq_ignore_ascii_case("BEGIN:VEVENT"))
        .map(|(index, _)| index + 1)
        .collect()
}
