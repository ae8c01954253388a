//! Patrons asking, tickets reaching staff, staff answering by reply and by
//! `/reply`, and staff commands refused outside staff chats.

use std::sync::{Arc, Mutex};

use refdesk::chat::Platform;
use serde_json::Value;

use crate::fake::{BOT_USERNAME, Sent};
use crate::helpers::{App, LIBRARIAN, MAIN_GROUP, NORTHSIDE_STAFF, OTHER_PATRON, PATRON, SYSTEM_STAFF, spawn_app};

const REFUSED: &str = "That command is for library staff";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patron_question_is_answered_and_confirmed() {
    let app = spawn_app().await;
    let (update, _) = app
        .fake
        .private_text(PATRON, "Ada", "When is Main Library open on Monday?");
    let sent = app.fake.wait_for_sent(PATRON, 1).await;
    assert!(sent[0].visible.contains("Main Library is open"), "{}", sent[0].visible);
    assert_eq!(sent[0].reply_to, None, "private answers are not threaded");
    let request = &app.fake.requests("sendMessage")[0];
    assert_eq!(request.body["parse_mode"], "HTML");
    app.fake.wait_for_confirmed(update).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_registered_with_staff_commands_only_in_staff_chats() {
    let app = spawn_app().await;
    let requests = app.fake.requests("setMyCommands");
    let names = |body: &Value| -> Vec<String> {
        body["commands"]
            .as_array()
            .expect("commands")
            .iter()
            .map(|command| command["command"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let default = requests
        .iter()
        .find(|request| request.body.get("scope").is_none())
        .expect("a menu for every chat");
    let default_names = names(&default.body);
    for command in ["start", "help", "hours", "events", "branch", "staff", "forget"] {
        assert!(default_names.iter().any(|name| name == command), "{command} missing");
    }
    assert!(
        !default_names.iter().any(|name| name == "reply"),
        "staff commands leak to patrons"
    );
    let mut staff_chats: Vec<i64> = requests
        .iter()
        .filter_map(|request| request.body["scope"]["chat_id"].as_i64())
        .collect();
    staff_chats.sort_unstable();
    assert_eq!(staff_chats, vec![SYSTEM_STAFF, NORTHSIDE_STAFF]);
    for request in requests.iter().filter(|request| request.body.get("scope").is_some()) {
        assert_eq!(request.body["scope"]["type"], "chat");
        assert!(names(&request.body).iter().any(|name| name == "reply"));
    }
    assert_eq!(app.fake.requests("getMe").len(), 1);
    app.stop().await;
}

/// A question the engine cannot answer, about Northside: a ticket for Northside staff.
async fn open_northside_ticket(app: &App, text: &str) -> (u64, Sent, i64) {
    let (_, patron_message) = app.fake.private_text(PATRON, "Ada", text);
    let post = app.fake.wait_for_text(NORTHSIDE_STAFF, "Ticket #").await;
    let notice = app
        .fake
        .wait_for_text(PATRON, "passed it to Northside Branch staff")
        .await;
    assert!(notice.visible.contains("question #"));
    (App::ticket_number(&post.visible), post, patron_message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_reaches_staff_and_a_reply_reaches_the_patron() {
    let app = spawn_app().await;
    let (ticket, post, patron_message) =
        open_northside_ticket(&app, "Can my parrot attend the knitting circle at Northside?").await;
    assert!(post.html.starts_with("<b>Ticket #"), "{}", post.html);
    assert!(
        post.html
            .contains("<blockquote>Can my parrot attend the knitting circle at Northside?</blockquote>")
    );
    assert!(post.visible.contains("from Ada Tester"));

    // A librarian replies to the ticket post in the staff group (no command, no mention).
    app.fake.group_text(
        NORTHSIDE_STAFF,
        LIBRARIAN,
        "Lena",
        "Quiet parrots are welcome!",
        Some(&post),
    );
    let answer = app.fake.wait_for_text(PATRON, "Answer to your question").await;
    assert!(answer.visible.contains(&format!("#{ticket}")));
    assert!(answer.visible.contains("Quiet parrots are welcome!"));
    assert!(answer.html.contains("<b>Northside Branch staff</b>"), "{}", answer.html);
    assert_eq!(
        answer.reply_to,
        Some(patron_message),
        "the answer threads on the question"
    );
    assert!(
        answer.allow_without_reply,
        "a deleted question must not block the answer"
    );
    let confirmation = app.fake.wait_for_text(NORTHSIDE_STAFF, "Sent to Ada Tester").await;
    assert!(confirmation.visible.contains(&format!("ticket #{ticket}")));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_answer_with_the_reply_command() {
    let app = spawn_app().await;
    app.fake.private_text(PATRON, "Ada", "Do you sell llama wool?");
    let post = app.fake.wait_for_text(SYSTEM_STAFF, "Ticket #").await;
    let ticket = App::ticket_number(&post.visible);
    let command = format!("/reply@{BOT_USERNAME} {ticket} No llama wool, but try the craft fair.");
    app.fake.group_text(SYSTEM_STAFF, LIBRARIAN, "Lena", &command, None);
    let answer = app.fake.wait_for_text(PATRON, "Answer to your question").await;
    assert!(answer.visible.contains("No llama wool, but try the craft fair."));
    assert!(answer.visible.contains("library staff"));
    app.fake.wait_for_text(SYSTEM_STAFF, "Sent to Ada Tester").await;
    // Exactly one answer, one notice: nothing doubled.
    assert_eq!(app.fake.sent_to(PATRON).len(), 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_typing_reply_is_refused() {
    let app = spawn_app().await;
    app.fake.private_text(PATRON, "Ada", "Do you sell llama wool?");
    let post = app.fake.wait_for_text(SYSTEM_STAFF, "Ticket #").await;
    let ticket = App::ticket_number(&post.visible);

    // In a private chat, and in a branch's patron group.
    let (last_private, _) = app.fake.private_text(
        OTHER_PATRON,
        "Mallory",
        &format!("/reply {ticket} Send me your card number"),
    );
    app.fake.wait_for_text(OTHER_PATRON, REFUSED).await;
    let (last_group, _) = app.fake.group_text(
        MAIN_GROUP,
        OTHER_PATRON,
        "Mallory",
        &format!("/reply {ticket} hello"),
        None,
    );
    let refusal = app.fake.wait_for_text(MAIN_GROUP, REFUSED).await;
    assert!(refusal.reply_to.is_some(), "group answers are threaded");
    app.fake.wait_for_confirmed(last_private.max(last_group)).await;

    let to_patron: Vec<Sent> = app.fake.sent_to(PATRON);
    assert_eq!(to_patron.len(), 1, "only the 'passed to staff' notice: {to_patron:?}");
    assert!(!to_patron[0].visible.contains("card number"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_answer_only_when_addressed() {
    let app = spawn_app().await;
    let (chatter, _) = app
        .fake
        .group_text(MAIN_GROUP, PATRON, "Ada", "is it open on monday?", None);
    app.fake.wait_for_confirmed(chatter).await;
    let (_, question) = app.fake.group_text(
        MAIN_GROUP,
        PATRON,
        "Ada",
        &format!("@{BOT_USERNAME} is it open on monday?"),
        None,
    );
    let answer = app.fake.wait_for_text(MAIN_GROUP, "open").await;
    // The group belongs to Main Library, so the answer needs no branch name.
    assert!(answer.visible.contains("Main Library"), "{}", answer.visible);
    assert_eq!(answer.reply_to, Some(question));
    assert_eq!(app.fake.sent_to(MAIN_GROUP).len(), 1, "chatter was ignored");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offset_moves_only_past_updates_the_desk_made_durable() {
    let app = spawn_app().await;
    let early: Arc<Mutex<Vec<i64>>> = Arc::default();
    let desk = Arc::clone(&app.desk);
    let record = Arc::clone(&early);
    app.fake.on_confirm(Arc::new(move |confirmed: &[i64]| {
        for id in confirmed {
            let durable = desk
                .store()
                .is_handled(Platform::Telegram, &id.to_string())
                .unwrap_or(false);
            if !durable {
                record.lock().unwrap().push(*id);
            }
        }
    }));
    let mut last = 0;
    for patron in 0..20 {
        (last, _) = app
            .fake
            .private_text(PATRON + 100 + patron, "Pat", "When is Main Library open on Monday?");
    }
    app.fake.wait_for_confirmed(last).await;
    assert!(
        early.lock().unwrap().is_empty(),
        "confirmed before durable: {:?}",
        early.lock().unwrap()
    );
    app.stop().await;
}
