//! The conversation core end to end, through the same `Adapter` trait the
//! platforms implement: a recording fake adapter, the real desk, a real sled
//! store in a temporary directory, the bundled knowledge and a hand-moved clock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::America::Chicago;

use refdesk::chat::{Adapter, ChatKind, ChatRef, Delivered, Incoming, Outgoing, Platform, SendError, UserRef};
use refdesk::clock::{Clock, ManualClock, SystemClock};
use refdesk::config::{Config, DeskConfig};
use refdesk::desk::{Desk, Handled};
use refdesk::engine::{Engine, EngineConfig};
use refdesk::store::{Store, TicketStatus};

/// Records every send; answers from a script of results, then succeeds.
struct FakeAdapter {
    platform: Platform,
    script: Mutex<VecDeque<Result<(), SendError>>>,
    sent: Mutex<Vec<Sent>>,
    attempts: Mutex<Vec<(u64, Instant)>>,
}

#[derive(Debug, Clone)]
struct Sent {
    message: Outgoing,
    nonce: u64,
    message_id: String,
    at: Instant,
}

impl FakeAdapter {
    fn new(platform: Platform) -> Arc<Self> {
        Arc::new(FakeAdapter {
            platform,
            script: Mutex::new(VecDeque::new()),
            sent: Mutex::new(Vec::new()),
            attempts: Mutex::new(Vec::new()),
        })
    }

    fn fail_next(&self, error: SendError) {
        self.script.lock().unwrap().push_back(Err(error));
    }

    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.sent.lock().unwrap())
    }
}

#[async_trait::async_trait]
impl Adapter for FakeAdapter {
    fn platform(&self) -> Platform {
        self.platform
    }

    async fn send(&self, message: &Outgoing, nonce: u64) -> Result<Delivered, SendError> {
        self.attempts.lock().unwrap().push((nonce, Instant::now()));
        if let Some(Err(error)) = self.script.lock().unwrap().pop_front() {
            return Err(error);
        }
        let mut sent = self.sent.lock().unwrap();
        let message_id = format!("{}{}", message.chat.chat_id, 1000 + sent.len());
        sent.push(Sent {
            message: message.clone(),
            nonce,
            message_id: message_id.clone(),
            at: Instant::now(),
        });
        Ok(Delivered {
            message_ids: vec![message_id],
        })
    }
}

const BRANCH_CHAT: &str = "-100500";
const MAIN_STAFF: &str = "-100900";
const SYSTEM_STAFF: &str = "-100999";

struct Harness {
    desk: Arc<Desk>,
    clock: Arc<ManualClock>,
    telegram: Arc<FakeAdapter>,
    data: tempfile::TempDir,
    next_update: Mutex<u64>,
}

fn local(text: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    Chicago.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
}

fn engine() -> Engine {
    let (knowledge, _) = refdesk::knowledge::load_dir(std::path::Path::new("knowledge")).unwrap();
    Engine::new(Arc::new(knowledge), EngineConfig::default())
}

fn desk_config() -> DeskConfig {
    let mut config = Config::default().desk;
    config
        .branch_chats
        .insert(ChatRef::new(Platform::Telegram, BRANCH_CHAT), "main".into());
    config
        .branch_staff
        .insert("main".into(), vec![ChatRef::new(Platform::Telegram, MAIN_STAFF)]);
    config.system_staff = vec![ChatRef::new(Platform::Telegram, SYSTEM_STAFF)];
    config
}

fn harness(now: &str) -> Harness {
    let data = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(local(now)));
    let store = Store::open(data.path(), 1 << 22).unwrap();
    let desk = Arc::new(Desk::new(engine(), store, desk_config(), clock.clone()));
    Harness {
        desk,
        clock,
        telegram: FakeAdapter::new(Platform::Telegram),
        data,
        next_update: Mutex::new(1),
    }
}

impl Harness {
    fn message(&self, chat: &str, user: &str, text: &str, reply_to: Option<&str>) -> Incoming {
        let mut next = self.next_update.lock().unwrap();
        *next += 1;
        let kind = if chat.starts_with('-') {
            ChatKind::Group
        } else {
            ChatKind::Direct
        };
        Incoming {
            update_id: next.to_string(),
            chat: ChatRef::new(Platform::Telegram, chat),
            chat_kind: kind,
            message_id: format!("in{next}"),
            sender: UserRef::new(Platform::Telegram, user),
            display_name: format!("Patron {user}"),
            text: text.to_string(),
            reply_to: reply_to.map(str::to_string),
            reply_to_bot_text: None,
            addressed: true,
        }
    }

    /// A patron's direct message (chat id = user id, as on Telegram).
    fn patron_says(&self, user: &str, text: &str) -> Handled {
        self.desk.handle(&self.message(user, user, text, None)).unwrap()
    }

    fn staff_says(&self, chat: &str, text: &str, reply_to: Option<&str>) -> Handled {
        self.desk.handle(&self.message(chat, "7000", text, reply_to)).unwrap()
    }

    /// Sends everything due now through the fake, recording each result.
    async fn deliver(&self) -> Vec<Sent> {
        let before = self.telegram.sent().len();
        for _ in 0..50 {
            let (due, _) = self.desk.due_messages(&Default::default()).unwrap();
            if due.is_empty() {
                break;
            }
            for entry in due {
                let result = self.telegram.send(&entry.message, entry.id).await;
                self.desk.send_result(&entry, result).unwrap();
            }
        }
        self.telegram.sent()[before..].to_vec()
    }
}

fn text_of(sent: &Sent) -> String {
    sent.message.plain_text()
}

fn to_chat<'a>(sent: &'a [Sent], chat: &str) -> Vec<&'a Sent> {
    sent.iter().filter(|item| item.message.chat.chat_id == chat).collect()
}

#[tokio::test]
async fn a_question_is_answered_in_the_patron_chat() {
    let harness = harness("2026-12-01 10:00");
    assert_eq!(harness.patron_says("42", "how do I renew a book?"), Handled::Done);
    let sent = harness.deliver().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].message.chat.chat_id, "42");
    assert!(text_of(&sent[0]).contains("Renew"), "{}", text_of(&sent[0]));
    assert_eq!(harness.desk.store().outbox_len(), 0);
}

#[tokio::test]
async fn a_redelivered_update_is_handled_once() {
    let harness = harness("2026-12-01 10:00");
    let message = harness.message("42", "42", "how do I renew a book?", None);
    assert_eq!(harness.desk.handle(&message).unwrap(), Handled::Done);
    assert_eq!(harness.desk.handle(&message).unwrap(), Handled::Duplicate);
    assert_eq!(harness.deliver().await.len(), 1);
}

#[tokio::test]
async fn unaddressed_group_chatter_is_ignored() {
    let harness = harness("2026-12-01 10:00");
    let mut message = harness.message(BRANCH_CHAT, "42", "lol see you at storytime", None);
    message.addressed = false;
    assert_eq!(harness.desk.handle(&message).unwrap(), Handled::Ignored);
    assert!(harness.deliver().await.is_empty());
}

#[tokio::test]
async fn the_branch_channel_sets_the_branch() {
    let harness = harness("2026-12-01 10:00");
    harness
        .desk
        .handle(&harness.message(BRANCH_CHAT, "42", "what time do you close today?", None))
        .unwrap();
    let sent = harness.deliver().await;
    assert_eq!(sent.len(), 1);
    assert!(text_of(&sent[0]).contains("Main Library"), "{}", text_of(&sent[0]));
    // In a group the answer threads onto the question.
    assert!(sent[0].message.reply_to.is_some());
}

#[tokio::test]
async fn home_branch_is_remembered_and_used() {
    let harness = harness("2026-12-01 10:00");
    harness.patron_says("42", "what time do you close today?");
    let first = harness.deliver().await;
    assert!(
        text_of(&first[0]).to_lowercase().contains("which branch"),
        "{}",
        text_of(&first[0])
    );
    harness.patron_says("42", "/branch northside");
    let set = harness.deliver().await;
    assert!(text_of(&set[0]).contains("Northside"), "{}", text_of(&set[0]));
    harness.patron_says("42", "what time do you close today?");
    let answer = harness.deliver().await;
    assert!(text_of(&answer[0]).contains("Northside"), "{}", text_of(&answer[0]));
    let stored = harness
        .desk
        .store()
        .patron(&UserRef::new(Platform::Telegram, "42"))
        .unwrap()
        .unwrap();
    assert_eq!(stored.home_branch.as_deref(), Some("northside"));
}

#[tokio::test]
async fn an_escalation_opens_a_ticket_for_the_branch_staff_with_their_hours() {
    // Friday 19:00: Main closed since 18:00, opens Saturday 9:00.
    let harness = harness("2026-12-04 19:00");
    harness
        .desk
        .handle(&harness.message(
            BRANCH_CHAT,
            "42",
            "does the library have a piano I can practise on?",
            None,
        ))
        .unwrap();
    let sent = harness.deliver().await;
    let to_staff = to_chat(&sent, MAIN_STAFF);
    let to_patron = to_chat(&sent, BRANCH_CHAT);
    assert_eq!(to_staff.len(), 1, "{sent:?}");
    assert_eq!(to_patron.len(), 1);
    let staff_text = text_of(to_staff[0]);
    assert!(staff_text.contains("Ticket #1"), "{staff_text}");
    assert!(staff_text.contains("Main Library"), "{staff_text}");
    assert!(staff_text.contains("Telegram"), "{staff_text}");
    assert!(staff_text.contains("Patron 42"), "{staff_text}");
    assert!(staff_text.contains("> does the library have a piano"), "{staff_text}");
    let patron_text = text_of(to_patron[0]);
    assert!(patron_text.contains("Main Library staff"), "{patron_text}");
    assert!(patron_text.contains("#1"), "{patron_text}");
    assert!(patron_text.contains("back tomorrow"), "{patron_text}");
    assert!(patron_text.contains("9:00"), "{patron_text}");
    assert!(to_chat(&sent, SYSTEM_STAFF).is_empty());
}

#[tokio::test]
async fn staff_answer_by_reply_and_by_command_and_the_patron_receives_it() {
    let harness = harness("2026-12-01 10:00");
    harness.patron_says("42", "/branch main");
    harness.patron_says("42", "does the library have a piano I can practise on?");
    let sent = harness.deliver().await;
    let ticket_post = to_chat(&sent, MAIN_STAFF)[0].message_id.clone();

    // A reply to the ticket's message.
    harness.staff_says(MAIN_STAFF, "Only service animals, sorry!", Some(&ticket_post));
    let sent = harness.deliver().await;
    let to_patron = to_chat(&sent, "42");
    assert_eq!(to_patron.len(), 1, "{sent:?}");
    let text = text_of(to_patron[0]);
    assert!(text.contains("Only service animals, sorry!"), "{text}");
    assert!(text.contains("— Main Library staff"), "{text}");
    assert!(
        to_chat(&sent, MAIN_STAFF)[0]
            .message
            .plain_text()
            .contains("Sent to Patron 42")
    );

    // `/reply N text`.
    harness.staff_says(MAIN_STAFF, "/reply 1 Small dogs are fine on the patio.", None);
    let sent = harness.deliver().await;
    assert!(text_of(to_chat(&sent, "42")[0]).contains("Small dogs are fine on the patio."));

    // A reply to an unrelated staff message is staff chatter, not an answer.
    harness.staff_says(MAIN_STAFF, "coffee?", Some("unrelated-message"));
    assert!(to_chat(&harness.deliver().await, "42").is_empty());

    let ticket = harness.desk.store().ticket(1).unwrap().unwrap();
    assert!(ticket.first_staff_reply_at.is_some());
    assert_eq!(ticket.history.len(), 3);
}

#[tokio::test]
async fn a_reply_to_a_ticket_post_never_recorded_still_reaches_the_patron() {
    let harness = harness("2026-12-01 10:00");
    harness.patron_says("42", "/branch main");
    harness.patron_says("42", "does the library have a piano I can practise on?");
    // The process stops after the platform took the ticket post and before its
    // id was recorded: the post exists, the store knows nothing of it.
    let (due, _) = harness.desk.due_messages(&Default::default()).unwrap();
    let ticket_entry = due
        .iter()
        .find(|entry| entry.message.chat.chat_id == MAIN_STAFF)
        .expect("the ticket post is due");
    let posted = harness
        .telegram
        .send(&ticket_entry.message, ticket_entry.id)
        .await
        .unwrap();
    let post_text = ticket_entry.message.plain_text();
    let post_id = posted.message_ids[0].clone();
    assert_eq!(
        harness
            .desk
            .store()
            .ticket_for_staff_message(&ticket_entry.message.chat, &post_id)
            .unwrap(),
        None
    );

    let mut reply = harness.message(MAIN_STAFF, "7000", "Yes, in room 2.", Some(&post_id));
    reply.reply_to_bot_text = Some(post_text);
    harness.desk.handle(&reply).unwrap();
    let sent = harness.deliver().await;
    let to_patron: Vec<String> = to_chat(&sent, "42").into_iter().map(text_of).collect();
    assert!(
        to_patron.iter().any(|text| text.contains("Yes, in room 2.")),
        "{to_patron:?}"
    );

    // A reply to one of the bot's other messages says how to answer, and sends nothing on.
    let mut stray = harness.message(MAIN_STAFF, "7000", "ok thanks", Some("bot-note"));
    stray.reply_to_bot_text = Some("Ticket #1 closed.".into());
    harness.desk.handle(&stray).unwrap();
    let sent = harness.deliver().await;
    assert!(to_chat(&sent, "42").is_empty(), "{sent:?}");
    let to_staff: Vec<String> = to_chat(&sent, MAIN_STAFF).into_iter().map(text_of).collect();
    assert!(to_staff.iter().any(|text| text.contains("/reply N")), "{to_staff:?}");
}

#[tokio::test]
async fn follow_ups_join_the_open_ticket_and_close_ends_it() {
    let harness = harness("2026-12-01 10:00");
    harness.patron_says("42", "/staff can you hold a book for my grandmother?");
    harness.deliver().await;
    harness.patron_says("42", "it's the new Louise Penny");
    let sent = harness.deliver().await;
    let forwarded = to_chat(&sent, SYSTEM_STAFF);
    assert_eq!(forwarded.len(), 1, "{sent:?}");
    assert!(text_of(forwarded[0]).contains("> it's the new Louise Penny"));
    assert!(text_of(to_chat(&sent, "42")[0]).contains("Added to your question #1"));

    // Staff reply to the follow-up message works too.
    harness.staff_says(
        SYSTEM_STAFF,
        "Done, it's on the hold shelf.",
        Some(&forwarded[0].message_id),
    );
    assert!(text_of(to_chat(&harness.deliver().await, "42")[0]).contains("hold shelf"));

    harness.staff_says(SYSTEM_STAFF, "/close 1", None);
    let sent = harness.deliver().await;
    assert!(text_of(to_chat(&sent, "42")[0]).contains("closed your question #1"));
    assert_eq!(
        harness.desk.store().ticket(1).unwrap().unwrap().status,
        TicketStatus::Closed
    );

    // After closing, a new message is a new question, not a follow-up.
    harness.patron_says("42", "how do I renew a book?");
    let sent = harness.deliver().await;
    assert!(to_chat(&sent, SYSTEM_STAFF).is_empty());
    assert!(text_of(to_chat(&sent, "42")[0]).contains("Renew"));
}

#[tokio::test]
async fn tickets_claim_and_transfer() {
    let harness = harness("2026-12-01 10:00");
    harness.patron_says("42", "/branch main");
    harness.patron_says("42", "/staff do you buy used books?");
    harness.clock.advance(chrono::Duration::minutes(30));
    harness.patron_says("43", "/branch main");
    harness.patron_says("43", "/staff is the auditorium for rent?");
    harness.deliver().await;

    harness.staff_says(MAIN_STAFF, "/claim 2", None);
    harness.staff_says(MAIN_STAFF, "/tickets", None);
    let sent = harness.deliver().await;
    let list = text_of(to_chat(&sent, MAIN_STAFF).last().unwrap());
    let first = list.find("#1").expect("ticket 1 listed");
    let second = list.find("#2").expect("ticket 2 listed");
    assert!(first < second, "oldest first: {list}");
    assert!(list.contains("30 min"), "{list}");
    assert!(list.contains("Patron 7000"), "claimer shown: {list}");

    harness.staff_says(MAIN_STAFF, "/transfer 1 northside", None);
    let sent = harness.deliver().await;
    // Northside has no staff chat of its own: the ticket goes to the system-wide staff.
    assert!(text_of(to_chat(&sent, SYSTEM_STAFF)[0]).contains("Ticket #1"));
    assert!(text_of(to_chat(&sent, "42")[0]).contains("Northside"));
    assert_eq!(
        harness.desk.store().ticket(1).unwrap().unwrap().branch.as_deref(),
        Some("northside")
    );
    // Main's staff no longer own it.
    harness.staff_says(MAIN_STAFF, "/reply 1 hello", None);
    let sent = harness.deliver().await;
    assert!(to_chat(&sent, "42").is_empty());
    assert!(text_of(to_chat(&sent, MAIN_STAFF)[0]).contains("belongs to"));
}

#[tokio::test]
async fn staff_commands_outside_staff_chats_are_refused() {
    let harness = harness("2026-12-01 10:00");
    harness.patron_says("42", "/staff help me");
    harness.deliver().await;
    for attempt in [
        "/reply 1 you have been hacked",
        "/close 1",
        "/tickets",
        "/claim 1",
        "/transfer 1 main",
    ] {
        harness.patron_says("666", attempt);
        let sent = harness.deliver().await;
        assert_eq!(sent.len(), 1, "{attempt}");
        assert!(text_of(&sent[0]).contains("only in a staff chat"), "{attempt}");
        assert_eq!(sent[0].message.chat.chat_id, "666");
    }
    // The branch's patron group is not a staff chat either.
    harness
        .desk
        .handle(&harness.message(BRANCH_CHAT, "666", "/close 1", None))
        .unwrap();
    assert!(text_of(&harness.deliver().await[0]).contains("only in a staff chat"));
    assert_eq!(
        harness.desk.store().ticket(1).unwrap().unwrap().status,
        TicketStatus::Open
    );
}

#[tokio::test]
async fn reminders_count_open_hours_then_fall_back_to_system_staff() {
    // Friday 17:30: Main is open until 18:00.
    let harness = harness("2026-12-04 17:30");
    harness.patron_says("42", "/branch main");
    harness.patron_says("42", "/staff do you have a piano I can practise on?");
    harness.deliver().await;

    // Saturday 8:00: only 30 open minutes have passed.
    harness.clock.set(local("2026-12-05 08:00"));
    harness.desk.tick().unwrap();
    assert!(harness.deliver().await.is_empty());

    // Saturday 9:31: 61 open minutes.
    harness.clock.set(local("2026-12-05 09:31"));
    harness.desk.tick().unwrap();
    let sent = harness.deliver().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].message.chat.chat_id, MAIN_STAFF);
    assert!(text_of(&sent[0]).contains("Reminder"), "{}", text_of(&sent[0]));
    harness.desk.tick().unwrap();
    assert!(harness.deliver().await.is_empty(), "reminded once");

    // Saturday 12:31: 4 h 01 of open time: the system-wide staff get it too.
    harness.clock.set(local("2026-12-05 12:31"));
    harness.desk.tick().unwrap();
    let sent = harness.deliver().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].message.chat.chat_id, SYSTEM_STAFF);
    // System-wide staff may answer it, and the reply reaches the patron.
    harness.staff_says(
        SYSTEM_STAFF,
        "We don't, but the music school does.",
        Some(&sent[0].message_id),
    );
    assert!(text_of(to_chat(&harness.deliver().await, "42")[0]).contains("music school"));
}

#[tokio::test]
async fn forget_erases_the_patron_everywhere_after_confirmation() {
    let harness = harness("2026-12-01 10:00");
    harness.patron_says("42", "/branch main");
    harness.patron_says("42", "/staff my address changed");
    harness.deliver().await;
    harness.staff_says(MAIN_STAFF, "/reply 1 Thanks, updated.", None);
    // The staff reply is still in the outbox when the patron asks to be forgotten.
    harness.patron_says("42", "/forget");
    let user = UserRef::new(Platform::Telegram, "42");
    assert!(
        harness.desk.store().patron(&user).unwrap().is_some(),
        "not before confirming"
    );
    harness.patron_says("42", "/forget yes");
    let sent = harness.deliver().await;
    let to_patron: Vec<String> = to_chat(&sent, "42").into_iter().map(text_of).collect();
    assert!(
        !to_patron.iter().any(|text| text.contains("Thanks, updated")),
        "{to_patron:?}"
    );
    assert!(to_patron.last().unwrap().contains("erased everything"));
    let store = harness.desk.store();
    assert!(store.patron(&user).unwrap().is_none());
    assert!(store.tickets().unwrap().iter().all(|ticket| ticket.patron != user));
    assert!(
        store
            .unanswered()
            .unwrap()
            .iter()
            .all(|(_, record)| record.patron != user)
    );
    assert_eq!(store.outbox_len(), 0);
}

#[tokio::test]
async fn a_flood_gets_one_notice_and_does_not_delay_others() {
    let harness = harness("2026-12-01 10:00");
    for _ in 0..15 {
        harness.patron_says("42", "how do I renew a book?");
    }
    harness.patron_says("43", "how do I renew a book?");
    let sent = harness.deliver().await;
    let to_flooder: Vec<String> = to_chat(&sent, "42").into_iter().map(text_of).collect();
    assert_eq!(to_flooder.len(), 11, "10 answers and one notice");
    assert_eq!(
        to_flooder
            .iter()
            .filter(|text| text.contains("faster than I can read"))
            .count(),
        1
    );
    assert_eq!(to_chat(&sent, "43").len(), 1);
    harness.clock.advance(chrono::Duration::seconds(61));
    harness.patron_says("42", "how do I renew a book?");
    assert_eq!(to_chat(&harness.deliver().await, "42").len(), 1);
}

#[tokio::test]
async fn hostile_and_huge_text_is_contained() {
    let harness = harness("2026-12-01 10:00");
    let huge = format!("@everyone {}", "please help with my account ".repeat(200));
    assert!(huge.chars().count() > 5000);
    harness.patron_says("42", &huge);
    harness.patron_says("43", "");
    let sent = harness.deliver().await;
    for item in &sent {
        assert!(text_of(item).chars().count() < 4000, "relayed text is capped");
    }
    assert!(text_of(to_chat(&sent, "43")[0]).contains("only read text"));
}

#[tokio::test]
async fn outbox_retries_rate_limits_and_moves_but_drops_blocked_chats() {
    let harness = harness("2026-12-01 10:00");
    harness.patron_says("42", "how do I renew a book?");
    harness
        .telegram
        .fail_next(SendError::RetryAfter(Duration::from_secs(30)));
    assert!(harness.deliver().await.is_empty());
    // Not before retry_after.
    harness.clock.advance(chrono::Duration::seconds(29));
    assert!(harness.deliver().await.is_empty());
    harness.clock.advance(chrono::Duration::seconds(2));
    assert_eq!(harness.deliver().await.len(), 1);

    // A server error: backed off, then delivered once.
    harness.patron_says("42", "how do I get a library card?");
    harness.telegram.fail_next(SendError::Transient("500".into()));
    assert!(harness.deliver().await.is_empty());
    harness.clock.advance(chrono::Duration::seconds(5));
    let sent = harness.deliver().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        harness
            .telegram
            .attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|(nonce, _)| *nonce == sent[0].nonce)
            .count(),
        2,
        "the retry keeps its nonce"
    );

    // The branch group moved: this message and later ones go to the new id.
    harness.telegram.take();
    harness
        .desk
        .handle(&harness.message(BRANCH_CHAT, "44", "how do I renew a book?", None))
        .unwrap();
    harness.telegram.fail_next(SendError::ChatMigrated("-100777".into()));
    let sent = harness.deliver().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].message.chat.chat_id, "-100777");

    // Blocked: dropped, the patron marked, the ticket's staff told.
    harness.patron_says("45", "/branch main");
    harness.deliver().await;
    harness.patron_says("45", "/staff question for a person");
    harness.deliver().await;
    harness.staff_says(MAIN_STAFF, "/reply 1 here you go", None);
    harness
        .telegram
        .fail_next(SendError::Permanent("Forbidden: bot was blocked by the user".into()));
    let sent = harness.deliver().await;
    assert!(to_chat(&sent, "45").is_empty());
    let notices: Vec<String> = to_chat(&sent, MAIN_STAFF).into_iter().map(text_of).collect();
    assert!(
        notices.iter().any(|text| text.contains("could not be delivered")),
        "{notices:?}"
    );
    let patron = harness
        .desk
        .store()
        .patron(&UserRef::new(Platform::Telegram, "45"))
        .unwrap()
        .unwrap();
    assert!(patron.undeliverable);
    assert_eq!(harness.desk.store().outbox_len(), 0);
}

#[tokio::test]
async fn nothing_is_lost_when_the_process_dies_before_sending() {
    let harness = harness("2026-12-04 19:00");
    let question = harness.message("42", "42", "/staff can I reserve the auditorium?", None);
    assert_eq!(harness.desk.handle(&question).unwrap(), Handled::Done);
    let data = harness.data.path().to_path_buf();
    let clock = harness.clock.clone();
    // "Crash": drop the desk with messages still in the outbox.
    let Harness {
        desk, data: directory, ..
    } = harness;
    drop(desk);
    let store = Store::open(&data, 1 << 22).unwrap();
    assert_eq!(store.outbox_len(), 2, "the ticket post and the patron notice survived");
    let desk = Arc::new(Desk::new(engine(), store, desk_config(), clock));
    // The platform redelivers the update the process died on: handled once.
    assert_eq!(desk.handle(&question).unwrap(), Handled::Duplicate);
    assert_eq!(desk.store().outbox_len(), 2);
    let fake = FakeAdapter::new(Platform::Telegram);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let sender = tokio::spawn(refdesk::outbox::run(
        Arc::clone(&desk),
        vec![fake.clone() as Arc<dyn Adapter>],
        shutdown.clone().cancelled_owned(),
    ));
    wait_until(|| fake.sent().len() == 2).await;
    shutdown.cancel();
    sender.await.unwrap();
    assert_eq!(desk.store().outbox_len(), 0);
    assert_eq!(desk.store().tickets().unwrap().len(), 1);
    drop(directory);
}

#[tokio::test]
async fn the_outbox_loop_waits_out_retry_after_and_keeps_chat_order() {
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path(), 1 << 22).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let desk = Arc::new(Desk::new(engine(), store, desk_config(), clock));
    let fake = FakeAdapter::new(Platform::Telegram);
    fake.fail_next(SendError::RetryAfter(Duration::from_millis(300)));
    let question = |update: &str, text: &str| Incoming {
        update_id: update.into(),
        chat: ChatRef::new(Platform::Telegram, "42"),
        chat_kind: ChatKind::Direct,
        message_id: update.into(),
        sender: UserRef::new(Platform::Telegram, "42"),
        display_name: "P".into(),
        text: text.into(),
        reply_to: None,
        reply_to_bot_text: None,
        addressed: true,
    };
    desk.handle(&question("1", "how do I renew a book?")).unwrap();
    desk.handle(&question("2", "how do I get a library card?")).unwrap();
    let started = Instant::now();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let sender = tokio::spawn(refdesk::outbox::run(
        Arc::clone(&desk),
        vec![fake.clone() as Arc<dyn Adapter>],
        shutdown.clone().cancelled_owned(),
    ));
    wait_until(|| fake.sent().len() == 2).await;
    shutdown.cancel();
    sender.await.unwrap();
    let sent = fake.sent();
    assert!(
        sent[0].at - started >= Duration::from_millis(300),
        "not before retry_after"
    );
    assert!(sent[0].nonce < sent[1].nonce, "in order");
    assert!(text_of(&sent[0]).contains("Renew"));
    assert_eq!(
        fake.attempts.lock().unwrap().len(),
        3,
        "one refused attempt, then each once"
    );
}

#[tokio::test]
async fn old_closed_tickets_are_purged() {
    let harness = harness("2026-12-01 10:00");
    harness.patron_says("42", "/staff a question");
    harness.deliver().await;
    harness.staff_says(SYSTEM_STAFF, "/close 1", None);
    harness.deliver().await;
    harness.clock.advance(chrono::Duration::days(89));
    harness.desk.tick().unwrap();
    assert!(harness.desk.store().ticket(1).unwrap().is_some());
    harness.clock.advance(chrono::Duration::days(2));
    harness.desk.tick().unwrap();
    assert!(harness.desk.store().ticket(1).unwrap().is_none());
    assert!(harness.desk.store().unanswered().unwrap().is_empty());
}

#[tokio::test]
async fn the_report_groups_unanswered_questions() {
    let harness = harness("2026-12-01 10:00");
    for (user, text) in [
        ("1", "/staff can I bring my llama?"),
        ("2", "/staff can I bring my llama to the library"),
        ("3", "/staff do you sell stamps?"),
    ] {
        harness.patron_says(user, text);
    }
    harness.deliver().await;
    harness.clock.advance(chrono::Duration::minutes(20));
    harness.staff_says(SYSTEM_STAFF, "/reply 1 No llamas.", None);
    let report = refdesk::report::build(harness.desk.store(), &harness.desk.engine(), None).unwrap();
    assert_eq!(report.unanswered_total, 3);
    assert_eq!(report.unanswered[0].count, 2, "{report}");
    assert!(report.unanswered[0].example.contains("llama"));
    assert_eq!(report.median_first_reply_minutes, Some(20));
    let text = report.to_string();
    assert!(text.contains("(no branch): 3, 3"), "{text}");
}

async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not met within 5 s");
}
