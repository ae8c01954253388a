//! TEMPORARY STUB until the real date parser lands.
use chrono::{NaiveDate, NaiveTime, Weekday};
pub struct NamedDay {
    pub name: String,
    pub date: NaiveDate,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    Now,
    Day {
        date: NaiveDate,
        holiday: Option<String>,
    },
    Weekday {
        weekday: Weekday,
        next: NaiveDate,
        plural: bool,
    },
    Range {
        from: NaiveDate,
        to: NaiveDate,
    },
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenMention {
    pub when: When,
    pub time: Option<NaiveTime>,
}
pub fn find_when(text: &str, today: NaiveDate, _named_days: &[NamedDay]) -> Option<WhenMention> {
    let text = text.to_lowercase();
    if text.contains("now") {
        return Some(WhenMention {
            when: When::Now,
            time: None,
        });
    }
    if text.contains("tomorrow") {
        return Some(WhenMention {
            when: When::Day {
                date: today.succ_opt()?,
                holiday: None,
            },
            time: None,
        });
    }
    None
}
