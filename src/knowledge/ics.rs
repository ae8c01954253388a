//! iCalendar (`events/*.ics`) exports read into events.
//!
//! Parsing (line unfolding, properties, parameters, escapes) is the
//! `icalendar` crate's; recurrence expansion (RRULE, RDATE, EXDATE) is the
//! `rrule` crate's. This module maps VEVENTs onto `Event`, assigns branches,
//! and decides what each date value means (floating and whole-day times are
//! the library's, Windows TZIDs are mapped to IANA zones) before rrule sees it.

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::parser::{self, Component, Property, unfold};

use super::load::closest_branch_id;
use super::{Branch, Diagnostic, Event, Origin};

/// Upper bound on the occurrences expanded from one RRULE, so an unbounded rule stays cheap.
const MAX_OCCURRENCES: u16 = 520;

/// The Windows zone names that Outlook and Exchange write as TZIDs, with the IANA zone
/// each stands for (CLDR's windowsZones, "001" territory). Only common ones: an unknown
/// TZID is warned about and read in the library's zone.
const WINDOWS_ZONES: &[(&str, Tz)] = &[
    ("Hawaiian Standard Time", chrono_tz::Pacific::Honolulu),
    ("Alaskan Standard Time", chrono_tz::America::Anchorage),
    ("Pacific Standard Time", chrono_tz::America::Los_Angeles),
    ("Pacific Standard Time (Mexico)", chrono_tz::America::Tijuana),
    ("US Mountain Standard Time", chrono_tz::America::Phoenix),
    ("Mountain Standard Time", chrono_tz::America::Denver),
    ("Central Standard Time", chrono_tz::America::Chicago),
    ("Central Standard Time (Mexico)", chrono_tz::America::Mexico_City),
    ("Eastern Standard Time", chrono_tz::America::New_York),
    ("US Eastern Standard Time", chrono_tz::America::Indiana::Indianapolis),
    ("Atlantic Standard Time", chrono_tz::America::Halifax),
    ("Newfoundland Standard Time", chrono_tz::America::St_Johns),
    ("SA Pacific Standard Time", chrono_tz::America::Bogota),
    ("E. South America Standard Time", chrono_tz::America::Sao_Paulo),
    ("UTC", chrono_tz::UTC),
    ("GMT Standard Time", chrono_tz::Europe::London),
    ("Greenwich Standard Time", chrono_tz::Atlantic::Reykjavik),
    ("W. Europe Standard Time", chrono_tz::Europe::Berlin),
    ("Romance Standard Time", chrono_tz::Europe::Paris),
    ("Central Europe Standard Time", chrono_tz::Europe::Budapest),
    ("Central European Standard Time", chrono_tz::Europe::Warsaw),
    ("GTB Standard Time", chrono_tz::Europe::Bucharest),
    ("FLE Standard Time", chrono_tz::Europe::Kyiv),
    ("Russian Standard Time", chrono_tz::Europe::Moscow),
    ("Israel Standard Time", chrono_tz::Asia::Jerusalem),
    ("South Africa Standard Time", chrono_tz::Africa::Johannesburg),
    ("Arabian Standard Time", chrono_tz::Asia::Dubai),
    ("India Standard Time", chrono_tz::Asia::Kolkata),
    ("SE Asia Standard Time", chrono_tz::Asia::Bangkok),
    ("China Standard Time", chrono_tz::Asia::Shanghai),
    ("Singapore Standard Time", chrono_tz::Asia::Singapore),
    ("Taipei Standard Time", chrono_tz::Asia::Taipei),
    ("Tokyo Standard Time", chrono_tz::Asia::Tokyo),
    ("Korea Standard Time", chrono_tz::Asia::Seoul),
    ("AUS Eastern Standard Time", chrono_tz::Australia::Sydney),
    ("New Zealand Standard Time", chrono_tz::Pacific::Auckland),
];

/// Reads one calendar file. Events that cannot be read are reported and skipped.
///
/// `branch_ids` are the ids of every branch file, loaded or not; `branches` (the loaded
/// ones) are only used to match LOCATION against branch names.
pub fn read_calendar(
    relative: &Path,
    text: &str,
    timezone: Tz,
    branches: &[Branch],
    branch_ids: &[String],
) -> (Vec<Event>, Vec<Diagnostic>) {
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
    let file_branch = branch_ids.iter().find(|id| **id == stem).cloned();
    if file_branch.is_none()
        && let Some(close) = closest_branch_id(&stem, branch_ids)
    {
        // Most likely a misspelt branch file name; the events still load, by LOCATION.
        diagnostics.push(Diagnostic::warning(
            relative,
            0,
            None,
            format!(
                "{stem:?} is not a branch id, so its events are assigned by LOCATION; \
                 did you mean {close:?} (events/{close}.ics)?"
            ),
        ));
    }
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

/// One DTSTART/DTEND/EXDATE/RDATE value, read but not yet placed in the library's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    /// A whole day (`VALUE=DATE`). It has no zone of its own: it is that date in the library's zone.
    Date(NaiveDate),
    /// A UTC time (ends in `Z`).
    Utc(NaiveDateTime),
    /// A wall-clock time in its TZID's zone, or the library's for floating time or an unknown TZID.
    Local(NaiveDateTime, Tz),
}

impl Stamp {
    /// The stamp as the library's wall-clock time.
    fn in_library(self, library: Tz) -> Option<NaiveDateTime> {
        match self {
            Stamp::Date(date) => date.and_hms_opt(0, 0, 0),
            Stamp::Utc(naive) => Some(Utc.from_utc_datetime(&naive).with_timezone(&library).naive_local()),
            // Already library time; not converted, so a time in a DST gap is kept as written.
            Stamp::Local(naive, zone) if zone == library => Some(naive),
            Stamp::Local(naive, zone) => Some(
                zone.from_local_datetime(&naive)
                    .earliest()?
                    .with_timezone(&library)
                    .naive_local(),
            ),
        }
    }

    /// This start's time of day on another date: what a date-only EXDATE or RDATE means
    /// for an event that has a start time.
    fn on_date(self, date: NaiveDate) -> Stamp {
        match self {
            Stamp::Date(_) => Stamp::Date(date),
            Stamp::Utc(naive) => Stamp::Utc(date.and_time(naive.time())),
            Stamp::Local(naive, zone) => Stamp::Local(date.and_time(naive.time()), zone),
        }
    }

    /// The zone the stamp's wall clock is in (for a local or date-only RRULE UNTIL).
    fn zone(self, library: Tz) -> Tz {
        match self {
            Stamp::Date(_) => library,
            Stamp::Utc(_) => chrono_tz::UTC,
            Stamp::Local(_, zone) => zone,
        }
    }

    /// The stamp as an iCalendar content line for the rrule parser. Every non-UTC value
    /// gets an explicit TZID: rrule reads a value without one in the machine's local zone.
    fn content_line(self, name: &str, library: Tz) -> String {
        match self {
            Stamp::Date(date) if name == "DTSTART" => {
                format!("DTSTART;VALUE=DATE;TZID={}:{}", library.name(), date.format("%Y%m%d"))
            }
            // rrule reads EXDATE/RDATE dates as date-times at 00:00, which is what a whole day starts at.
            Stamp::Date(date) => format!("{name};TZID={}:{}", library.name(), date.format("%Y%m%d")),
            Stamp::Utc(naive) => format!("{name}:{}Z", naive.format("%Y%m%dT%H%M%S")),
            Stamp::Local(naive, zone) => format!("{name};TZID={}:{}", zone.name(), naive.format("%Y%m%dT%H%M%S")),
        }
    }
}

fn read_event(component: &Component<'_>, context: &EventContext<'_>) -> Result<(Event, Vec<Diagnostic>), Diagnostic> {
    let mut warnings = unknown_zone_warnings(component, context);
    let text_of = |name: &str| {
        find_property(component, name).map(|property| property.val.clone().unescape_text().as_str().trim().to_string())
    };
    let title = text_of("SUMMARY")
        .filter(|title| !title.is_empty())
        .ok_or_else(|| context.error("SUMMARY", "a VEVENT needs a SUMMARY (its title)"))?;
    let start_property =
        find_property(component, "DTSTART").ok_or_else(|| context.error("DTSTART", "a VEVENT needs a DTSTART"))?;
    let (start_stamp, start) = single_stamp(start_property, context.timezone)
        .and_then(|stamp| Some((stamp, stamp.in_library(context.timezone)?)))
        .ok_or_else(|| {
            context.error(
                "DTSTART",
                format!(
                    "cannot read {:?}; expected e.g. 20261202T150000",
                    start_property.val.as_str()
                ),
            )
        })?;
    let all_day = matches!(start_stamp, Stamp::Date(_));
    let end = match find_property(component, "DTEND") {
        Some(property) => Some(
            single_stamp(property, context.timezone)
                .and_then(|stamp| stamp.in_library(context.timezone))
                .ok_or_else(|| context.error("DTEND", format!("cannot read {:?}", property.val.as_str())))?,
        ),
        None => None,
    };
    let repeats = find_property(component, "RRULE").is_some() || find_property(component, "RDATE").is_some();
    let occurrences = if repeats {
        expand_rule(component, start_stamp, context)?
    } else {
        vec![start]
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

/// The first property with this name. iCalendar names are case-insensitive, and
/// `Component::find_prop` compares them exactly.
fn find_property<'c, 'a>(component: &'c Component<'a>, name: &str) -> Option<&'c Property<'a>> {
    component
        .properties
        .iter()
        .find(|property| property.name.as_str().eq_ignore_ascii_case(name))
}

/// A parameter's value, unquoted (parameter names are case-insensitive too).
fn parameter(property: &Property<'_>, key: &str) -> Option<String> {
    property
        .params
        .iter()
        .find(|parameter| parameter.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|parameter| parameter.val.as_ref())
        .map(|value| value.as_str().trim().trim_matches('"').to_string())
}

/// The zone a TZID names: an IANA name, or a Windows name as Outlook writes them.
fn resolve_tzid(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok().or_else(|| {
        WINDOWS_ZONES
            .iter()
            .find(|(windows, _)| windows.eq_ignore_ascii_case(name))
            .map(|(_, zone)| *zone)
    })
}

/// A warning for each distinct TZID of the event that names no known zone; such times
/// are read in the library's zone, which is right for most local feeds but worth checking.
fn unknown_zone_warnings(component: &Component<'_>, context: &EventContext<'_>) -> Vec<Diagnostic> {
    let mut seen: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
    for property in &component.properties {
        let name = property.name.as_str().to_ascii_uppercase();
        if !matches!(name.as_str(), "DTSTART" | "DTEND" | "EXDATE" | "RDATE") {
            continue;
        }
        let Some(tzid) = parameter(property, "TZID") else {
            continue;
        };
        if resolve_tzid(&tzid).is_some() || seen.contains(&tzid) {
            continue;
        }
        warnings.push(Diagnostic::warning(
            context.relative,
            context.line,
            Some(&name),
            format!(
                "unknown time zone {tzid:?}; read as the library's time zone ({})",
                context.timezone.name()
            ),
        ));
        seen.push(tzid);
    }
    warnings
}

/// The values of a date property (EXDATE and RDATE may list several, comma-separated).
fn stamps(property: &Property<'_>, library: Tz) -> Option<Vec<Stamp>> {
    let whole_day = parameter(property, "VALUE").is_some_and(|kind| kind.eq_ignore_ascii_case("DATE"));
    let zone = parameter(property, "TZID")
        .and_then(|name| resolve_tzid(&name))
        .unwrap_or(library);
    property
        .val
        .as_str()
        .split(',')
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(|value| parse_stamp(value, whole_day, zone))
        .collect()
}

/// The one value of a DTSTART or DTEND.
fn single_stamp(property: &Property<'_>, library: Tz) -> Option<Stamp> {
    match stamps(property, library)?.as_slice() {
        [stamp] => Some(*stamp),
        _ => None,
    }
}

fn parse_stamp(value: &str, whole_day: bool, zone: Tz) -> Option<Stamp> {
    if whole_day || value.len() == 8 {
        return NaiveDate::parse_from_str(value, "%Y%m%d").ok().map(Stamp::Date);
    }
    if let Some(utc) = value.strip_suffix(['Z', 'z']) {
        return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok().map(Stamp::Utc);
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok()?;
    Some(Stamp::Local(naive, zone))
}

/// Expands RRULE/RDATE/EXDATE with the rrule crate. The content lines are rebuilt from the
/// values as read here, so floating and whole-day times, Windows TZIDs and local UNTILs
/// mean what they mean here rather than what rrule would make of them.
fn expand_rule(
    component: &Component<'_>,
    start: Stamp,
    context: &EventContext<'_>,
) -> Result<Vec<NaiveDateTime>, Diagnostic> {
    let library = context.timezone;
    let mut lines = vec![start.content_line("DTSTART", library)];
    for property in &component.properties {
        let name = property.name.as_str().to_ascii_uppercase();
        match name.as_str() {
            "RRULE" => lines.push(rule_line(property.val.as_str(), start, library)),
            "EXDATE" | "RDATE" => {
                let values = stamps(property, library)
                    .ok_or_else(|| context.error(&name, format!("cannot read {:?}", property.val.as_str())))?;
                for value in values {
                    let value = match (value, start) {
                        (Stamp::Date(date), Stamp::Utc(_) | Stamp::Local(..)) => start.on_date(date),
                        _ => value,
                    };
                    lines.push(value.content_line(&name, library));
                }
            }
            _ => {}
        }
    }
    let rule_set: rrule::RRuleSet = lines
        .join("\n")
        .parse()
        .map_err(|error: rrule::RRuleError| context.error("RRULE", format!("cannot expand the recurrence: {error}")))?;
    let library_zone = rrule::Tz::Tz(library);
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

/// An RRULE content line with its UNTIL in UTC. RFC 5545 asks for UTC when DTSTART has
/// a zone, and rrule rejects anything else, but exports also write local or date-only UNTILs.
fn rule_line(value: &str, start: Stamp, library: Tz) -> String {
    let parts: Vec<String> = value
        .trim()
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((key, until)) if key.trim().eq_ignore_ascii_case("UNTIL") => {
                let until = until.trim();
                format!(
                    "UNTIL={}",
                    utc_until(until, start.zone(library)).unwrap_or_else(|| until.to_string())
                )
            }
            _ => part.to_string(),
        })
        .collect();
    format!("RRULE:{}", parts.join(";"))
}

/// A local or date-only UNTIL as UTC, reading it in the start's zone. A date-only UNTIL
/// includes its whole day. `None` leaves the value as written (already UTC, or unreadable
/// and then reported by rrule).
fn utc_until(until: &str, zone: Tz) -> Option<String> {
    if until.ends_with(['Z', 'z']) {
        return None;
    }
    let local = if until.len() == 8 {
        NaiveDate::parse_from_str(until, "%Y%m%d")
            .ok()?
            .and_hms_opt(23, 59, 59)?
    } else {
        NaiveDateTime::parse_from_str(until, "%Y%m%dT%H%M%S").ok()?
    };
    // In a DST gap the wall-clock time does not exist: read it with the offset in force
    // just before the gap (gaps are at most an hour in practice).
    let hour = chrono::Duration::hours(1);
    let instant = zone.from_local_datetime(&local).earliest().or_else(|| {
        zone.from_local_datetime(&(local - hour))
            .earliest()
            .map(|before| before + hour)
    })?;
    Some(instant.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_zone_names_resolve_to_iana_zones() {
        for (windows, iana) in [
            ("Pacific Standard Time", "America/Los_Angeles"),
            ("Eastern Standard Time", "America/New_York"),
            ("Central Standard Time", "America/Chicago"),
            ("Mountain Standard Time", "America/Denver"),
            ("Alaskan Standard Time", "America/Anchorage"),
            ("Hawaiian Standard Time", "Pacific/Honolulu"),
            ("GMT Standard Time", "Europe/London"),
            ("W. Europe Standard Time", "Europe/Berlin"),
            ("eastern standard time", "America/New_York"),
            ("America/Chicago", "America/Chicago"),
        ] {
            assert_eq!(resolve_tzid(windows).map(Tz::name), Some(iana), "{windows}");
        }
        assert_eq!(resolve_tzid("Port Aurelia Time"), None);
    }

    #[test]
    fn until_is_converted_to_utc_in_the_start_zone() {
        let new_york = chrono_tz::America::New_York;
        assert_eq!(
            utc_until("20261216T180000", new_york).as_deref(),
            Some("20261216T230000Z")
        );
        // A date-only UNTIL keeps its whole day.
        assert_eq!(utc_until("20261216", new_york).as_deref(), Some("20261217T045959Z"));
        assert_eq!(utc_until("20261216T230000Z", new_york), None);
        // 02:30 on 2026-03-08 does not exist in New York (clocks go 02:00 -> 03:00).
        assert_eq!(
            utc_until("20260308T023000", new_york).as_deref(),
            Some("20260308T073000Z")
        );
    }
}
