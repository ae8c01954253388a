//! Owns reading WHEN a patron's message is about (now, a day, a weekday, a weekend or week, a holiday, a clock time) against a caller-supplied `today`.
//!
//! Pure and allocation-light: one pass of tokenising, then a few scans over
//! the tokens. No regexes, no clock, no IO, so it can run on every message.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, Weekday};

/// A day the library names, e.g. from an exception's reason ("Christmas Eve: all branches close at 2 pm")
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDay {
    pub name: String,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// The present moment: "now", "right now", "rn", "currently", "at the moment", "still open", "open yet", "atm"
    Now,
    /// One day. `holiday` is the holiday's display name when the patron named one ("Christmas Day").
    Day { date: NaiveDate, holiday: Option<String> },
    /// A weekday in general: "mondays", "on sundays", "monday" when not clearly one date. `next` is the next such day from today (today itself if today is that weekday). `plural` is true for "mondays"/"every monday"/"on weekends"-style wording.
    Weekday {
        weekday: Weekday,
        next: NaiveDate,
        plural: bool,
    },
    /// An inclusive range of days: "this weekend", "next weekend", "last weekend", "this week", "next week", "last week", "this month", "next month".
    Range { from: NaiveDate, to: NaiveDate },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenMention {
    pub when: When,
    /// a clock time the patron named ("at 7pm", "at 7:30 pm", "by 6", "at 19:00", "at noon")
    pub time: Option<NaiveTime>,
}

/// `text` is the raw message (any case, punctuation, typos). `named_days` come from the knowledge base and win over the built-in holiday list when their names match.
pub fn find_when(text: &str, today: NaiveDate, named_days: &[NamedDay]) -> Option<WhenMention> {
    find_when_named(text, today, &NamedDays::new(named_days))
}

/// The knowledge base's named days, tokenized once per snapshot rather than once per message.
#[derive(Debug, Default)]
pub struct NamedDays {
    /// (the name's words, its display name, the date), without duplicates.
    days: Vec<(Vec<String>, String, NaiveDate)>,
}

impl NamedDays {
    pub fn new(named_days: &[NamedDay]) -> Self {
        let mut days: Vec<(Vec<String>, String, NaiveDate)> = Vec::new();
        for day in named_days {
            let display = display_name(&day.name);
            let words: Vec<String> = tokenize(display).iter().map(|t| canon(&t.word).to_string()).collect();
            if words.is_empty() || days.iter().any(|(known, _, date)| *known == words && *date == day.date) {
                continue;
            }
            days.push((words, display.to_string(), day.date));
        }
        NamedDays { days }
    }
}

/// `find_when` with the named days prepared in advance.
pub fn find_when_named(text: &str, today: NaiveDate, named_days: &NamedDays) -> Option<WhenMention> {
    let toks = tokenize(text);
    if toks.is_empty() {
        return None;
    }
    let mut scan = Scan {
        used: vec![false; toks.len()],
        toks,
        today,
        found: Vec::new(),
    };
    // Order matters: each pass claims its tokens so later, looser passes
    // cannot reread them ("black friday" is not a Friday, "4th of july" is not
    // a lone ordinal, "12/24" is not a clock time).
    scan.holidays(named_days);
    scan.numeric_dates();
    scan.month_dates();
    scan.lone_ordinals();
    scan.whole_months();
    let time = scan.clock_time();
    scan.words();

    // "open tmrw? need to print before xmas", "before my trip on the 20th": a day a few words
    // after "before", "by" or "until" in the same clause is a deadline the patron mentions,
    // not the day asked about, whenever another day is named.
    let Scan { toks, mut found, .. } = scan;
    // "the weekend after next, is it open on the saturday", "next week, tuesday maybe": a
    // weekday said beside a week or a weekend is that day of it, not the coming one.
    let spans: Vec<(NaiveDate, NaiveDate)> = found
        .iter()
        .filter_map(|found| match found.when {
            When::Range { from, to } if (to - from).num_days() < 7 => Some((from, to)),
            _ => None,
        })
        .collect();
    if let [(from, to)] = spans.as_slice() {
        for found in &mut found {
            if let When::Weekday {
                weekday,
                ref mut next,
                plural: false,
            } = found.when
                && !(*from..=*to).contains(next)
                && let Some(inside) = (*from.max(&today))
                    .iter_days()
                    .take_while(|day| day <= to)
                    .find(|day| day.weekday() == weekday)
            {
                *next = inside;
            }
        }
    }
    let asked = |found: &Found| {
        !toks[..found.pos]
            .iter()
            .rev()
            .take(6)
            .take_while(|tok| !tok.ends_clause)
            .any(|tok| {
                matches!(
                    tok.word.as_str(),
                    "before" | "after" | "by" | "until" | "till" | "til" | "since"
                )
            })
    };
    // "chinatown open saturday? doing the new years shopping down there": when the patron
    // marks a question, a day named in it outranks one in the sentences that tell why.
    let in_question = |found: &Found| {
        toks[found.pos..]
            .iter()
            .find_map(|tok| tok.ends_sentence)
            .is_some_and(|end| end == SentenceEnd::Question)
    };
    // "open yet this morning": the present moment is the more exact way of naming today.
    let names_now = found.iter().any(|found| found.when == When::Now);
    let rank = |found: &Found| match found.when {
        When::Day { date, holiday: None } if names_now && date == today => 0,
        _ => found.rank,
    };
    let best = found.into_iter().max_by(|a, b| {
        asked(a)
            .cmp(&asked(b))
            .then(in_question(a).cmp(&in_question(b)))
            .then(rank(a).cmp(&rank(b)))
            .then(b.pos.cmp(&a.pos))
    });
    match best {
        // A clock time next to "now" contradicts it; the present moment is what was asked.
        Some(Found { when: When::Now, .. }) => Some(WhenMention {
            when: When::Now,
            time: None,
        }),
        Some(found) => Some(WhenMention { when: found.when, time }),
        None => time.map(|time| WhenMention {
            when: When::Day {
                date: today,
                holiday: None,
            },
            time: Some(time),
        }),
    }
}

// Specificity ranks: when a message holds several mentions, the highest wins
// and ties go to the earliest.
const RANK_DATE: u8 = 60;
const RANK_RELATIVE: u8 = 50;
const RANK_WEEKDAY: u8 = 40;
const RANK_NOW: u8 = 35;
const RANK_WEEKDAYS: u8 = 30;
const RANK_WEEKEND: u8 = 20;
const RANK_WEEK: u8 = 15;
const RANK_MONTH: u8 = 10;

struct Found {
    rank: u8,
    pos: usize,
    when: When,
}

struct Tok {
    /// Lowercase ASCII, apostrophes dropped ("new year's" -> "years"), digits
    /// kept glued by ':' '/' '-' '.' so "7:30pm" and "12/24/2026" stay whole.
    word: String,
    /// Ended in an apostrophe-s, so "sunday's" is one Sunday, not "sundays".
    poss: bool,
    /// Right after a currency sign: "$5" is never a day or a time.
    money: bool,
    pct: bool,
    /// Followed by punctuation that ends a clause ("the 15th? my holds"): what comes next
    /// does not modify this word.
    ends_clause: bool,
    /// Followed by a question mark or other sentence end: which sentence asks.
    ends_sentence: Option<SentenceEnd>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SentenceEnd {
    Question,
    Statement,
}

impl Tok {
    fn base(&self) -> &str {
        if self.poss {
            self.word.strip_suffix('s').unwrap_or(&self.word)
        } else {
            &self.word
        }
    }
}

/// Whether a single word only says when (a weekday, month, date number, day part), so
/// that topic matching can leave it out. "may", "sat", "sun" and "wed" are ordinary
/// words too and do not count.
pub fn is_calendar_word(word: &str) -> bool {
    const DAY_WORDS: &[&str] = &[
        "today",
        "tonight",
        "weekend",
        "weekends",
        "week",
        "morning",
        "afternoon",
        "evening",
        "night",
        "am",
        "pm",
        "noon",
        "midnight",
    ];
    DAY_WORDS.contains(&word)
        || is_tomorrow(word)
        || is_yesterday(word)
        || weekday_word(word).is_some_and(|(_, form)| form != WdForm::Loose)
        || (word != "may" && month_of(word).is_some())
        || (!word.is_empty() && all_digits(word))
        || ordinal_digits(word).is_some()
}

fn tokenize(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let n = chars.len();
    let alnum_at = |k: usize| k < n && chars[k].is_ascii_alphanumeric();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        if c == '@' {
            toks.push(Tok {
                word: "at".to_string(),
                poss: false,
                money: false,
                pct: false,
                ends_clause: false,
                ends_sentence: None,
            });
            i += 1;
            continue;
        }
        if !c.is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let money = i > 0 && matches!(chars[i - 1], '$' | '£' | '€');
        let mut word = String::new();
        let mut poss = false;
        while i < n {
            let c = chars[i];
            // "p.m." would otherwise split into "p" and "m" and lose the meridiem.
            if matches!(c, 'a' | 'p')
                && word.chars().all(|d| d.is_ascii_digit() || d == ':')
                && chars.get(i + 1) == Some(&'.')
                && chars.get(i + 2) == Some(&'m')
                && !alnum_at(i + 3)
            {
                word.push(c);
                word.push('m');
                i += 3;
                if chars.get(i) == Some(&'.') {
                    i += 1;
                }
                break;
            }
            if c.is_ascii_alphanumeric() {
                word.push(c);
                i += 1;
                continue;
            }
            let (Some(prev), Some(&next)) = (word.chars().last(), chars.get(i + 1)) else {
                break;
            };
            if matches!(c, '\'' | '’' | '‘') && prev.is_ascii_alphabetic() && next.is_ascii_alphabetic() {
                poss = next == 's' && !alnum_at(i + 2);
                i += 1;
            } else if matches!(c, ':' | '/' | '-' | '.') && prev.is_ascii_digit() && next.is_ascii_digit() {
                word.push(c);
                i += 1;
            } else {
                break;
            }
        }
        let pct = chars.get(i) == Some(&'%');
        let punctuation = chars[i..].iter().find(|c| !c.is_whitespace());
        let ends_clause = punctuation.is_some_and(|c| matches!(c, '?' | '!' | '.' | ',' | ';'));
        let ends_sentence = match punctuation {
            Some('?') => Some(SentenceEnd::Question),
            Some('!' | '.') => Some(SentenceEnd::Statement),
            _ => None,
        };
        toks.push(Tok {
            word,
            poss,
            money,
            pct,
            ends_clause,
            ends_sentence,
        });
    }
    toks
}

struct Scan {
    toks: Vec<Tok>,
    used: Vec<bool>,
    today: NaiveDate,
    found: Vec<Found>,
}

impl Scan {
    fn word(&self, i: usize) -> Option<&str> {
        self.toks.get(i).map(|t| t.word.as_str())
    }

    fn back(&self, i: usize, by: usize) -> Option<&str> {
        i.checked_sub(by).and_then(|k| self.word(k))
    }

    fn back_is(&self, i: usize, by: usize, options: &[&str]) -> bool {
        self.back(i, by).is_some_and(|w| options.contains(&w))
    }

    fn mark(&mut self, from: usize, to: usize) {
        let to = to.min(self.used.len());
        for slot in &mut self.used[from..to] {
            *slot = true;
        }
    }

    fn push(&mut self, rank: u8, pos: usize, when: When) {
        self.found.push(Found { rank, pos, when });
    }

    /// Dates this close behind today still mean this year: "dec 1" asked on
    /// Dec 3 is about last week, not next December.
    fn floor(&self) -> NaiveDate {
        self.today.checked_sub_days(Days::new(7)).unwrap_or(self.today)
    }

    fn resolve_year(&self, month: u32, day: u32) -> Option<NaiveDate> {
        let year = self.today.year();
        NaiveDate::from_ymd_opt(year, month, day)
            .filter(|d| *d >= self.floor())
            .or_else(|| NaiveDate::from_ymd_opt(year + 1, month, day))
    }

    fn dated(&self, year: Option<i32>, month: u32, day: u32) -> Option<NaiveDate> {
        match year {
            Some(year) => NaiveDate::from_ymd_opt(year, month, day),
            None => self.resolve_year(month, day),
        }
    }

    fn match_phrase<'w>(&self, i: usize, words: impl Iterator<Item = &'w str> + Clone) -> Option<usize> {
        // Exact and typo matches both keep the first letter, so most phrases
        // are ruled out before counting their words.
        let first = canon(&self.toks.get(i)?.word).as_bytes().first();
        if words.clone().next()?.as_bytes().first() != first {
            return None;
        }
        let count = words.clone().count();
        if i + count > self.toks.len() {
            return None;
        }
        for (k, w) in words.enumerate() {
            if self.used[i + k] || !phrase_word_matches(canon(&self.toks[i + k].word), w, count == 1) {
                return None;
            }
        }
        Some(count)
    }

    fn holidays(&mut self, named_days: &NamedDays) {
        let named = &named_days.days;
        let floor = self.floor();
        let mut i = 0;
        while i < self.toks.len() {
            let phrase = |words: &[String]| self.match_phrase(i, words.iter().map(String::as_str));
            let named_len = named.iter().filter_map(|(w, _, _)| phrase(w)).max().unwrap_or(0);
            let lead = canon(&self.toks[i].word).as_bytes().first();
            let mut built: Option<(usize, &Holiday)> = None;
            for holiday in HOLIDAYS {
                for alias in holiday.aliases {
                    if alias.as_bytes().first() == lead
                        && let Some(len) = self.match_phrase(i, alias.split(' '))
                        && built.is_none_or(|(best, _)| len > best)
                    {
                        built = Some((len, holiday));
                    }
                }
            }
            let built_len = built.map_or(0, |(len, _)| len);
            if named_len == 0 && built_len == 0 {
                i += 1;
                continue;
            }

            let mut pick = None;
            if named_len >= built_len {
                pick = upcoming_named(named.iter().filter(|(w, _, _)| phrase(w) == Some(named_len)), floor);
            }
            if pick.is_none()
                && let Some((_, holiday)) = built
            {
                // The library's own entry for the same holiday knows the real
                // date and name, even when the patron used an alias of it.
                pick = upcoming_named(named.iter().filter(|(w, _, _)| holiday.is_called(w)), floor).or_else(|| {
                    holiday
                        .upcoming(self.today, floor)
                        .map(|date| (date, holiday.name.to_string()))
                });
            }
            if pick.is_none() {
                // Only past entries in the knowledge base: the latest is the best guess.
                pick = named
                    .iter()
                    .filter(|(w, _, _)| phrase(w) == Some(named_len))
                    .max_by_key(|(_, _, date)| *date)
                    .map(|(_, name, date)| (*date, (*name).to_string()));
            }

            let len = named_len.max(built_len);
            self.mark(i, i + len);
            if let Some((date, name)) = pick {
                match self.day_beside_holiday(i, date) {
                    Some((start, date)) => {
                        self.mark(start, i);
                        self.push(RANK_DATE, start, When::Day { date, holiday: None });
                    }
                    None => self.push(
                        RANK_DATE,
                        i,
                        When::Day {
                            date,
                            holiday: Some(name),
                        },
                    ),
                }
            }
            i += len;
        }
    }

    /// "the day after xmas", "the sunday after christmas", "the friday before thanksgiving": a day
    /// counted from the holiday at `i`, and where its words start.
    fn day_beside_holiday(&self, i: usize, holiday: NaiveDate) -> Option<(usize, NaiveDate)> {
        let forward = match self.back(i, 1)? {
            "after" => true,
            "before" => false,
            _ => return None,
        };
        let day_word = self.back(i, 2)?;
        let date = if day_word == "day" {
            shift(holiday, if forward { 1 } else { -1 })?
        } else {
            let (weekday, form) = weekday_word(day_word)?;
            if !matches!(form, WdForm::Full | WdForm::Short) {
                return None;
            }
            let mut date = holiday;
            loop {
                date = shift(date, if forward { 1 } else { -1 })?;
                if date.weekday() == weekday {
                    break date;
                }
            }
        };
        Some((i - 2, date))
    }

    /// "12/24", "1/18", "12/24/2026", "2026-12-25", "12-24".
    fn numeric_dates(&mut self) {
        for i in 0..self.toks.len() {
            let tok = &self.toks[i];
            if self.used[i] || tok.money || tok.pct {
                continue;
            }
            let sep = if tok.word.contains('/') {
                '/'
            } else if tok.word.contains('-') {
                '-'
            } else {
                continue;
            };
            let parts: Vec<&str> = tok.word.split(sep).collect();
            if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4 || !all_digits(p)) {
                continue;
            }
            let nums: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
            let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
            let date = match (nums.as_slice(), lens.as_slice()) {
                ([y, m, d], [4, 1..=2, 1..=2]) => NaiveDate::from_ymd_opt(*y as i32, *m, *d),
                ([m, d, y], [1..=2, 1..=2, 4]) => NaiveDate::from_ymd_opt(*y as i32, *m, *d),
                ([m, d, y], [1..=2, 1..=2, 2]) => NaiveDate::from_ymd_opt(2000 + *y as i32, *m, *d),
                ([m, d], [1..=2, day_len @ 1..=2]) if self.two_part_date_ok(i, sep, *day_len) => {
                    self.resolve_year(*m, *d)
                }
                _ => continue,
            };
            self.used[i] = true;
            if let Some(date) = date {
                self.push(RANK_DATE, i, When::Day { date, holiday: None });
            }
        }
    }

    /// Two bare numbers are as often ages, fractions and hour ranges as
    /// dates ("ages 10-12", "1/2 hour", "open 9-5").
    fn two_part_date_ok(&self, i: usize, sep: char, day_len: usize) -> bool {
        if self
            .word(i + 1)
            .is_some_and(|w| is_count_noun(w) || matches!(w, "of" | "am" | "pm"))
        {
            return false;
        }
        if self.back_is(i, 1, &["age", "ages", "aged", "grade", "grades"]) {
            return false;
        }
        sep == '/' || (day_len == 2 && !self.back_is(i, 1, &["from", "between", "open", "opens", "hours", "kids"]))
    }

    /// "december 15", "dec. 3rd", "december the 3rd", "15 december", "15th of december", with an optional year.
    fn month_dates(&mut self) {
        for i in 0..self.toks.len() {
            if self.used[i] {
                continue;
            }
            let Some(month) = month_of(&self.toks[i].word) else {
                continue;
            };
            let mut j = i + 1;
            if self.word(j) == Some("the") {
                j += 1;
            }
            if let Some((day, plain)) = self.day_at(j)
                && self.month_day_follow_ok(i, j + 1, plain)
            {
                let (year, end) = self.year_at(j + 1);
                self.mark(i, end);
                if let Some(date) = self.dated(year, month, day) {
                    self.push(RANK_DATE, i, When::Day { date, holiday: None });
                }
                continue;
            }
            let Some(mut j) = i.checked_sub(1) else {
                continue;
            };
            if self.word(j) == Some("of") {
                let Some(k) = j.checked_sub(1) else {
                    continue;
                };
                j = k;
            }
            if let Some((day, _)) = self.day_at(j) {
                let (year, end) = self.year_at(i + 1);
                self.mark(j, end);
                if let Some(date) = self.dated(year, month, day) {
                    self.push(RANK_DATE, j, When::Day { date, holiday: None });
                }
            }
        }
    }

    /// "may" and "march" are also verbs: "may 3 of us come?" is no date.
    fn month_day_follow_ok(&self, month_at: usize, k: usize, plain: bool) -> bool {
        let next = self.word(k);
        if next.is_some_and(is_count_noun) {
            return false;
        }
        let verb_like = matches!(self.word(month_at), Some("may" | "march" | "mar"));
        !(plain && verb_like && next.is_some() && !self.follow_ok(k))
    }

    fn day_at(&self, j: usize) -> Option<(u32, bool)> {
        let tok = self.toks.get(j)?;
        if self.used[j] || tok.money || tok.pct {
            return None;
        }
        let w = tok.word.as_str();
        if (1..=2).contains(&w.len()) && all_digits(w) {
            return w.parse().ok().filter(|d| (1..=31).contains(d)).map(|d| (d, true));
        }
        ordinal_digits(w).or_else(|| ordinal_word(w)).map(|d| (d, false))
    }

    fn year_at(&self, k: usize) -> (Option<i32>, usize) {
        match self.toks.get(k) {
            Some(tok) if !tok.money && tok.word.len() == 4 && all_digits(&tok.word) => match tok.word.parse::<i32>() {
                Ok(year) if (1900..=2100).contains(&year) => (Some(year), k + 1),
                _ => (None, k),
            },
            _ => (None, k),
        }
    }

    /// Words that may follow a date without making its number something else
    /// ("the 3rd floor", "may 3 of us").
    fn follow_ok(&self, k: usize) -> bool {
        let Some(w) = self.word(k) else {
            return true;
        };
        if k > 0 && self.toks[k - 1].ends_clause {
            return true;
        }
        FOLLOW_WORDS.contains(&w) || weekday_word(w).is_some() || looks_like_time(w)
    }

    /// "the 12th", "on the 3rd", "sunday the 20th": this month while that
    /// day is still ahead, else next month.
    fn lone_ordinals(&mut self) {
        for i in 0..self.toks.len() {
            let tok = &self.toks[i];
            if self.used[i] || tok.money {
                continue;
            }
            let Some(day) = ordinal_digits(&tok.word) else {
                continue;
            };
            let anchored = self.back_is(i, 1, &["the", "on"]) || self.back(i, 1).and_then(weekday_word).is_some();
            if !anchored || !self.follow_ok(i + 1) {
                continue;
            }
            self.used[i] = true;
            let (mut year, mut month) = (self.today.year(), self.today.month());
            if day < self.today.day() {
                (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
            }
            if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
                self.push(RANK_DATE, i, When::Day { date, holiday: None });
            }
        }
    }

    /// "sometime in january", "during february": a whole month, from today when it is this
    /// month, otherwise its next coming. Only after "in" or "during", so "march" the verb and
    /// "may" the modal never read as months.
    fn whole_months(&mut self) {
        for i in 0..self.toks.len() {
            if self.used[i] || !self.back_is(i, 1, &["in", "during"]) {
                continue;
            }
            let word = self.toks[i].word.as_str();
            let Some(month) = month_of(word).filter(|_| word != "may") else {
                continue;
            };
            let today = self.today;
            let year = if month < today.month() {
                today.year() + 1
            } else {
                today.year()
            };
            let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
                continue;
            };
            let Some(last) = first
                .checked_add_months(Months::new(1))
                .and_then(|next| next.pred_opt())
            else {
                continue;
            };
            self.used[i] = true;
            self.push(
                RANK_MONTH,
                i,
                When::Range {
                    from: first.max(today),
                    to: last,
                },
            );
        }
    }

    /// The first clock time in the message.
    fn clock_time(&mut self) -> Option<NaiveTime> {
        let hint = self.meridiem_hint();
        for i in 0..self.toks.len() {
            let tok = &self.toks[i];
            if self.used[i] || tok.money || tok.pct {
                continue;
            }
            if let Some((raw, len)) = self.time_at(i)
                && let Some(time) = raw.resolve(hint)
            {
                self.mark(i, i + len);
                return Some(time);
            }
        }
        None
    }

    /// "at 8 tonight" is 8 pm and "tomorrow morning at 7" is 7 am, whatever
    /// the bare-hour guess would say.
    fn meridiem_hint(&self) -> Option<Half> {
        self.toks.iter().find_map(|t| match t.base() {
            "tonight" | "tonite" | "2nite" | "evening" | "night" | "afternoon" => Some(Half::Pm),
            "morning" => Some(Half::Am),
            _ => None,
        })
    }

    fn time_at(&self, i: usize) -> Option<(RawTime, usize)> {
        let w = self.word(i)?;
        match w {
            "noon" | "midday" => return Some((RawTime::new(12, 0, Clock::H24), 1)),
            "midnight" => return Some((RawTime::new(0, 0, Clock::H24), 1)),
            _ => {}
        }
        for (suffix, clock) in [("am", Clock::Am), ("pm", Clock::Pm)] {
            if let Some(core) = w.strip_suffix(suffix) {
                // "2-4pm" starts at 2 pm, but "11-1pm" starts at 11 am.
                let (first, clock) = match core.split_once('-') {
                    Some((from, to)) => {
                        let (from_h, _) = hour_minute(from, true)?;
                        let (to_h, _) = hour_minute(to, true)?;
                        (from, if from_h % 12 > to_h % 12 { clock.other() } else { clock })
                    }
                    None => (core, clock),
                };
                let (h, m) = hour_minute(first, true)?;
                return (1..=12).contains(&h).then_some((RawTime::new(h, m, clock), 1));
            }
        }
        let (h, m) = hour_minute(w, false)?;
        let colon = w.contains(':');
        match self.word(i + 1) {
            Some("am") if (1..=12).contains(&h) => return Some((RawTime::new(h, m, Clock::Am), 2)),
            Some("pm") if (1..=12).contains(&h) => return Some((RawTime::new(h, m, Clock::Pm), 2)),
            Some("oclock") if (1..=12).contains(&h) && !colon => {
                return Some((RawTime::new(h, 0, Clock::Loose), 2));
            }
            _ => {}
        }
        if colon {
            let clock = if (1..=12).contains(&h) {
                Clock::Loose
            } else {
                Clock::H24
            };
            return Some((RawTime::new(h, m, clock), 1));
        }
        // A bare number is a time only when introduced like one: "at 7", "by 6", "around 8".
        const LEADS: &[&str] = &["at", "by", "around"];
        let led = self.back_is(i, 1, LEADS)
            || (self.back_is(i, 1, &["about", "approx", "approximately", "like"]) && self.back_is(i, 2, LEADS));
        // Look two ahead so an adjective can't hide the count: "at 5 overdue items".
        let counted =
            self.word(i + 1) == Some("of") || [i + 1, i + 2].iter().any(|&k| self.word(k).is_some_and(is_count_noun));
        (led && !counted && (1..=12).contains(&h)).then_some((RawTime::new(h, 0, Clock::Loose), 1))
    }

    /// Relative days, the present moment, weekdays, weekends, weeks, months.
    fn words(&mut self) {
        for i in 0..self.toks.len() {
            if self.used[i] {
                continue;
            }
            let base = self.toks[i].base();
            let found = if let Some(date) = self.relative_day(i, base) {
                Some((RANK_RELATIVE, When::Day { date, holiday: None }))
            } else if self.is_now(i, base) {
                Some((RANK_NOW, When::Now))
            } else {
                self.weekday_mention(i, base).or_else(|| self.span_mention(i, base))
            };
            if let Some((rank, when)) = found {
                self.push(rank, i, when);
            }
        }
    }

    fn relative_day(&self, i: usize, base: &str) -> Option<NaiveDate> {
        let today = self.today;
        match base {
            "today" | "todays" | "2day" | "tonight" | "tonite" | "2nite" => Some(today),
            "morning" | "afternoon" | "evening" if self.back_is(i, 1, &["this"]) => Some(today),
            _ if is_tomorrow(base) => {
                let after = self.back_is(i, 1, &["after"]) && self.back_is(i, 2, &["day"]);
                shift(today, if after { 2 } else { 1 })
            }
            _ if is_yesterday(base) => {
                let before = self.back_is(i, 1, &["before"]) && self.back_is(i, 2, &["day"]);
                shift(today, if before { -2 } else { -1 })
            }
            _ => None,
        }
    }

    fn is_now(&self, i: usize, base: &str) -> bool {
        match base {
            "now" | "rn" | "currently" => true,
            // "is there an atm" is the cash machine.
            "atm" => {
                !self.back_is(i, 1, &["a", "an", "the", "any", "nearest", "your"])
                    && !self
                        .word(i + 1)
                        .is_some_and(|w| matches!(w, "machine" | "machines" | "card" | "cards" | "fee" | "fees"))
            }
            "moment" => self.back_is(i, 1, &["the", "this"]) && self.back_is(i, 2, &["at"]),
            // "open right this minute?", "this very second".
            "minute" | "second" | "sec" => {
                self.back_is(i, 1, &["this"]) || self.back_is(i, 1, &["very"]) && self.back_is(i, 2, &["this"])
            }
            "still" => self.word(i + 1) == Some("open"),
            "yet" => self.back_is(i, 1, &["open", "opened"]),
            _ => false,
        }
    }

    fn weekday_mention(&self, i: usize, base: &str) -> Option<(u8, When)> {
        let (weekday, form) = weekday_word(base)?;
        if form == WdForm::Loose && !self.loose_weekday_ok(i) {
            return None;
        }
        let today = self.today;
        let plural = form == WdForm::Plural || self.back_is(i, 1, &["every", "each"]);
        let rank = if plural { RANK_WEEKDAYS } else { RANK_WEEKDAY };
        if !plural && self.back_is(i, 1, &["last", "past"]) {
            let since = (today.weekday().num_days_from_monday() + 7 - weekday.num_days_from_monday()) % 7;
            let back = if since == 0 { 7 } else { i64::from(since) };
            let date = shift(today, -back)?;
            return Some((RANK_RELATIVE, When::Day { date, holiday: None }));
        }
        // "this coming sunday" asked on a Sunday is a week away, like "next sunday".
        let next = if self.back_is(i, 1, &["next", "following", "coming"]) {
            on_or_after(shift(today, 1)?, weekday)?
        } else {
            on_or_after(today, weekday)?
        };
        Some((rank, When::Weekday { weekday, next, plural }))
    }

    /// "sat", "sun" and "wed" are everyday words; read them as days only
    /// where a day is expected.
    fn loose_weekday_ok(&self, i: usize) -> bool {
        const BEFORE: &[&str] = &[
            "on",
            "this",
            "next",
            "every",
            "each",
            "coming",
            "til",
            "till",
            "until",
            "thru",
            "through",
            "to",
            "and",
            "or",
            "open",
            "closed",
            "hours",
            "hrs",
            "for",
            "from",
            "last",
            "before",
            "after",
            "by",
            "except",
            "following",
        ];
        if self.toks.len() == 1 {
            return true;
        }
        let before = self
            .back(i, 1)
            .is_some_and(|p| BEFORE.contains(&p) || weekday_word(p).is_some());
        let after = self.word(i + 1).is_some_and(|w| {
            weekday_word(w).is_some()
                || month_of(w).is_some()
                || ordinal_digits(w).is_some()
                || w.contains('/')
                || matches!(w, "hours" | "hrs")
        });
        before || after
    }

    /// "the week after next", "the weekend after next".
    fn after_next(&self, i: usize) -> bool {
        self.word(i + 1) == Some("after")
            && self.word(i + 2) == Some("next")
            // "the week after next monday" counts from a day instead.
            && !self.word(i + 3).is_some_and(|w| weekday_word(w).is_some() || matches!(w, "week" | "wk" | "weekend" | "wknd" | "month"))
    }

    fn span_mention(&self, i: usize, base: &str) -> Option<(u8, When)> {
        let today = self.today;
        let next = self.back_is(i, 1, &["next", "following"]);
        let last = self.back_is(i, 1, &["last", "past"]);
        match base {
            "weekends" | "wknds" => Some(self.weekends()),
            "weekend" | "wknd" if self.back_is(i, 1, &["every", "each"]) => Some(self.weekends()),
            "weekend" | "wknd" => {
                let offset = if self.after_next(i) {
                    2
                } else if next {
                    1
                } else if last {
                    -1
                } else {
                    0
                };
                let (from, to) = weekend(today, offset)?;
                Some((RANK_WEEKEND, When::Range { from, to }))
            }
            "week" | "wk" => {
                let monday = shift(today, -i64::from(today.weekday().num_days_from_monday()))?;
                let (from, to) = if self.back_is(i, 1, &["this", "coming"]) {
                    (today, shift(monday, 6)?)
                } else if self.after_next(i) {
                    (shift(monday, 14)?, shift(monday, 20)?)
                } else if next {
                    (shift(monday, 7)?, shift(monday, 13)?)
                } else if last {
                    (shift(monday, -7)?, shift(monday, -1)?)
                } else {
                    return None;
                };
                Some((RANK_WEEK, When::Range { from, to }))
            }
            "month" => {
                let first = today.with_day(1)?;
                let (from, to) = if self.back_is(i, 1, &["this"]) {
                    (today, first.checked_add_months(Months::new(1))?.pred_opt()?)
                } else if next {
                    let start = first.checked_add_months(Months::new(1))?;
                    (start, start.checked_add_months(Months::new(1))?.pred_opt()?)
                } else {
                    return None;
                };
                Some((RANK_MONTH, When::Range { from, to }))
            }
            _ => None,
        }
    }

    /// "on weekends" is a standing question about Saturdays (and Sundays),
    /// not one weekend.
    fn weekends(&self) -> (u8, When) {
        let next = on_or_after(self.today, Weekday::Sat).unwrap_or(self.today);
        (
            RANK_WEEKDAYS,
            When::Weekday {
                weekday: Weekday::Sat,
                next,
                plural: true,
            },
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Half {
    Am,
    Pm,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Clock {
    Am,
    Pm,
    H24,
    /// No am/pm given: guessed from library hours or the message's wording.
    Loose,
}

#[derive(Clone, Copy)]
struct RawTime {
    hour: u32,
    minute: u32,
    clock: Clock,
}

impl Clock {
    fn other(self) -> Self {
        match self {
            Clock::Am => Clock::Pm,
            Clock::Pm => Clock::Am,
            other => other,
        }
    }
}

impl RawTime {
    fn new(hour: u32, minute: u32, clock: Clock) -> Self {
        RawTime { hour, minute, clock }
    }

    fn resolve(self, hint: Option<Half>) -> Option<NaiveTime> {
        let h = self.hour;
        let hour = match self.clock {
            Clock::Am => h % 12,
            Clock::Pm => h % 12 + 12,
            Clock::H24 => h,
            Clock::Loose => match hint {
                Some(Half::Pm) if (1..=11).contains(&h) => h + 12,
                Some(_) => h,
                // Libraries open around 8-10 and close in the evening, so a
                // bare "at 7" is evening and "at 9" is morning.
                None if (1..=7).contains(&h) => h + 12,
                None => h,
            },
        };
        NaiveTime::from_hms_opt(hour, self.minute, 0)
    }
}

/// "7", "7:30", "19:00"; with a meridiem also "730" and "7.30".
fn hour_minute(core: &str, meridiem: bool) -> Option<(u32, u32)> {
    let split = core.find(':').or_else(|| if meridiem { core.find('.') } else { None });
    let (h, m) = match split {
        Some(at) => (&core[..at], &core[at + 1..]),
        None if meridiem && (3..=4).contains(&core.len()) => core.split_at(core.len() - 2),
        None => (core, "00"),
    };
    if !(1..=2).contains(&h.len()) || m.len() != 2 || !all_digits(h) || !all_digits(m) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 23 && m <= 59).then_some((h, m))
}

fn looks_like_time(w: &str) -> bool {
    matches!(w, "noon" | "midnight" | "am" | "pm")
        || w.contains(':')
        || ((w.ends_with("am") || w.ends_with("pm")) && w.starts_with(|c: char| c.is_ascii_digit()))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn shift(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    let by = Days::new(days.unsigned_abs());
    if days >= 0 {
        date.checked_add_days(by)
    } else {
        date.checked_sub_days(by)
    }
}

fn on_or_after(date: NaiveDate, weekday: Weekday) -> Option<NaiveDate> {
    let ahead = (weekday.num_days_from_monday() + 7 - date.weekday().num_days_from_monday()) % 7;
    shift(date, i64::from(ahead))
}

/// `offset` 0 is the weekend under way or coming up; on a Sunday only the
/// Sunday is left of it.
fn weekend(today: NaiveDate, offset: i64) -> Option<(NaiveDate, NaiveDate)> {
    let saturday = if today.weekday() == Weekday::Sun {
        shift(today, -1)?
    } else {
        on_or_after(today, Weekday::Sat)?
    };
    let saturday = shift(saturday, 7 * offset)?;
    let from = if offset == 0 { saturday.max(today) } else { saturday };
    Some((from, shift(saturday, 1)?))
}

/// Same letter first and at most one edit: catches "thurday" and
/// "chirstmas" without turning "faster" into "easter".
fn near(word: &str, target: &str) -> bool {
    word.len() >= 5
        && target.len() >= 6
        && word.as_bytes().first() == target.as_bytes().first()
        && within_one_edit(word.as_bytes(), target.as_bytes())
}

/// Optimal-string-alignment distance <= 1, so a swapped pair counts as one typo.
fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let Some(k) = (0..a.len()).find(|&k| a[k] != b[k]) else {
                return true;
            };
            a[k + 1..] == b[k + 1..]
                || (k + 1 < a.len() && a[k] == b[k + 1] && a[k + 1] == b[k] && a[k + 2..] == b[k + 2..])
        }
        1 => {
            let k = (0..short.len()).find(|&k| short[k] != long[k]).unwrap_or(short.len());
            short[k..] == long[k + 1..]
        }
        _ => false,
    }
}

fn is_tomorrow(w: &str) -> bool {
    matches!(
        w,
        "tmrw" | "tmr" | "tmrow" | "tmro" | "tmw" | "tomoro" | "tommorow" | "tommorrow" | "2morrow" | "2moro" | "2mrw"
    ) || near(w, "tomorrow")
}

fn is_yesterday(w: &str) -> bool {
    w == "yday" || near(w, "yesterday")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WdForm {
    Full,
    Plural,
    Short,
    /// "sat", "sun", "wed": also ordinary English words.
    Loose,
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

/// Real words one edit from a weekday name.
const NOT_WEEKDAYS: &[&str] = &["sundae", "sundaes", "sundry", "sunray", "sunrays", "frida", "fridays"];

fn weekday_word(w: &str) -> Option<(Weekday, WdForm)> {
    if let Some(&(_, day)) = WEEKDAYS.iter().find(|(name, _)| *name == w) {
        return Some((day, WdForm::Full));
    }
    let stem = w.strip_suffix('s');
    if let Some(stem) = stem
        && let Some(&(_, day)) = WEEKDAYS.iter().find(|(name, _)| *name == stem)
    {
        return Some((day, WdForm::Plural));
    }
    let short = match w {
        "mon" => Some((Weekday::Mon, WdForm::Short)),
        "tue" | "tues" => Some((Weekday::Tue, WdForm::Short)),
        "weds" => Some((Weekday::Wed, WdForm::Short)),
        "thu" | "thur" | "thurs" => Some((Weekday::Thu, WdForm::Short)),
        "fri" => Some((Weekday::Fri, WdForm::Short)),
        "wed" => Some((Weekday::Wed, WdForm::Loose)),
        "sat" => Some((Weekday::Sat, WdForm::Loose)),
        "sun" => Some((Weekday::Sun, WdForm::Loose)),
        // Two edits from "wednesday", but the commonest spellings of it.
        "wensday" | "wendsday" => Some((Weekday::Wed, WdForm::Full)),
        "wensdays" | "wendsdays" => Some((Weekday::Wed, WdForm::Plural)),
        _ => None,
    };
    if short.is_some() || w.len() < 5 || NOT_WEEKDAYS.contains(&w) {
        return short;
    }
    if let Some(&(_, day)) = WEEKDAYS.iter().find(|(name, _)| near(w, name)) {
        return Some((day, WdForm::Full));
    }
    let stem = stem?;
    WEEKDAYS
        .iter()
        .find(|(name, _)| near(stem, name))
        .map(|&(_, day)| (day, WdForm::Plural))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_of(w: &str) -> Option<u32> {
    if w == "sept" {
        return Some(9);
    }
    let index = MONTHS
        .iter()
        .position(|name| *name == w || (w.len() == 3 && name.starts_with(w)))
        .or_else(|| {
            if w == "augusta" {
                return None;
            }
            MONTHS.iter().position(|name| near(w, name))
        })?;
    u32::try_from(index + 1).ok()
}

fn ordinal_digits(w: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"].iter().find_map(|s| w.strip_suffix(s))?;
    if !(1..=2).contains(&digits.len()) || !all_digits(digits) {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn ordinal_word(w: &str) -> Option<u32> {
    const WORDS: [&str; 20] = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
    ];
    if w == "thirtieth" {
        return Some(30);
    }
    WORDS
        .iter()
        .position(|o| *o == w)
        .and_then(|k| u32::try_from(k + 1).ok())
}

const FOLLOW_WORDS: &[&str] = &[
    "at",
    "by",
    "around",
    "from",
    "to",
    "til",
    "till",
    "until",
    "thru",
    "through",
    "and",
    "or",
    "is",
    "are",
    "was",
    "open",
    "opened",
    "closed",
    "close",
    "closing",
    "this",
    "next",
    "in",
    "for",
    "if",
    "please",
    "pls",
    "too",
    "also",
    "morning",
    "afternoon",
    "evening",
    "night",
    "am",
    "pm",
    "hours",
    "hrs",
];

/// Words that make the number before them a count ("20 pages", "3 kids"), not a day or an hour.
fn is_count_noun(w: &str) -> bool {
    const NOUNS: &[&str] = &[
        "year", "yr", "yo", "old", "hour", "hr", "minute", "min", "sec", "second", "day", "week", "wk", "month", "mo",
        "page", "book", "kid", "child", "children", "people", "person", "item", "copy", "copies", "dollar", "buck",
        "cent", "box", "time", "visitor", "student", "adult", "teen", "seat", "ticket", "spot", "guest", "percent",
        "pc", "computer", "dvd", "cd", "hold", "renewal", "chapter", "mile", "floor", "grade", "point",
    ];
    let stems = [Some(w), w.strip_suffix("es"), w.strip_suffix('s')];
    stems.iter().flatten().any(|s| NOUNS.contains(s))
}

/// Spellings the holiday list folds together before matching.
fn canon(w: &str) -> &str {
    match w {
        "xmas" | "xmass" => "christmas",
        _ => w,
    }
}

/// A phrase word matches exactly, or with one typo when long enough that a
/// typo can't land on another word. A one-word phrase needs more length,
/// since no neighbouring word vouches for it.
fn phrase_word_matches(word: &str, target: &str, single: bool) -> bool {
    let min = if single { 8 } else { 6 };
    word == target || (target.len() >= min && word.bytes().all(|b| b.is_ascii_alphabetic()) && near(word, target))
}

/// "Christmas Eve: all branches close at 2 pm" is called "Christmas Eve".
fn display_name(name: &str) -> &str {
    name.split([':', '(']).next().unwrap_or(name).trim()
}

fn upcoming_named<'a>(
    candidates: impl Iterator<Item = &'a (Vec<String>, String, NaiveDate)>,
    floor: NaiveDate,
) -> Option<(NaiveDate, String)> {
    candidates
        .filter(|(_, _, date)| *date >= floor)
        .min_by_key(|(_, _, date)| *date)
        .map(|(_, name, date)| (*date, name.clone()))
}

#[derive(Clone, Copy)]
enum Rule {
    Fixed(u32, u32),
    Nth(u32, u8, Weekday),
    Last(u32, Weekday),
    Easter,
    AfterThanksgiving,
}

struct Holiday {
    name: &'static str,
    rule: Rule,
    /// Normalised phrases (lowercase, no apostrophes), the name's own among them.
    aliases: &'static [&'static str],
}

impl Holiday {
    fn on(&self, year: i32) -> Option<NaiveDate> {
        match self.rule {
            Rule::Fixed(month, day) => NaiveDate::from_ymd_opt(year, month, day),
            Rule::Nth(month, n, weekday) => NaiveDate::from_weekday_of_month_opt(year, month, weekday, n),
            Rule::Last(month, weekday) => NaiveDate::from_weekday_of_month_opt(year, month, weekday, 5)
                .or_else(|| NaiveDate::from_weekday_of_month_opt(year, month, weekday, 4)),
            Rule::Easter => easter(year),
            Rule::AfterThanksgiving => {
                NaiveDate::from_weekday_of_month_opt(year, 11, Weekday::Thu, 4).and_then(|d| d.succ_opt())
            }
        }
    }

    fn upcoming(&self, today: NaiveDate, floor: NaiveDate) -> Option<NaiveDate> {
        self.on(today.year())
            .filter(|d| *d >= floor)
            .or_else(|| self.on(today.year() + 1))
    }

    fn is_called(&self, words: &[String]) -> bool {
        self.aliases
            .iter()
            .any(|alias| alias.split(' ').eq(words.iter().map(String::as_str)))
    }
}

static HOLIDAYS: &[Holiday] = &[
    Holiday {
        name: "New Year's Day",
        rule: Rule::Fixed(1, 1),
        aliases: &["new years day", "new year day", "new years", "new year"],
    },
    Holiday {
        name: "New Year's Eve",
        rule: Rule::Fixed(12, 31),
        aliases: &["new years eve", "new year eve", "nye"],
    },
    Holiday {
        name: "Martin Luther King Jr. Day",
        rule: Rule::Nth(1, 3, Weekday::Mon),
        aliases: &[
            "martin luther king jr day",
            "martin luther king junior day",
            "martin luther king day",
            "martin luther king",
            "mlk jr day",
            "mlk day",
            "mlk",
        ],
    },
    Holiday {
        name: "Presidents' Day",
        rule: Rule::Nth(2, 3, Weekday::Mon),
        aliases: &[
            "presidents day",
            "president day",
            "washingtons birthday",
            "washington birthday",
        ],
    },
    Holiday {
        name: "Memorial Day",
        rule: Rule::Last(5, Weekday::Mon),
        aliases: &["memorial day"],
    },
    Holiday {
        name: "Juneteenth",
        rule: Rule::Fixed(6, 19),
        aliases: &["juneteenth"],
    },
    Holiday {
        name: "Independence Day",
        rule: Rule::Fixed(7, 4),
        aliases: &["independence day", "fourth of july", "4th of july", "july fourth"],
    },
    Holiday {
        name: "Labor Day",
        rule: Rule::Nth(9, 1, Weekday::Mon),
        aliases: &["labor day", "labour day"],
    },
    Holiday {
        name: "Indigenous Peoples' Day",
        rule: Rule::Nth(10, 2, Weekday::Mon),
        aliases: &["indigenous peoples day", "indigenous people day", "indigenous day"],
    },
    Holiday {
        name: "Columbus Day",
        rule: Rule::Nth(10, 2, Weekday::Mon),
        aliases: &["columbus day"],
    },
    Holiday {
        name: "Veterans Day",
        rule: Rule::Fixed(11, 11),
        aliases: &["veterans day", "veteran day", "armistice day"],
    },
    Holiday {
        name: "Thanksgiving Day",
        rule: Rule::Nth(11, 4, Weekday::Thu),
        aliases: &["thanksgiving day", "thanksgiving", "turkey day"],
    },
    Holiday {
        name: "Day after Thanksgiving",
        rule: Rule::AfterThanksgiving,
        aliases: &["day after thanksgiving", "friday after thanksgiving", "black friday"],
    },
    Holiday {
        name: "Christmas Eve",
        rule: Rule::Fixed(12, 24),
        aliases: &["christmas eve"],
    },
    Holiday {
        name: "Christmas Day",
        rule: Rule::Fixed(12, 25),
        aliases: &["christmas day", "christmas"],
    },
    Holiday {
        name: "Easter Sunday",
        rule: Rule::Easter,
        aliases: &["easter sunday", "easter"],
    },
    Holiday {
        name: "Halloween",
        rule: Rule::Fixed(10, 31),
        aliases: &["halloween"],
    },
    Holiday {
        name: "Valentine's Day",
        rule: Rule::Fixed(2, 14),
        aliases: &["valentines day", "valentine day", "valentines"],
    },
];

/// Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
fn easter(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

#[cfg(test)]
mod tests {

    #[test]
    fn calendar_words_are_the_ones_that_only_say_when() {
        for word in [
            "monday", "sundays", "tues", "tomorow", "dec", "december", "15", "3rd", "tonight", "pm",
        ] {
            assert!(is_calendar_word(word), "{word} should be a calendar word");
        }
        for word in ["may", "sat", "sun", "wed", "card", "renew", "", "3d"] {
            assert!(!is_calendar_word(word), "{word} should not be a calendar word");
        }
    }

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn t(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    fn day(y: i32, m: u32, dd: u32) -> When {
        When::Day {
            date: d(y, m, dd),
            holiday: None,
        }
    }

    fn hol(y: i32, m: u32, dd: u32, name: &str) -> When {
        When::Day {
            date: d(y, m, dd),
            holiday: Some(name.to_string()),
        }
    }

    fn wd(weekday: Weekday, next: NaiveDate, plural: bool) -> When {
        When::Weekday { weekday, next, plural }
    }

    fn range(from: NaiveDate, to: NaiveDate) -> When {
        When::Range { from, to }
    }

    fn at(when: When, time: Option<NaiveTime>) -> Option<WhenMention> {
        Some(WhenMention { when, time })
    }

    fn only(when: When) -> Option<WhenMention> {
        at(when, None)
    }

    /// Tuesday.
    fn today() -> NaiveDate {
        d(2026, 12, 1)
    }

    fn check(today: NaiveDate, named: &[NamedDay], cases: &[(&str, Option<WhenMention>)]) {
        let mut failures = Vec::new();
        for (text, want) in cases {
            let got = find_when(text, today, named);
            if &got != want {
                failures.push(format!("{text:?} (today {today}):\n   got  {got:?}\n   want {want:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} case(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn relative_days() {
        let today = d(2026, 12, 1);
        check(
            today,
            &[],
            &[
                ("is eastside open today?", only(day(2026, 12, 1))),
                ("what's on tonight", only(day(2026, 12, 1))),
                ("Open this evening?", only(day(2026, 12, 1))),
                ("hours this afternoon pls", only(day(2026, 12, 1))),
                ("what are today's hours", only(day(2026, 12, 1))),
                ("are you open tomorrow", only(day(2026, 12, 2))),
                ("tmrw?", only(day(2026, 12, 2))),
                ("open tmr", only(day(2026, 12, 2))),
                ("tomorow hours", only(day(2026, 12, 2))),
                ("tommorow", only(day(2026, 12, 2))),
                ("what about the day after tomorrow", only(day(2026, 12, 3))),
                ("were you open yesterday", only(day(2026, 11, 30))),
                ("the day before yesterday", only(day(2026, 11, 29))),
                ("Tomorrow morning?", only(day(2026, 12, 2))),
            ],
        );
    }

    #[test]
    fn present_moment() {
        check(
            today(),
            &[],
            &[
                ("are you open now", only(When::Now)),
                ("open right now?", only(When::Now)),
                ("u open rn", only(When::Now)),
                ("is main currently open", only(When::Now)),
                ("busy at the moment?", only(When::Now)),
                ("is eastside still open", only(When::Now)),
                ("is it open yet", only(When::Now)),
                ("open atm?", only(When::Now)),
                ("east side library open right this minute?", only(When::Now)),
                ("open this very second", only(When::Now)),
                ("NOW!!", only(When::Now)),
                ("i don't know", None),
                ("snow closures?", None),
                ("is there an atm in the building", None),
                ("are you open now? closing at 9pm?", only(When::Now)),
            ],
        );
    }

    #[test]
    fn weekdays() {
        let tue = today();
        check(
            tue,
            &[],
            &[
                (
                    "is eastside open on sunday?",
                    only(wd(Weekday::Sun, d(2026, 12, 6), false)),
                ),
                ("monday", only(wd(Weekday::Mon, d(2026, 12, 7), false))),
                ("tuesday hours", only(wd(Weekday::Tue, d(2026, 12, 1), false))),
                ("this friday", only(wd(Weekday::Fri, d(2026, 12, 4), false))),
                ("this coming friday", only(wd(Weekday::Fri, d(2026, 12, 4), false))),
                ("next tuesday", only(wd(Weekday::Tue, d(2026, 12, 8), false))),
                ("next monday", only(wd(Weekday::Mon, d(2026, 12, 7), false))),
                ("storytime on mondays", only(wd(Weekday::Mon, d(2026, 12, 7), true))),
                ("every friday?", only(wd(Weekday::Fri, d(2026, 12, 4), true))),
                ("Sundays", only(wd(Weekday::Sun, d(2026, 12, 6), true))),
                (
                    "what's on sunday's schedule",
                    only(wd(Weekday::Sun, d(2026, 12, 6), false)),
                ),
                ("wensday", only(wd(Weekday::Wed, d(2026, 12, 2), false))),
                ("open saturdy?", only(wd(Weekday::Sat, d(2026, 12, 5), false))),
                ("thurday", only(wd(Weekday::Thu, d(2026, 12, 3), false))),
                ("thrusday evening", only(wd(Weekday::Thu, d(2026, 12, 3), false))),
                ("wednsdays", only(wd(Weekday::Wed, d(2026, 12, 2), true))),
                ("were you open last monday", only(day(2026, 11, 30))),
                ("mon", only(wd(Weekday::Mon, d(2026, 12, 7), false))),
                ("tues hours", only(wd(Weekday::Tue, d(2026, 12, 1), false))),
                ("weds", only(wd(Weekday::Wed, d(2026, 12, 2), false))),
                ("open thurs?", only(wd(Weekday::Thu, d(2026, 12, 3), false))),
                ("fri", only(wd(Weekday::Fri, d(2026, 12, 4), false))),
                ("open sat?", only(wd(Weekday::Sat, d(2026, 12, 5), false))),
                ("sat", only(wd(Weekday::Sat, d(2026, 12, 5), false))),
                ("on wed", only(wd(Weekday::Wed, d(2026, 12, 2), false))),
                ("sat/sun hours", only(wd(Weekday::Sat, d(2026, 12, 5), false))),
                ("i sat down with a book", None),
                ("the sun is too bright in the reading room", None),
                ("we wed in june", only(range(d(2027, 6, 1), d(2027, 6, 30)))),
                ("ice cream sundae social", None),
                ("frida kahlo biography", None),
            ],
        );
        let mon = d(2026, 12, 7);
        check(
            mon,
            &[],
            &[
                ("monday", only(wd(Weekday::Mon, mon, false))),
                ("on mondays", only(wd(Weekday::Mon, mon, true))),
                ("next monday", only(wd(Weekday::Mon, d(2026, 12, 14), false))),
                ("last monday", only(day(2026, 11, 30))),
            ],
        );
    }

    #[test]
    fn weekends_and_weeks() {
        check(
            today(),
            &[],
            &[
                ("events this weekend", only(range(d(2026, 12, 5), d(2026, 12, 6)))),
                ("open over the weekend?", only(range(d(2026, 12, 5), d(2026, 12, 6)))),
                ("weekend hours", only(range(d(2026, 12, 5), d(2026, 12, 6)))),
                ("next weekend", only(range(d(2026, 12, 12), d(2026, 12, 13)))),
                ("the weekend after next", only(range(d(2026, 12, 19), d(2026, 12, 20)))),
                ("the week after next", only(range(d(2026, 12, 14), d(2026, 12, 20)))),
                (
                    "the weekend after next, open on the saturday?",
                    only(wd(Weekday::Sat, d(2026, 12, 19), false)),
                ),
                (
                    "next week, tuesday maybe",
                    only(wd(Weekday::Tue, d(2026, 12, 8), false)),
                ),
                (
                    "the week after next monday",
                    only(wd(Weekday::Mon, d(2026, 12, 7), false)),
                ),
                ("this week", only(range(d(2026, 12, 1), d(2026, 12, 6)))),
                ("anything next week?", only(range(d(2026, 12, 7), d(2026, 12, 13)))),
                ("open on weekends?", only(wd(Weekday::Sat, d(2026, 12, 5), true))),
                ("this month", only(range(d(2026, 12, 1), d(2026, 12, 31)))),
                ("next month", only(range(d(2027, 1, 1), d(2027, 1, 31)))),
                (
                    "a medicare talk sometime in january?",
                    only(range(d(2027, 1, 1), d(2027, 1, 31))),
                ),
                (
                    "storytime during december",
                    only(range(d(2026, 12, 1), d(2026, 12, 31))),
                ),
                ("in february or on jan 5", only(day(2027, 1, 5))),
                ("last week", only(range(d(2026, 11, 23), d(2026, 11, 29)))),
                (
                    "were you open last weekend",
                    only(range(d(2026, 11, 28), d(2026, 11, 29))),
                ),
                ("every weekend", only(wd(Weekday::Sat, d(2026, 12, 5), true))),
                ("i need it for 2 weeks", None),
            ],
        );
        let sat = d(2026, 12, 5);
        let sun = d(2026, 12, 6);
        check(
            sat,
            &[],
            &[
                ("this weekend", only(range(sat, sun))),
                ("next weekend", only(range(d(2026, 12, 12), d(2026, 12, 13)))),
            ],
        );
        check(
            sun,
            &[],
            &[
                ("this weekend", only(range(sun, sun))),
                ("next weekend", only(range(d(2026, 12, 12), d(2026, 12, 13)))),
            ],
        );
    }

    #[test]
    fn dates() {
        check(
            today(),
            &[],
            &[
                ("open dec 15?", only(day(2026, 12, 15))),
                ("December 15", only(day(2026, 12, 15))),
                ("december 9th", only(day(2026, 12, 9))),
                ("Dec. 3rd", only(day(2026, 12, 3))),
                ("december the 3rd", only(day(2026, 12, 3))),
                ("15 december", only(day(2026, 12, 15))),
                ("the 15th of december", only(day(2026, 12, 15))),
                ("the 12th", only(day(2026, 12, 12))),
                ("open on the 3rd?", only(day(2026, 12, 3))),
                ("1/18", only(day(2027, 1, 18))),
                ("12/24", only(day(2026, 12, 24))),
                ("12/24/2026", only(day(2026, 12, 24))),
                ("2026-12-25", only(day(2026, 12, 25))),
                ("12-24", only(day(2026, 12, 24))),
                ("jan 18", only(day(2027, 1, 18))),
                ("sept 3", only(day(2027, 9, 3))),
                ("nov 28", only(day(2026, 11, 28))),
                ("nov 20", only(day(2027, 11, 20))),
                ("december 15, 2027", only(day(2027, 12, 15))),
                ("febuary 3rd", only(day(2027, 2, 3))),
                ("first of january", only(day(2027, 1, 1))),
                ("sunday december 20", only(day(2026, 12, 20))),
                ("sun dec 20", only(day(2026, 12, 20))),
                ("sunday the 20th", only(day(2026, 12, 20))),
                ("open thursday the 10th?", only(day(2026, 12, 10))),
                ("12/24/26", only(day(2026, 12, 24))),
                ("dec 24th 2027", only(day(2027, 12, 24))),
                ("may 5", only(day(2027, 5, 5))),
                ("feb 30", None),
                ("february", None),
                ("in february", only(range(d(2027, 2, 1), d(2027, 2, 28)))),
                ("may 3 of us use the room", None),
                ("the 3rd floor", None),
                ("open 24/7?", None),
                ("ages 10-12", None),
                ("open 9-5?", None),
            ],
        );
        check(d(2026, 12, 3), &[], &[("dec 1", only(day(2026, 12, 1)))]);
        check(d(2026, 12, 15), &[], &[("the 12th", only(day(2027, 1, 12)))]);
        check(d(2027, 12, 1), &[], &[("feb 29", only(day(2028, 2, 29)))]);
    }

    #[test]
    fn builtin_holidays() {
        check(
            today(),
            &[],
            &[
                ("open on christmas?", only(hol(2026, 12, 25, "Christmas Day"))),
                ("christmas eve hours", only(hol(2026, 12, 24, "Christmas Eve"))),
                ("xmas", only(hol(2026, 12, 25, "Christmas Day"))),
                ("Xmas Eve?", only(hol(2026, 12, 24, "Christmas Eve"))),
                ("open the day after xmas?", only(day(2026, 12, 26))),
                ("the day before thanksgiving", only(day(2026, 11, 25))),
                ("the sunday after christmas", only(day(2026, 12, 27))),
                ("open the friday before christmas", only(day(2026, 12, 18))),
                ("the tuesday after new years", only(day(2027, 1, 5))),
                ("need it back after christmas", only(hol(2026, 12, 25, "Christmas Day"))),
                ("chirstmas", only(hol(2026, 12, 25, "Christmas Day"))),
                ("new years eve", only(hol(2026, 12, 31, "New Year's Eve"))),
                ("New Year's Eve?", only(hol(2026, 12, 31, "New Year's Eve"))),
                ("new year's day", only(hol(2027, 1, 1, "New Year's Day"))),
                ("open new years?", only(hol(2027, 1, 1, "New Year's Day"))),
                ("nye", only(hol(2026, 12, 31, "New Year's Eve"))),
                ("mlk day", only(hol(2027, 1, 18, "Martin Luther King Jr. Day"))),
                (
                    "Martin Luther King Jr. Day",
                    only(hol(2027, 1, 18, "Martin Luther King Jr. Day")),
                ),
                ("presidents' day", only(hol(2027, 2, 15, "Presidents' Day"))),
                ("memorial day", only(hol(2027, 5, 31, "Memorial Day"))),
                ("juneteenth", only(hol(2027, 6, 19, "Juneteenth"))),
                ("fourth of july", only(hol(2027, 7, 4, "Independence Day"))),
                ("4th of july", only(hol(2027, 7, 4, "Independence Day"))),
                ("july 4th", only(day(2027, 7, 4))),
                ("labor day", only(hol(2027, 9, 6, "Labor Day"))),
                ("columbus day", only(hol(2027, 10, 11, "Columbus Day"))),
                (
                    "indigenous peoples day",
                    only(hol(2027, 10, 11, "Indigenous Peoples' Day")),
                ),
                ("veterans day", only(hol(2027, 11, 11, "Veterans Day"))),
                ("thanksgiving", only(hol(2026, 11, 26, "Thanksgiving Day"))),
                ("thanksgivng", only(hol(2026, 11, 26, "Thanksgiving Day"))),
                ("turkey day", only(hol(2026, 11, 26, "Thanksgiving Day"))),
                ("black friday", only(hol(2026, 11, 27, "Day after Thanksgiving"))),
                (
                    "the day after thanksgiving",
                    only(hol(2026, 11, 27, "Day after Thanksgiving")),
                ),
                ("easter", only(hol(2027, 3, 28, "Easter Sunday"))),
                ("easter sunday", only(hol(2027, 3, 28, "Easter Sunday"))),
                ("halloween", only(hol(2027, 10, 31, "Halloween"))),
                ("valentine's day", only(hol(2027, 2, 14, "Valentine's Day"))),
                ("eastern branch hours", None),
                ("it's faster online", None),
                ("the master bedroom", None),
                ("christian fiction", None),
            ],
        );
        check(
            d(2026, 1, 10),
            &[],
            &[("thanksgiving", only(hol(2026, 11, 26, "Thanksgiving Day")))],
        );
        assert_eq!(easter(2024), Some(d(2024, 3, 31)));
        assert_eq!(easter(2025), Some(d(2025, 4, 20)));
        assert_eq!(easter(2026), Some(d(2026, 4, 5)));
        assert_eq!(easter(2038), Some(d(2038, 4, 25)));
    }

    #[test]
    fn named_days_win() {
        let named = vec![
            NamedDay {
                name: "Christmas Eve: all branches close at 2 pm".to_string(),
                date: d(2026, 12, 24),
            },
            NamedDay {
                name: "Christmas Day (observed): all locations closed".to_string(),
                date: d(2026, 12, 26),
            },
            NamedDay {
                name: "Martin Luther King Jr. Day".to_string(),
                date: d(2027, 1, 18),
            },
            NamedDay {
                name: "Staff Development Day: all branches closed".to_string(),
                date: d(2026, 12, 11),
            },
            NamedDay {
                name: "Staff Development Day: all branches closed".to_string(),
                date: d(2027, 3, 12),
            },
            NamedDay {
                name: "Founders' Day".to_string(),
                date: d(2026, 6, 1),
            },
        ];
        check(
            today(),
            &named,
            &[
                ("xmas eve", only(hol(2026, 12, 24, "Christmas Eve"))),
                ("open on christmas?", only(hol(2026, 12, 26, "Christmas Day"))),
                ("christmas day", only(hol(2026, 12, 26, "Christmas Day"))),
                ("mlk", only(hol(2027, 1, 18, "Martin Luther King Jr. Day"))),
                (
                    "closed for staff development day?",
                    only(hol(2026, 12, 11, "Staff Development Day")),
                ),
                ("founders day", only(hol(2026, 6, 1, "Founders' Day"))),
                ("new years eve", only(hol(2026, 12, 31, "New Year's Eve"))),
            ],
        );
    }

    #[test]
    fn clock_times() {
        let today = today();
        let now = day(2026, 12, 1);
        check(
            today,
            &[],
            &[
                ("open at 7pm?", at(now.clone(), t(19, 0))),
                ("at 7 pm", at(now.clone(), t(19, 0))),
                ("at 7:30pm", at(now.clone(), t(19, 30))),
                ("at 7:30 p.m.", at(now.clone(), t(19, 30))),
                ("at 19:00", at(now.clone(), t(19, 0))),
                ("need it back by 6", at(now.clone(), t(18, 0))),
                ("at noon", at(now.clone(), t(12, 0))),
                ("open at midnight?", at(now.clone(), t(0, 0))),
                ("around 8am", at(now.clone(), t(8, 0))),
                ("8:30 am", at(now.clone(), t(8, 30))),
                ("at 9", at(now.clone(), t(9, 0))),
                ("at 12", at(now.clone(), t(12, 0))),
                ("@ 5", at(now.clone(), t(17, 0))),
                ("tomorrow at 7", at(day(2026, 12, 2), t(19, 0))),
                ("at 8 tonight", at(now.clone(), t(20, 0))),
                ("tomorrow morning at 7", at(day(2026, 12, 2), t(7, 0))),
                ("sunday at 2pm", at(wd(Weekday::Sun, d(2026, 12, 6), false), t(14, 0))),
                ("dec 15 at 10:30", at(day(2026, 12, 15), t(10, 30))),
                (
                    "events this weekend at 2pm",
                    at(range(d(2026, 12, 5), d(2026, 12, 6)), t(14, 0)),
                ),
                ("mondays at 10am", at(wd(Weekday::Mon, d(2026, 12, 7), true), t(10, 0))),
                ("8am-5pm", at(now.clone(), t(8, 0))),
                ("room for 12/15 from 2-4pm", at(day(2026, 12, 15), t(14, 0))),
                ("11-1pm", at(now.clone(), t(11, 0))),
                ("at 7.30pm", at(now.clone(), t(19, 30))),
                ("at 5 o'clock", at(now.clone(), t(17, 0))),
                ("closes at 8?", at(now.clone(), t(8, 0))),
                (
                    "open till midnight on nye?",
                    at(hol(2026, 12, 31, "New Year's Eve"), t(0, 0)),
                ),
                ("i'm at 5 overdue items", None),
                ("at 1 of the branches", None),
                ("at 13pm", None),
                ("at 20 pages", None),
                ("at 3 boxes", None),
                ("is it $5 at the desk", None),
            ],
        );
    }

    #[test]
    fn specificity() {
        check(
            today(),
            &[],
            &[
                (
                    "open this week, on friday?",
                    only(wd(Weekday::Fri, d(2026, 12, 4), false)),
                ),
                ("this weekend, saturday dec 5", only(day(2026, 12, 5))),
                ("monday or christmas?", only(hol(2026, 12, 25, "Christmas Day"))),
                (
                    "this weekend or saturday",
                    only(wd(Weekday::Sat, d(2026, 12, 5), false)),
                ),
                (
                    "storytime mondays, or next week?",
                    only(wd(Weekday::Mon, d(2026, 12, 7), true)),
                ),
                ("is it open dec 24 or 12/26", only(day(2026, 12, 24))),
            ],
        );
    }

    #[test]
    fn not_about_time() {
        check(
            today(),
            &[],
            &[
                ("how do i renew my books", None),
                ("what's the wifi password", None),
                ("i have 3 kids", None),
                ("my 15 yo needs a card", None),
                ("i need 20 service hours", None),
                ("open late", None),
                ("where is the 24 hour book return", None),
                ("I read 20 pages", None),
                ("3 boxes of donations", None),
                ("the fee is $5", None),
                ("my card expires in 2027", None),
                ("call 555-123-4567", None),
                ("10% off at the book sale", None),
                ("the march 3 meeting", None),
                ("read 5 books in may", None),
                ("2nd floor study rooms", None),
                ("The sat exam prep", None),
                ("come back in 10 minutes", None),
                ("my son is 12", None),
                ("kids program ages 3-5", None),
                ("i owe 3.50", None),
                ("librarian at 4th and main", None),
                ("", None),
                ("???", None),
            ],
        );
    }

    #[test]
    fn edit_distance() {
        let cases = [
            ("monday", "monday", true),
            ("mondy", "monday", true),
            ("mnoday", "monday", true),
            ("mondays", "monday", true),
            ("muonday", "monday", true),
            ("sunday", "monday", false),
            ("abc", "abcde", false),
            ("", "a", true),
            ("ab", "ba", true),
            ("abc", "cba", false),
        ];
        for (a, b, want) in cases {
            assert_eq!(within_one_edit(a.as_bytes(), b.as_bytes()), want, "{a} vs {b}");
        }
    }
}
