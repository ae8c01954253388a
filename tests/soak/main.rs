//! The soak: `refdesk run` as a subprocess against the fake Telegram Bot API
//! and the fake Discord, 2,000 patron messages across both platforms, staff
//! answering and closing every ticket from the other platform, with faults
//! injected along the way: 429s and 5xx on both platforms, a Discord gateway
//! drop, and a SIGKILL with restart in the middle. Afterwards every patron
//! message got exactly one response, every staff reply reached its patron
//! exactly once, and nothing is left in the outbox.

#[allow(dead_code)]
#[path = "../discord/fake.rs"]
mod discord_fake;
#[allow(dead_code)]
#[path = "../telegram/fake.rs"]
mod telegram_fake;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use discord_fake::{FakeDiscord, GUILD_ID};
use telegram_fake::FakeTelegram;

const TELEGRAM_PATRONS: std::ops::Range<i64> = 7001..7101;

fn telegram_patrons() -> std::ops::Range<i64> {
    TELEGRAM_PATRONS
}
const DISCORD_PATRONS: std::ops::Range<u64> = 0..100;
const MESSAGES_EACH: usize = 10;
/// Prairie branch's patron channel on Discord.
const PRAIRIE_CHANNEL: &str = "710000000000000001";
/// System-wide staff on Discord: Telegram patrons' tickets come here.
const DISCORD_STAFF: &str = "710000000000000002";
/// Prairie's staff group on Telegram: Discord patrons' tickets go there.
const TELEGRAM_STAFF: i64 = -100_777;
const LIBRARIAN_TELEGRAM: i64 = 9_001;
const LIBRARIAN_DISCORD: &str = "620000000000000001";
const DISCORD_TOKEN: &str = "discord-soak-token";
/// The whole soak must finish well within this.
const DEADLINE: Duration = Duration::from_secs(300);

const QUESTIONS: &[&str] = &[
    "how do I renew a book?",
    "is main open tomorrow?",
    "storytime this week",
    "i lost my library card",
    "hi",
    "what's the wifi password",
    "which branches are open on sunday",
    "can I print from my phone?",
    "thanks!",
    "how many books can I check out",
];

fn discord_patron_id(index: u64) -> String {
    format!("6100000000000{index:05}")
}

/// Every patron's fifth message asks for a person; the rest the engine answers.
const STAFF_MESSAGE: usize = 4;
/// Discord patrons whose tickets go to Telegram staff: few, because Telegram
/// lets a bot post about one message a second into one group.
const DISCORD_PATRONS_ESCALATING: u64 = 12;

fn question(index: usize) -> &'static str {
    QUESTIONS[index % QUESTIONS.len()]
}

fn write_config(directory: &Path, telegram_url: &str, discord_url: &str, status_port: u16) -> PathBuf {
    let knowledge = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let config = format!(
        "knowledge = {knowledge:?}\n\
         data_dir = {data:?}\n\
         staff = [\"discord:{DISCORD_STAFF}\"]\n\
         [desk]\nflood_per_minute = 1000\n\
         [status]\nport = {status_port}\n\
         [branches.prairie]\nchats = [\"discord:{PRAIRIE_CHANNEL}\"]\nstaff = [\"telegram:{TELEGRAM_STAFF}\"]\n\
         [telegram]\napi_url = {telegram_url:?}\ngroup_messages_per_minute = 6000\nmessages_per_second = 500\n\
         [discord]\napi_url = {discord_url:?}\n",
        knowledge = knowledge.display().to_string(),
        data = directory.join("data").display().to_string(),
    );
    let path = directory.join("config.toml");
    std::fs::write(&path, config).expect("write the config");
    path
}

fn spawn_daemon(config: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    Command::new(env!("CARGO_BIN_EXE_refdesk"))
        .arg("run")
        .arg("--config")
        .arg(config)
        .env("TELEGRAM_BOT_TOKEN", telegram_fake::TOKEN)
        .env("DISCORD_BOT_TOKEN", DISCORD_TOKEN)
        .env("REFDESK_LOG", "info,serenity=error")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("start refdesk run")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// The number in "Ticket #12" (Discord may escape the `#`).
fn ticket_number(text: &str) -> Option<u64> {
    let start = text.find("Ticket ")? + "Ticket ".len();
    let digits: String = text[start..]
        .chars()
        .skip_while(|character| *character == '#' || *character == '\\')
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Staff on both platforms: answer every new ticket by replying to its post, then close it.
struct Staff {
    telegram: FakeTelegram,
    discord: FakeDiscord,
    answered: Mutex<BTreeSet<u64>>,
    /// Ticket number → the platform of the patron (where the answer must arrive).
    patron_platform: Mutex<BTreeMap<u64, &'static str>>,
}

impl Staff {
    fn work(&self) {
        for post in self.discord.posted_in(DISCORD_STAFF) {
            let Some(number) = ticket_number(&post.content) else {
                continue;
            };
            if post.content.contains("more from") || !self.answered.lock().unwrap().insert(number) {
                continue;
            }
            self.patron_platform.lock().unwrap().insert(number, "telegram");
            let librarian = discord_fake::user(LIBRARIAN_DISCORD, "librarian");
            let reply = discord_fake::reply_to(
                discord_fake::message(
                    &self.discord.next_id(),
                    DISCORD_STAFF,
                    Some(GUILD_ID),
                    librarian.clone(),
                    &format!("soak reply {number}."),
                ),
                &post.created,
            );
            self.discord.user_message(reply);
            self.discord.user_message(discord_fake::message(
                &self.discord.next_id(),
                DISCORD_STAFF,
                Some(GUILD_ID),
                librarian,
                &format!("/close {number}"),
            ));
        }
        for sent in self.telegram.sent_to(TELEGRAM_STAFF) {
            let Some(number) = ticket_number(&sent.visible) else {
                continue;
            };
            if sent.visible.contains("more from") || !self.answered.lock().unwrap().insert(number) {
                continue;
            }
            self.patron_platform.lock().unwrap().insert(number, "discord");
            self.telegram.group_text(
                TELEGRAM_STAFF,
                LIBRARIAN_TELEGRAM,
                "Lib",
                &format!("soak reply {number}."),
                Some(&sent),
            );
            self.telegram.group_text(
                TELEGRAM_STAFF,
                LIBRARIAN_TELEGRAM,
                "Lib",
                &format!("/close {number}"),
                None,
            );
        }
    }
}

fn send_telegram(fake: &FakeTelegram, messages: std::ops::Range<usize>) {
    for index in messages {
        for patron in TELEGRAM_PATRONS {
            let text = if index == STAFF_MESSAGE {
                format!("/staff a question for a person from {patron}")
            } else {
                question(index + patron as usize).to_string()
            };
            fake.private_text(patron, &format!("Pat{patron}"), &text);
        }
    }
}

fn send_discord(fake: &FakeDiscord, messages: std::ops::Range<usize>, sent_ids: &Mutex<Vec<String>>) {
    for index in messages {
        for patron in DISCORD_PATRONS {
            let id = fake.next_id();
            let text = if index == STAFF_MESSAGE && patron < DISCORD_PATRONS_ESCALATING {
                format!("/staff a question for a person from {patron}")
            } else {
                question(index + patron as usize).to_string()
            };
            let mut message = discord_fake::message(
                &id,
                PRAIRIE_CHANNEL,
                Some(GUILD_ID),
                discord_fake::user(&discord_patron_id(patron), &format!("dpat{patron}")),
                &format!("<@{}> {text}", discord_fake::BOT_ID),
            );
            message["mentions"] = json!([discord_fake::bot_user()]);
            fake.user_message(message);
            sent_ids.lock().unwrap().push(id);
        }
    }
}

async fn wait_for(what: &str, started: Instant, staff: &Staff, mut done: impl FnMut() -> bool) {
    loop {
        staff.work();
        if done() {
            return;
        }
        assert!(started.elapsed() < DEADLINE, "soak timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The end of the daemon's log, in order, for a failure message.
fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

async fn metrics(port: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("status endpoint");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("response");
    response
}

fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_messages_with_faults_each_answered_once() {
    let started = Instant::now();
    let telegram = FakeTelegram::start().await;
    let discord = FakeDiscord::start().await;
    let directory = tempfile::tempdir().expect("temp dir");
    let status_port = free_port();
    let config = write_config(directory.path(), &telegram.url, &discord.api_url(), status_port);
    let log = directory.path().join("refdesk.log");
    let staff = Arc::new(Staff {
        telegram: telegram.clone(),
        discord: discord.clone(),
        answered: Mutex::new(BTreeSet::new()),
        patron_platform: Mutex::new(BTreeMap::new()),
    });
    let discord_sent: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();

    let mut daemon = spawn_daemon(&config, &log);
    discord.wait_for_session(1, 0).await;

    // Faults before the first wave: rate limits and server errors on both platforms.
    for patron in telegram_patrons().take(8) {
        telegram.script_send(
            patron,
            429,
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}),
        );
    }
    for patron in telegram_patrons().skip(8).take(2) {
        telegram.script_send(patron, 502, telegram_fake::error_body(502, "Bad Gateway"));
    }
    for _ in 0..3 {
        discord.fail_next_post(
            429,
            json!({"message": "You are being rate limited.", "retry_after": 0.5, "global": false}),
        );
    }
    for _ in 0..2 {
        discord.fail_next_post(500, json!({"message": "Internal Server Error", "code": 0}));
    }

    // First wave: 4 messages from every patron.
    send_telegram(&telegram, 0..4);
    send_discord(&discord, 0..4, &discord_sent);
    let first_wave = (TELEGRAM_PATRONS.count() + DISCORD_PATRONS.count()) * 4;
    wait_for("a third of the first wave answered", started, &staff, || {
        telegram.sent().len() + discord.posted_in(PRAIRIE_CHANNEL).len() > first_wave / 3
    })
    .await;

    // The gateway drops; serenity resumes and the gap is backfilled.
    discord.drop_gateway();
    send_discord(&discord, 4..5, &discord_sent);
    discord.wait_for_session(1, 1).await;
    send_telegram(&telegram, 4..5);

    // SIGKILL right after Telegram served a batch, with Discord messages in flight.
    send_telegram(&telegram, 5..7);
    telegram.freeze_after_next_batch();
    wait_for("the Telegram fake to freeze", started, &staff, || telegram.is_frozen()).await;
    send_discord(&discord, 5..7, &discord_sent);
    tokio::time::sleep(Duration::from_millis(150)).await;
    daemon.kill().expect("SIGKILL");
    daemon.wait().expect("reap the killed daemon");
    telegram.thaw();
    daemon = spawn_daemon(&config, &log);
    discord.wait_for_session(2, 0).await;

    // Last wave.
    send_telegram(&telegram, 7..MESSAGES_EACH);
    send_discord(&discord, 7..MESSAGES_EACH, &discord_sent);

    // Every Discord patron message has its one threaded response.
    let discord_ids: Vec<String> = discord_sent.lock().unwrap().clone();
    assert_eq!(discord_ids.len(), DISCORD_PATRONS.count() * MESSAGES_EACH);
    let responses_by_message = |discord: &FakeDiscord| {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for post in discord.posted_in(PRAIRIE_CHANNEL) {
            if post.content.contains("Answer to your question") {
                continue;
            }
            if let Some(id) = post.body["message_reference"]["message_id"].as_str() {
                *counts.entry(id.to_string()).or_default() += 1;
            }
        }
        counts
    };
    wait_for("every patron message answered", started, &staff, || {
        let short: Vec<(i64, usize)> = telegram_patrons()
            .map(|patron| (patron, telegram.sent_to(patron).len()))
            .filter(|(_, count)| *count < MESSAGES_EACH)
            .collect();
        let counts = responses_by_message(&discord);
        let missing: Vec<usize> = discord_ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !counts.contains_key(*id))
            .map(|(index, _)| index)
            .collect();
        if started.elapsed() > DEADLINE - Duration::from_secs(1) {
            eprintln!("unanswered: telegram {short:?}; discord message indexes {missing:?}");
            eprintln!("log tail:\n{}", last_lines(&log_text(), 60));
        }
        short.is_empty() && missing.is_empty()
    })
    .await;

    // Every ticket answered and closed, and both reached the patron.
    wait_for("every staff reply and close delivered", started, &staff, || {
        let tickets = staff.patron_platform.lock().unwrap().clone();
        let telegram_texts: Vec<String> = TELEGRAM_PATRONS
            .flat_map(|patron| telegram.sent_to(patron))
            .map(|sent| sent.visible)
            .collect();
        let discord_texts: Vec<String> = discord
            .posted_in(PRAIRIE_CHANNEL)
            .into_iter()
            .map(|post| post.content)
            .collect();
        let undelivered: Vec<(u64, &str, bool, bool)> = tickets
            .iter()
            .filter_map(|(number, platform)| {
                let texts = if *platform == "telegram" {
                    &telegram_texts
                } else {
                    &discord_texts
                };
                let reply = format!("soak reply {number}.");
                let closed = format!("closed your question #{number}.");
                let replied = texts.iter().any(|text| text.contains(&reply));
                let closed = texts.iter().any(|text| text.contains(&closed));
                (!replied || !closed).then_some((*number, *platform, replied, closed))
            })
            .collect();
        if started.elapsed() > DEADLINE - Duration::from_secs(1) {
            eprintln!("undelivered (ticket, patron platform, replied, closed): {undelivered:?}");
            eprintln!("log tail:\n{}", last_lines(&log_text(), 60));
        }
        !tickets.is_empty() && undelivered.is_empty()
    })
    .await;
    // Room for anything doubled to show up before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    staff.work();

    // Staff confirmations may still wait on Telegram's per-chat pace, and a
    // last ticket may reach its staff only now: staff keep working until the
    // daemon reports nothing open and nothing waiting.
    let mut status = metrics(status_port).await;
    while metric(&status, "refdesk_outbox_depth") != Some(0) || metric(&status, "refdesk_open_tickets") != Some(0) {
        assert!(
            started.elapsed() < DEADLINE,
            "the outbox never emptied or tickets stayed open: {status}"
        );
        staff.work();
        tokio::time::sleep(Duration::from_millis(200)).await;
        status = metrics(status_port).await;
    }

    // A clean stop on SIGTERM, well within 10 s.
    let stop_started = Instant::now();
    let signalled = Command::new("kill")
        .arg("-TERM")
        .arg(daemon.id().to_string())
        .status()
        .expect("send SIGTERM");
    assert!(signalled.success());
    let exit = tokio::task::spawn_blocking(move || daemon.wait())
        .await
        .expect("join")
        .expect("wait for refdesk");
    assert!(exit.success(), "refdesk run exited with {exit}; log:\n{}", log_text());
    assert!(
        stop_started.elapsed() < Duration::from_secs(10),
        "shutdown took too long"
    );

    // Exactly once, counted.
    let tickets = staff.patron_platform.lock().unwrap().clone();
    let counts = responses_by_message(&discord);
    for id in &discord_ids {
        assert_eq!(
            counts.get(id),
            Some(&1),
            "Discord message {id} got {:?} responses",
            counts.get(id)
        );
    }
    let discord_texts: Vec<String> = discord
        .posted_in(PRAIRIE_CHANNEL)
        .into_iter()
        .map(|post| post.content)
        .collect();
    let mut telegram_tickets_per_patron: HashMap<i64, usize> = HashMap::new();
    for (number, platform) in &tickets {
        let reply = format!("soak reply {number}.");
        let closed = format!("closed your question #{number}.");
        if *platform == "discord" {
            assert_eq!(
                discord_texts.iter().filter(|text| text.contains(&reply)).count(),
                1,
                "ticket {number}"
            );
            assert_eq!(
                discord_texts.iter().filter(|text| text.contains(&closed)).count(),
                1,
                "ticket {number}"
            );
            continue;
        }
        let owner = telegram_patrons()
            .find(|patron| {
                telegram
                    .sent_to(*patron)
                    .iter()
                    .any(|sent| sent.visible.contains(&reply))
            })
            .unwrap_or_else(|| panic!("ticket {number}'s reply reached no Telegram patron"));
        let received = telegram.sent_to(owner);
        assert_eq!(
            received.iter().filter(|sent| sent.visible.contains(&reply)).count(),
            1,
            "ticket {number}"
        );
        assert_eq!(
            received.iter().filter(|sent| sent.visible.contains(&closed)).count(),
            1,
            "ticket {number}"
        );
        *telegram_tickets_per_patron.entry(owner).or_default() += 1;
    }
    for patron in TELEGRAM_PATRONS {
        let tickets = telegram_tickets_per_patron.get(&patron).copied().unwrap_or(0);
        // One response per message, plus each ticket's staff answer and close notice.
        assert_eq!(
            telegram.sent_to(patron).len(),
            MESSAGES_EACH + 2 * tickets,
            "Telegram patron {patron}"
        );
    }
    assert!(
        tickets.values().any(|platform| *platform == "telegram")
            && tickets.values().any(|platform| *platform == "discord"),
        "tickets crossed platforms both ways"
    );

    // Faults were really exercised.
    let text = log_text();
    assert!(
        text.contains("duplicate update skipped"),
        "the restart redelivered nothing"
    );
    assert!(
        !text.contains(telegram_fake::TOKEN) && !text.contains(DISCORD_TOKEN),
        "a token leaked into the log"
    );
    assert!(discord.resumes() >= 1 && discord.identifies() >= 2);

    // Nothing left behind in the store.
    let store = refdesk::store::Store::open(&directory.path().join("data"), 1 << 22).expect("reopen the store");
    assert_eq!(store.outbox_len(), 0);
    let stored = store.tickets().expect("tickets");
    assert_eq!(stored.len(), tickets.len());
    assert!(
        stored
            .iter()
            .all(|ticket| ticket.status == refdesk::store::TicketStatus::Closed)
    );
}
