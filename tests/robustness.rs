//! Hostile and odd input never panics the engine or the desk: thousands
//! of mutated patron questions (a deterministic generator, so failures replay),
//! through both the engine and the full desk.

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};

use refdesk::chat::{ChatKind, ChatRef, Incoming, Platform, UserRef};
use refdesk::clock::FixedClock;
use refdesk::config::Config;
use refdesk::desk::Desk;
use refdesk::engine::{Engine, EngineConfig, Question};
use refdesk::store::Store;

/// xorshift64*: small, deterministic, good enough to mix test input.
struct Mixer(u64);

impl Mixer {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    "is northside open tomorrow?",
    "storytime this week at main",
    "i lost my library card",
    "how do I renew a book?",
    "which branches are open on sunday",
    "what time does riverside close on dec 15",
    "is the library open on christmas eve",
    "events for teens next week",
    "does prairie have study rooms",
    "hi",
    "/hours main",
    "/staff help",
];

const ODDITIES: &[&str] = &[
    "@everyone",
    "<@&123>",
    "<b>",
    "&amp;",
    "\u{202e}",
    "\u{0301}",
    "👍🏽",
    "🇺🇸",
    "\u{200b}",
    "\0",
    "\t",
    "\n\n",
    "12/31/9999",
    "99:99",
    "0/0",
    "-1",
    "december 32nd",
    "feb 30",
    "'",
    "\"",
    "\\",
    "𝔥𝔬𝔲𝔯𝔰",
    "ǅ",
    "İ",
    "ß",
    "الساعات",
    "時間",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "mon-sun",
    "3-",
    "--",
    "...",
    "?!",
    "https://example.org/?q=hours",
];

fn mutate(mixer: &mut Mixer) -> String {
    let mut text: Vec<char> = SEEDS[mixer.below(SEEDS.len())].chars().collect();
    for _ in 0..=mixer.below(6) {
        match mixer.below(4) {
            0 => {
                let oddity: Vec<char> = ODDITIES[mixer.below(ODDITIES.len())].chars().collect();
                let at = mixer.below(text.len() + 1);
                text.splice(at..at, oddity);
            }
            1 if !text.is_empty() => {
                let at = mixer.below(text.len());
                text.remove(at);
            }
            2 if text.len() > 1 => {
                let at = mixer.below(text.len() - 1);
                text.swap(at, at + 1);
            }
            _ => {
                let at = mixer.below(text.len() + 1);
                let character = char::from_u32(mixer.below(0x3000) as u32).unwrap_or('x');
                text.insert(at, character);
            }
        }
    }
    text.into_iter().collect()
}

fn engine() -> Engine {
    let (knowledge, _) = refdesk::knowledge::load_dir(Path::new("knowledge")).unwrap();
    Engine::new(Arc::new(knowledge), EngineConfig::default())
}

#[test]
fn the_engine_answers_every_mutated_question() {
    let engine = engine();
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 0).unwrap();
    let mut mixer = Mixer(0x9e37_79b9_7f4a_7c15);
    for _ in 0..5_000 {
        let text = mutate(&mut mixer);
        let answer = engine.answer(&Question {
            text: &text,
            branch: None,
            now,
        });
        assert!(!answer.text.is_empty(), "empty answer for {text:?}");
        assert!((0.0..=1.0).contains(&answer.confidence), "{text:?}");
    }
}

#[test]
fn the_desk_handles_every_mutated_message() {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 0).unwrap();
    let mut config = Config::default().desk;
    config.system_staff = vec![ChatRef::new(Platform::Discord, "1")];
    config.flood_per_minute = u32::MAX;
    let desk = Desk::new(engine(), Store::temporary().unwrap(), config, Arc::new(FixedClock(now)));
    let mut mixer = Mixer(0x1234_5678_9abc_def1);
    for index in 0..2_000 {
        let text = mutate(&mut mixer);
        let user = (index % 37).to_string();
        let handled = desk.handle(&Incoming {
            update_id: index.to_string(),
            chat: ChatRef::new(Platform::Discord, &user),
            chat_kind: ChatKind::Direct,
            message_id: index.to_string(),
            sender: UserRef::new(Platform::Discord, &user),
            display_name: text.clone(),
            text: text.clone(),
            reply_to: Some(text.clone()),
            reply_to_bot_text: None,
            addressed: true,
        });
        assert!(handled.is_ok(), "{text:?}: {handled:?}");
    }
}
