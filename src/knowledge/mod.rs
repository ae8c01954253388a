//! The knowledge snapshot: what the library told refdesk, validated and ready to query.
//!
//! Loading happens in two stages (see `load`): strict raw TOML structs, then
//! these validated types. Nothing here does IO after loading; the answer
//! engine only reads a `Knowledge`.

mod diagnostic;
mod ics;
mod load;
mod raw;
mod toml_reader;

use std::path::PathBuf;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;

pub use diagnostic::{Diagnostic, KnowledgeError, LineIndex, Severity};
pub use load::load_dir;

/// Where an item was defined, for diagnostics that point back at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Relative to the knowledge directory.
    pub file: PathBuf,
    pub line: usize,
}

/// A whole, validated knowledge base.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub library: Library,
    /// Sorted by id.
    pub branches: Vec<Branch>,
    /// System-wide entries; branch entries live on their branch.
    pub faqs: Vec<Faq>,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone)]
pub struct Library {
    pub name: String,
    pub timezone: Tz,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub exceptions: Vec<Exception>,
    /// Canonical phrase and the words patrons use for it.
    pub synonyms: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone)]
pub struct Branch {
    /// The file stem of `branches/<id>.toml`.
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub address: String,
    pub phone: String,
    pub email: Option<String>,
    pub services: Vec<String>,
    pub notes: Option<String>,
    pub hours: WeeklyHours,
    pub exceptions: Vec<Exception>,
    pub faqs: Vec<Faq>,
    pub origin: Origin,
}

/// Opening ranges for one day; empty means closed all day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayHours {
    pub ranges: Vec<TimeRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub open: NaiveTime,
    pub close: NaiveTime,
}

/// Regular hours, Monday first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyHours {
    pub days: [DayHours; 7],
}

/// A change to the regular hours on one date or a range of dates.
#[derive(Debug, Clone)]
pub struct Exception {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub reason: Option<String>,
    pub change: HoursChange,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoursChange {
    Closed,
    /// Replaces the day's hours (may itself be closed).
    Hours(DayHours),
    /// Opens as usual and closes at this time.
    CloseAt(NaiveTime),
}

#[derive(Debug, Clone)]
pub struct Faq {
    pub id: String,
    pub question: String,
    pub variants: Vec<String>,
    pub answer: String,
    pub tags: Vec<String>,
    pub origin: Origin,
}

/// An event with every occurrence expanded, from TOML or iCalendar.
#[derive(Debug, Clone)]
pub struct Event {
    pub title: String,
    /// None for online or system-wide events.
    pub branch: Option<String>,
    /// Start times in the library's time zone, sorted, repeats and exclusions applied.
    pub occurrences: Vec<NaiveDateTime>,
    pub duration: Option<Duration>,
    /// A whole-day event (iCalendar `VALUE=DATE`): no start time to show.
    pub all_day: bool,
    pub audience: Option<String>,
    pub description: Option<String>,
    pub link: Option<String>,
    pub origin: Origin,
}

impl DayHours {
    pub fn closed() -> Self {
        DayHours::default()
    }

    pub fn is_closed(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn first_open(&self) -> Option<NaiveTime> {
        self.ranges.first().map(|range| range.open)
    }

    pub fn last_close(&self) -> Option<NaiveTime> {
        self.ranges.last().map(|range| range.close)
    }

    /// The range open at `time`, if any (open inclusive, close exclusive).
    pub fn range_at(&self, time: NaiveTime) -> Option<TimeRange> {
        self.ranges
            .iter()
            .copied()
            .find(|range| range.open <= time && time < range.close)
    }
}

impl WeeklyHours {
    pub fn on(&self, weekday: chrono::Weekday) -> &DayHours {
        &self.days[weekday.num_days_from_monday() as usize]
    }
}

impl Exception {
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

impl Knowledge {
    pub fn branch(&self, id: &str) -> Option<&Branch> {
        self.branches
            .binary_search_by(|branch| branch.id.as_str().cmp(id))
            .ok()
            .map(|index| &self.branches[index])
    }

    /// The FAQ entry with this id as a patron of `branch` should see it:
    /// the branch's own entry when it has one, else the system-wide one.
    pub fn faq(&self, id: &str, branch: Option<&str>) -> Option<&Faq> {
        branch
            .and_then(|branch_id| self.branch(branch_id))
            .and_then(|branch| branch.faqs.iter().find(|faq| faq.id == id))
            .or_else(|| self.faqs.iter().find(|faq| faq.id == id))
    }

    /// The hours in force at `branch` on `date` and the exception that set them, if any.
    /// A branch exception wins over a library-wide one on the same day.
    pub fn hours_on<'a>(&'a self, branch: &'a Branch, date: NaiveDate) -> (DayHours, Option<&'a Exception>) {
        let regular = branch.hours.on(date.weekday());
        let exception = branch
            .exceptions
            .iter()
            .find(|exception| exception.covers(date))
            .or_else(|| self.library.exceptions.iter().find(|exception| exception.covers(date)));
        let Some(exception) = exception else {
            return (regular.clone(), None);
        };
        let hours = match &exception.change {
            HoursChange::Closed => DayHours::closed(),
            HoursChange::Hours(hours) => hours.clone(),
            HoursChange::CloseAt(close_at) => DayHours {
                ranges: regular
                    .ranges
                    .iter()
                    .filter(|range| range.open < *close_at)
                    .map(|range| TimeRange {
                        open: range.open,
                        close: range.close.min(*close_at),
                    })
                    .collect(),
            },
        };
        (hours, Some(exception))
    }
}
