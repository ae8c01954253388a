//! Telegram's sending limits, kept by waiting: about one message a second in
//! a chat (short bursts allowed), 20 a minute in a group, 30 a second overall.
//! A 429 is still possible (the limits are not published exactly); the outbox
//! then waits the `retry_after` Telegram names.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// At most `count` sends in any `period`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub count: usize,
    pub period: Duration,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub overall: Window,
    pub per_chat: Window,
    /// Groups and channels (negative chat ids), on top of `per_chat`.
    pub per_group: Window,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            overall: Window {
                count: 30,
                period: Duration::from_secs(1),
            },
            per_chat: Window {
                count: 3,
                period: Duration::from_secs(3),
            },
            per_group: Window {
                count: 20,
                period: Duration::from_secs(60),
            },
        }
    }
}

/// Waits until a send fits every window, then counts it.
#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    /// A std mutex: it is never held across an await.
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    overall: VecDeque<Instant>,
    chats: HashMap<i64, VecDeque<Instant>>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Limiter {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    /// Returns when a message to `chat_id` may be sent, and counts it as sent.
    pub async fn acquire(&self, chat_id: i64) {
        loop {
            let wait = self.try_acquire(chat_id, Instant::now());
            match wait {
                None => return,
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Counts a send at `now` and returns `None`, or how long to wait first.
    fn try_acquire(&self, chat_id: i64, now: Instant) -> Option<Duration> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let chat_windows: &[Window] = if chat_id < 0 {
            &[self.limits.per_chat, self.limits.per_group]
        } else {
            &[self.limits.per_chat]
        };
        // The chat's history is kept as long as its longest window needs.
        let keep = chat_windows
            .iter()
            .map(|window| window.period)
            .max()
            .unwrap_or_default();
        let mut wait = wait_for(&mut state.overall, self.limits.overall, self.limits.overall.period, now);
        let history = state.chats.entry(chat_id).or_default();
        for window in chat_windows {
            wait = wait.max(wait_for(history, *window, keep, now));
        }
        if !wait.is_zero() {
            return Some(wait);
        }
        history.push_back(now);
        state.overall.push_back(now);
        // Forget chats with nothing recent, so the map does not grow forever.
        if state.chats.len() > 1000 {
            state
                .chats
                .retain(|_, history| history.back().is_some_and(|last| now.duration_since(*last) < keep));
        }
        None
    }
}

/// How long until one more send fits `window`, given the send times in
/// `history` (older than `keep` are dropped).
fn wait_for(history: &mut VecDeque<Instant>, window: Window, keep: Duration, now: Instant) -> Duration {
    while history.front().is_some_and(|time| now.duration_since(*time) >= keep) {
        history.pop_front();
    }
    let in_window: Vec<&Instant> = history
        .iter()
        .filter(|time| now.duration_since(**time) < window.period)
        .collect();
    if in_window.len() < window.count {
        return Duration::ZERO;
    }
    // The oldest send that must leave the window before another fits.
    let oldest = in_window[in_window.len() - window.count];
    (*oldest + window.period).saturating_duration_since(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            overall: Window {
                count: 5,
                period: Duration::from_secs(1),
            },
            per_chat: Window {
                count: 2,
                period: Duration::from_secs(2),
            },
            per_group: Window {
                count: 3,
                period: Duration::from_secs(60),
            },
        }
    }

    #[test]
    fn a_chat_gets_its_burst_then_waits() {
        let limiter = Limiter::new(limits());
        let start = Instant::now();
        assert_eq!(limiter.try_acquire(7, start), None);
        assert_eq!(limiter.try_acquire(7, start), None);
        assert_eq!(limiter.try_acquire(7, start), Some(Duration::from_secs(2)));
        // Another chat is not held up by this one.
        assert_eq!(limiter.try_acquire(8, start), None);
        assert_eq!(limiter.try_acquire(7, start + Duration::from_secs(2)), None);
    }

    #[test]
    fn groups_have_a_per_minute_limit() {
        let limiter = Limiter::new(limits());
        let mut now = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire(-100, now), None);
            now += Duration::from_secs(2);
        }
        // 6 s after the first, the minute window is full until 60 s after it.
        assert_eq!(limiter.try_acquire(-100, now), Some(Duration::from_secs(54)));
    }

    #[test]
    fn the_overall_limit_covers_all_chats() {
        let limiter = Limiter::new(limits());
        let now = Instant::now();
        for chat in 1..=5 {
            assert_eq!(limiter.try_acquire(chat, now), None);
        }
        assert_eq!(limiter.try_acquire(6, now), Some(Duration::from_secs(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_out_the_window() {
        let limiter = Limiter::new(limits());
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire(1).await;
        }
        // Two at once, then two after 2 s, then one after 4 s.
        assert_eq!(Instant::now().duration_since(start), Duration::from_secs(4));
    }
}
