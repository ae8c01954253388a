//! Stage two of loading: reads a knowledge directory and validates it into a `Knowledge`.
//!
//! Every file is read and every problem collected before deciding, so an admin
//! sees all errors of an edit at once. Only this module (and `ics`) touches
//! the file system.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use toml::Spanned;
use toml::value::Datetime;

use super::raw::{RawBranch, RawEvent, RawException, RawFaq, RawLibrary, RawNothingElse, RawWeeklyHours};
use super::toml_reader::{Entry, TomlFile};
use super::{
    Branch, DayHours, Diagnostic, Event, Exception, Faq, HoursChange, Knowledge, KnowledgeError, Library, Origin,
    TimeRange, WeeklyHours, ics,
};

/// How far ahead a repeating event with no end is expanded.
const OPEN_ENDED_REPEAT_DAYS: u64 = 366;

/// Loads and validates the knowledge directory at `dir`.
///
/// On success returns the knowledge and its warnings; on failure every
/// diagnostic found (errors and warnings) in file order.
pub fn load_dir(dir: &Path) -> Result<(Knowledge, Vec<Diagnostic>), KnowledgeError> {
    let mut loader = Loader {
        dir,
        diagnostics: Vec::new(),
    };
    let knowledge = loader.load();
    let Loader { mut diagnostics, .. } = loader;
    diagnostics.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    match knowledge {
        Some(knowledge) if !diagnostics.iter().any(Diagnostic::is_error) => Ok((knowledge, diagnostics)),
        _ => Err(KnowledgeError { diagnostics }),
    }
}

struct Loader<'a> {
    dir: &'a Path,
    diagnostics: Vec<Diagnostic>,
}

impl Loader<'_> {
    fn load(&mut self) -> Option<Knowledge> {
        if !self.dir.is_dir() {
            self.diagnostics.push(Diagnostic::error(
                self.dir,
                0,
                None,
                "not a directory; expected a knowledge directory with library.toml",
            ));
            return None;
        }
        let library = self.read_library();
        let timezone = library.as_ref().map_or(Tz::UTC, |library| library.timezone);
        let branch_files = self.files_in("branches", &["toml"]);
        // A branch's id is its file name, whether or not the file loads: a broken branch
        // file is reported once, not again by every event that names the branch.
        let mut branch_ids: Vec<String> = branch_files
            .iter()
            .filter_map(|relative| relative.file_stem())
            .map(|stem| stem.to_string_lossy().into_owned())
            .collect();
        branch_ids.sort();
        let mut branches: Vec<Branch> = branch_files
            .iter()
            .filter_map(|relative| self.read_branch(relative))
            .collect();
        branches.sort_by(|a, b| a.id.cmp(&b.id));

        let mut faqs = Vec::new();
        for relative in self.files_in("faq", &["toml"]) {
            faqs.extend(self.read_faq_file(&relative));
        }
        self.check_unique_faq_ids(&faqs, "faq/*.toml");
        for branch in &branches {
            let label = format!("branches/{}.toml", branch.id);
            self.check_unique_faq_ids(&branch.faqs, &label);
        }

        let mut events = Vec::new();
        for relative in self.files_in("events", &["toml", "ics"]) {
            if relative.extension().is_some_and(|extension| extension == "ics") {
                events.extend(self.read_calendar(&relative, timezone, &branches, &branch_ids));
            } else {
                events.extend(self.read_event_file(&relative, &branch_ids));
            }
        }
        events.sort_by(|a: &Event, b: &Event| a.occurrences.first().cmp(&b.occurrences.first()));

        Some(Knowledge {
            library: library?,
            branches,
            faqs,
            events,
        })
    }

    fn read_text(&mut self, relative: &Path) -> Option<String> {
        match fs::read_to_string(self.dir.join(relative)) {
            Ok(text) => Some(text),
            Err(error) => {
                self.diagnostics
                    .push(Diagnostic::error(relative, 0, None, format!("cannot read: {error}")));
                None
            }
        }
    }

    /// Files of the given extensions in a subdirectory, sorted; anything else there is warned about.
    fn files_in(&mut self, subdirectory: &str, extensions: &[&str]) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(self.dir.join(subdirectory)) else {
            return Vec::new();
        };
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let relative = Path::new(subdirectory).join(entry.file_name());
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().is_file() {
                continue;
            }
            let wanted = entry
                .path()
                .extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| extensions.contains(&extension));
            if wanted {
                files.push(relative);
            } else {
                self.diagnostics.push(Diagnostic::warning(
                    &relative,
                    0,
                    None,
                    format!("ignored: only {} files are read here", extensions.join(" and ")),
                ));
            }
        }
        files.sort();
        files
    }

    fn read_library(&mut self) -> Option<Library> {
        let relative = Path::new("library.toml");
        if !self.dir.join(relative).is_file() {
            self.diagnostics.push(Diagnostic::error(
                relative,
                0,
                None,
                "missing: every knowledge directory needs library.toml",
            ));
            return None;
        }
        let text = self.read_text(relative)?;
        let file = TomlFile::new(relative, &text);
        let (raw, arrays) = file.read::<RawLibrary>(&["exception"], &mut self.diagnostics)?;
        let timezone = match raw.timezone.get_ref().parse::<Tz>() {
            Ok(timezone) => timezone,
            Err(_) => {
                self.diagnostics.push(file.error(
                    raw.timezone.span(),
                    "timezone",
                    format!(
                        "unknown time zone {:?}; expected an IANA name such as \"America/Los_Angeles\"",
                        raw.timezone.get_ref()
                    ),
                ));
                Tz::UTC
            }
        };
        let exceptions = self.exceptions(&file, arrays);
        let synonyms = raw.synonyms.into_iter().collect();
        Some(Library {
            name: raw.name,
            timezone,
            website: raw.website,
            phone: raw.phone,
            email: raw.email,
            exceptions,
            synonyms,
        })
    }

    fn read_branch(&mut self, relative: &Path) -> Option<Branch> {
        let id = relative.file_stem()?.to_string_lossy().into_owned();
        if !is_valid_id(&id) {
            self.diagnostics.push(Diagnostic::error(
                relative,
                0,
                None,
                "a branch file name is its id: use lowercase letters, digits and hyphens (e.g. branches/two-rivers.toml)",
            ));
        }
        let text = self.read_text(relative)?;
        let file = TomlFile::new(relative, &text);
        let (raw, mut arrays) = file.read::<RawBranch>(&["exception", "faq"], &mut self.diagnostics)?;
        let hours = self.weekly_hours(&file, &raw.hours);
        let faq_items = take_array(&mut arrays, "faq");
        let faqs = self.faqs(&file, faq_items);
        let exceptions = self.exceptions(&file, arrays);
        Some(Branch {
            id,
            name: raw.name,
            aliases: raw.aliases,
            address: raw.address,
            phone: raw.phone,
            email: raw.email,
            services: raw.services,
            notes: raw.notes,
            hours: hours?,
            exceptions,
            faqs,
            origin: Origin {
                file: relative.to_path_buf(),
                line: 1,
            },
        })
    }

    fn read_faq_file(&mut self, relative: &Path) -> Vec<Faq> {
        let Some(text) = self.read_text(relative) else {
            return Vec::new();
        };
        let file = TomlFile::new(relative, &text);
        let Some((RawNothingElse {}, arrays)) = file.read::<RawNothingElse>(&["faq"], &mut self.diagnostics) else {
            return Vec::new();
        };
        self.faqs(&file, arrays.into_iter().flat_map(|(_, items)| items).collect())
    }

    fn read_event_file(&mut self, relative: &Path, branch_ids: &[String]) -> Vec<Event> {
        let Some(text) = self.read_text(relative) else {
            return Vec::new();
        };
        let file = TomlFile::new(relative, &text);
        let Some((RawNothingElse {}, arrays)) = file.read::<RawNothingElse>(&["event"], &mut self.diagnostics) else {
            return Vec::new();
        };
        let items = arrays.into_iter().flat_map(|(_, items)| items).collect();
        file.entries::<RawEvent>(items, &mut self.diagnostics)
            .into_iter()
            .filter_map(|entry| self.event(&file, entry, branch_ids))
            .collect()
    }

    fn read_calendar(
        &mut self,
        relative: &Path,
        timezone: Tz,
        branches: &[Branch],
        branch_ids: &[String],
    ) -> Vec<Event> {
        let Some(text) = self.read_text(relative) else {
            return Vec::new();
        };
        let (events, diagnostics) = ics::read_calendar(relative, &text, timezone, branches, branch_ids);
        self.diagnostics.extend(diagnostics);
        events
    }

    fn weekly_hours(&mut self, file: &TomlFile<'_>, raw: &RawWeeklyHours) -> Option<WeeklyHours> {
        let days = [
            ("mon", &raw.mon),
            ("tue", &raw.tue),
            ("wed", &raw.wed),
            ("thu", &raw.thu),
            ("fri", &raw.fri),
            ("sat", &raw.sat),
            ("sun", &raw.sun),
        ]
        .map(|(key, value)| self.day_hours(file, &format!("hours.{key}"), value));
        if days.iter().any(Option::is_none) {
            return None;
        }
        Some(WeeklyHours {
            days: days.map(|day| day.unwrap_or_default()),
        })
    }

    fn day_hours(&mut self, file: &TomlFile<'_>, field: &str, value: &Spanned<String>) -> Option<DayHours> {
        match parse_day_hours(value.get_ref()) {
            Ok(hours) => Some(hours),
            Err(message) => {
                self.diagnostics.push(file.error(value.span(), field, message));
                None
            }
        }
    }

    fn exceptions(
        &mut self,
        file: &TomlFile<'_>,
        arrays: Vec<(String, Vec<Spanned<toml::de::DeValue<'_>>>)>,
    ) -> Vec<Exception> {
        let items = arrays.into_iter().flat_map(|(_, items)| items).collect();
        file.entries::<RawException>(items, &mut self.diagnostics)
            .into_iter()
            .filter_map(|entry| self.exception(file, entry))
            .collect()
    }

    fn exception(&mut self, file: &TomlFile<'_>, entry: Entry<RawException>) -> Option<Exception> {
        let Entry { value: raw, line } = entry;
        let origin = Origin {
            file: file.path.to_path_buf(),
            line,
        };
        let (from, to) = match (&raw.date, &raw.from, &raw.to) {
            (Some(date), None, None) => {
                let date = self.date(file, date, "date")?;
                (date, date)
            }
            (None, Some(from), Some(to)) => {
                let from_date = self.date(file, from, "from");
                let to_date = self.date(file, to, "to");
                let (from_date, to_date) = (from_date?, to_date?);
                if to_date < from_date {
                    self.diagnostics.push(file.error(
                        to.span(),
                        "to",
                        format!("ends ({to_date}) before it starts ({from_date})"),
                    ));
                    return None;
                }
                (from_date, to_date)
            }
            (None, Some(from), None) => {
                self.diagnostics
                    .push(file.error(from.span(), "to", "a range needs both `from` and `to`"));
                return None;
            }
            (None, None, Some(to)) => {
                self.diagnostics
                    .push(file.error(to.span(), "from", "a range needs both `from` and `to`"));
                return None;
            }
            (Some(date), _, _) => {
                self.diagnostics
                    .push(file.error(date.span(), "date", "use either `date` or `from` + `to`, not both"));
                return None;
            }
            (None, None, None) => {
                self.diagnostics.push(Diagnostic::error(
                    file.path,
                    line,
                    Some("date"),
                    "an exception needs `date` or `from` + `to`",
                ));
                return None;
            }
        };
        let change = match (&raw.hours, &raw.close_at) {
            (Some(hours), None) => HoursChange::Hours(self.day_hours(file, "hours", hours)?),
            (None, Some(close_at)) => HoursChange::CloseAt(self.time(file, close_at, "close_at")?),
            (None, None) => HoursChange::Closed,
            (Some(_), Some(close_at)) => {
                self.diagnostics.push(file.error(
                    close_at.span(),
                    "close_at",
                    "use at most one of `hours` and `close_at`",
                ));
                return None;
            }
        };
        Some(Exception {
            from,
            to,
            reason: raw.reason,
            change,
            origin,
        })
    }

    fn faqs(&mut self, file: &TomlFile<'_>, items: Vec<Spanned<toml::de::DeValue<'_>>>) -> Vec<Faq> {
        file.entries::<RawFaq>(items, &mut self.diagnostics)
            .into_iter()
            .filter_map(|Entry { value: raw, line }| {
                let mut valid = true;
                if !is_valid_id(raw.id.get_ref()) {
                    self.diagnostics.push(file.error(
                        raw.id.span(),
                        "id",
                        "use lowercase letters, digits and hyphens, e.g. \"lost-card\"",
                    ));
                    valid = false;
                }
                for (field, value) in [("question", &raw.question), ("answer", &raw.answer)] {
                    if value.get_ref().trim().is_empty() {
                        self.diagnostics
                            .push(file.error(value.span(), field, "must not be empty"));
                        valid = false;
                    }
                }
                valid.then(|| Faq {
                    id: raw.id.into_inner(),
                    question: raw.question.into_inner(),
                    variants: raw.variants,
                    answer: raw.answer.into_inner().trim().to_string(),
                    tags: raw.tags,
                    origin: Origin {
                        file: file.path.to_path_buf(),
                        line,
                    },
                })
            })
            .collect()
    }

    fn check_unique_faq_ids(&mut self, faqs: &[Faq], scope: &str) {
        let mut first_seen: HashMap<&str, &Faq> = HashMap::new();
        for faq in faqs {
            if let Some(first) = first_seen.get(faq.id.as_str()) {
                self.diagnostics.push(Diagnostic::error(
                    &faq.origin.file,
                    faq.origin.line,
                    Some("id"),
                    format!(
                        "duplicate FAQ id {:?} in {scope}; first defined at {}:{}",
                        faq.id,
                        first.origin.file.display(),
                        first.origin.line
                    ),
                ));
            } else {
                first_seen.insert(&faq.id, faq);
            }
        }
    }

    fn event(&mut self, file: &TomlFile<'_>, entry: Entry<RawEvent>, branch_ids: &[String]) -> Option<Event> {
        let Entry { value: raw, line } = entry;
        let mut valid = true;
        if let Some(branch) = &raw.branch
            && !branch_ids.iter().any(|id| id == branch.get_ref())
        {
            let suggestion = closest_branch_id(branch.get_ref(), branch_ids)
                .map(|id| format!("; did you mean {id:?}?"))
                .unwrap_or_default();
            self.diagnostics.push(file.error(
                branch.span(),
                "branch",
                format!(
                    "unknown branch id {:?}: expected the name of a file in branches/{suggestion}",
                    branch.get_ref()
                ),
            ));
            valid = false;
        }
        let start = self.date_time(file, &raw.start, "start");
        let end = match &raw.end {
            Some(end) => self.end_time(file, end, start).map(Some),
            None => Some(None),
        };
        let repeat_days = match raw.repeat.as_ref().map(|repeat| (repeat, repeat.get_ref().as_str())) {
            None => Some(None),
            Some((_, "daily")) => Some(Some(1)),
            Some((_, "weekly")) => Some(Some(7)),
            Some((repeat, other)) => {
                self.diagnostics.push(file.error(
                    repeat.span(),
                    "repeat",
                    format!("unknown repeat {other:?}; expected \"daily\" or \"weekly\""),
                ));
                None
            }
        };
        let until = match &raw.until {
            Some(until) => self.date(file, until, "until").map(Some),
            None => Some(None),
        };
        let mut except = Vec::new();
        for date in &raw.except {
            match self.date(file, date, "except") {
                Some(date) => except.push(date),
                None => valid = false,
            }
        }
        if raw.title.get_ref().trim().is_empty() {
            self.diagnostics
                .push(file.error(raw.title.span(), "title", "must not be empty"));
            valid = false;
        }
        let (start, end, repeat_days, until) = (start?, end?, repeat_days?, until?);
        if let (Some(until_value), None) = (&raw.until, repeat_days) {
            self.diagnostics
                .push(file.error(until_value.span(), "until", "`until` only applies with `repeat`"));
            valid = false;
        }
        if let Some(until_date) = until
            && until_date < start.date()
        {
            self.diagnostics.push(file.error(
                raw.until.as_ref().map_or(raw.start.span(), Spanned::span),
                "until",
                format!("is before the event starts ({})", start.date()),
            ));
            valid = false;
        }
        if !valid {
            return None;
        }
        let occurrences = expand_repeats(start, repeat_days, until, &except);
        Some(Event {
            title: raw.title.into_inner(),
            branch: raw.branch.map(Spanned::into_inner),
            occurrences,
            duration: end.map(|end| end - start),
            all_day: false,
            audience: raw.audience,
            description: raw.description,
            link: raw.link,
            origin: Origin {
                file: file.path.to_path_buf(),
                line,
            },
        })
    }

    fn date(&mut self, file: &TomlFile<'_>, value: &Spanned<Datetime>, field: &str) -> Option<NaiveDate> {
        let datetime = value.get_ref();
        let date = match (datetime.date, datetime.time, datetime.offset) {
            (Some(date), None, None) => NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into()),
            _ => None,
        };
        if date.is_none() {
            self.diagnostics.push(file.error(
                value.span(),
                field,
                format!("expected a date such as 2026-12-25, found {datetime}"),
            ));
        }
        date
    }

    fn time(&mut self, file: &TomlFile<'_>, value: &Spanned<Datetime>, field: &str) -> Option<NaiveTime> {
        let datetime = value.get_ref();
        let time = match (datetime.date, datetime.time) {
            (None, Some(time)) => {
                NaiveTime::from_hms_opt(time.hour.into(), time.minute.into(), time.second.unwrap_or(0).into())
            }
            _ => None,
        };
        if time.is_none() {
            self.diagnostics.push(file.error(
                value.span(),
                field,
                format!("expected a time such as 14:00:00, found {datetime}"),
            ));
        }
        time
    }

    fn date_time(&mut self, file: &TomlFile<'_>, value: &Spanned<Datetime>, field: &str) -> Option<NaiveDateTime> {
        let parsed = local_date_time(value.get_ref());
        if parsed.is_none() {
            self.diagnostics.push(file.error(
                value.span(),
                field,
                format!(
                    "expected a local date and time such as 2026-12-02T10:30:00 (no time zone offset), found {}",
                    value.get_ref()
                ),
            ));
        }
        parsed
    }

    /// `end` is a full date-time, or just a time on the start's day.
    fn end_time(
        &mut self,
        file: &TomlFile<'_>,
        value: &Spanned<Datetime>,
        start: Option<NaiveDateTime>,
    ) -> Option<NaiveDateTime> {
        let datetime = value.get_ref();
        let end = match (datetime.date, datetime.time, start) {
            (None, Some(_), Some(start)) => {
                let time = self.time(file, value, "end")?;
                Some(start.date().and_time(time))
            }
            // A time of day needs the start's date; the bad `start` is already reported.
            (None, Some(_), None) => None,
            _ => self.date_time(file, value, "end"),
        }?;
        if let Some(start) = start
            && end < start
        {
            self.diagnostics
                .push(file.error(value.span(), "end", format!("ends ({end}) before it starts ({start})")));
            return None;
        }
        Some(end)
    }
}

fn take_array<'a>(
    arrays: &mut Vec<(String, Vec<Spanned<toml::de::DeValue<'a>>>)>,
    key: &str,
) -> Vec<Spanned<toml::de::DeValue<'a>>> {
    let mut taken = Vec::new();
    arrays.retain_mut(|(name, items)| {
        if name == key {
            taken.append(items);
            false
        } else {
            true
        }
    });
    taken
}

fn local_date_time(datetime: &Datetime) -> Option<NaiveDateTime> {
    match (datetime.date, datetime.time, datetime.offset) {
        (Some(date), Some(time), None) => {
            let date = NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())?;
            let time = NaiveTime::from_hms_opt(time.hour.into(), time.minute.into(), time.second.unwrap_or(0).into())?;
            Some(date.and_time(time))
        }
        _ => None,
    }
}

fn expand_repeats(
    start: NaiveDateTime,
    repeat_days: Option<u64>,
    until: Option<NaiveDate>,
    except: &[NaiveDate],
) -> Vec<NaiveDateTime> {
    let Some(step) = repeat_days else {
        return vec![start];
    };
    let last = until.unwrap_or_else(|| start.date() + Days::new(OPEN_ENDED_REPEAT_DAYS));
    let mut occurrences = Vec::new();
    let mut current = start;
    while current.date() <= last {
        if !except.contains(&current.date()) {
            occurrences.push(current);
        }
        current = current + Days::new(step);
    }
    occurrences
}

/// Branch and FAQ ids: lowercase ASCII letters, digits and inner hyphens.
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The branch id most like `id`, if one is close enough to be a likely typo.
pub(crate) fn closest_branch_id<'a>(id: &str, branch_ids: &'a [String]) -> Option<&'a str> {
    branch_ids
        .iter()
        .map(|known| (strsim::jaro_winkler(id, known), known.as_str()))
        .filter(|(similarity, _)| *similarity > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}

/// Parses a day's hours: `"closed"` or ranges such as `"10:00-13:00, 14:00-18:00"`.
pub fn parse_day_hours(text: &str) -> Result<DayHours, String> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("closed") {
        return Ok(DayHours::closed());
    }
    let expected = "expected \"closed\" or ranges such as \"10:00-13:00, 14:00-18:00\"";
    if trimmed.is_empty() {
        return Err(format!("empty hours; {expected}"));
    }
    let mut ranges = Vec::new();
    for part in trimmed.split(',') {
        let Some((open, close)) = part.split_once('-') else {
            return Err(format!("{:?} is not a range; {expected}", part.trim()));
        };
        let open = parse_clock_time(open).ok_or_else(|| format!("bad time {:?}; {expected}", open.trim()))?;
        let close = parse_clock_time(close).ok_or_else(|| format!("bad time {:?}; {expected}", close.trim()))?;
        if close <= open {
            return Err(format!("range {} closes before it opens", part.trim()));
        }
        ranges.push(TimeRange { open, close });
    }
    ranges.sort_by_key(|range| range.open);
    for pair in ranges.windows(2) {
        if pair[1].open < pair[0].close {
            return Err(format!(
                "overlapping ranges {}-{} and {}-{}",
                pair[0].open.format("%H:%M"),
                pair[0].close.format("%H:%M"),
                pair[1].open.format("%H:%M"),
                pair[1].close.format("%H:%M")
            ));
        }
    }
    Ok(DayHours { ranges })
}

/// `HH:MM` on a 24-hour clock; `24:00` means the end of the day.
fn parse_clock_time(text: &str) -> Option<NaiveTime> {
    let (hours, minutes) = text.trim().split_once(':')?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    if hours == 24 && minutes == 0 {
        return NaiveTime::from_hms_opt(23, 59, 59);
    }
    NaiveTime::from_hms_opt(hours, minutes, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_split_hours_and_closed() {
        let hours = parse_day_hours("10:00-13:00, 14:00-18:00").unwrap();
        assert_eq!(hours.ranges.len(), 2);
        assert!(parse_day_hours("Closed").unwrap().is_closed());
    }

    #[test]
    fn rejects_bad_and_overlapping_hours() {
        assert!(parse_day_hours("10:00-25:00").unwrap_err().contains("bad time"));
        assert!(parse_day_hours("10-18").unwrap_err().contains("bad time"));
        assert!(parse_day_hours("18:00-10:00").unwrap_err().contains("closes before"));
        assert!(
            parse_day_hours("10:00-14:00, 13:00-18:00")
                .unwrap_err()
                .contains("overlapping")
        );
    }

    #[test]
    fn weekly_repeat_skips_except_and_stops_at_until() {
        let start = NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let until = NaiveDate::from_ymd_opt(2026, 12, 29);
        let except = [NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()];
        let occurrences = expand_repeats(start, Some(7), until, &except);
        let days: Vec<u32> = occurrences.iter().map(|o| chrono::Datelike::day(&o.date())).collect();
        assert_eq!(days, vec![1, 8, 22, 29]);
    }
}
