//! What happens when Telegram refuses a send: 429, 5xx, a blocked bot, a
//! migrated group. Every message arrives once, in order, or is reported.

use std::time::Duration;

use refdesk::chat::{Platform, UserRef};
use serde_json::json;

use crate::fake::error_body;
use crate::helpers::{App, LIBRARIAN, NORTHSIDE_STAFF, PATRON, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_messages_arrive_once_in_order_after_retry_after() {
    let app = spawn_app().await;
    let mut too_many = error_body(429, "Too Many Requests: retry after 1");
    too_many["parameters"] = json!({"retry_after": 1});
    app.fake.script_send(PATRON, 429, too_many);
    app.fake
        .private_text(PATRON, "Ada", "When is Main Library open on Monday?");
    app.fake.private_text(PATRON, "Ada", "/help");
    let sent = app.fake.wait_for_sent(PATRON, 2).await;
    assert!(sent[0].visible.contains("Main Library is open"), "first answer first");
    assert!(sent[1].visible.contains("Commands:"), "then the help");
    let attempts = app.fake.requests("sendMessage");
    let refused = attempts
        .iter()
        .find(|request| request.body["chat_id"] == PATRON)
        .expect("the refused attempt");
    assert!(
        sent[0].at.duration_since(refused.at) >= Duration::from_secs(1),
        "resent before retry_after"
    );
    // Give a doubled send the time to show up, then count.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(app.fake.sent_to(PATRON).len(), 2);
    assert_eq!(
        app.fake
            .requests("sendMessage")
            .iter()
            .filter(|request| request.body["chat_id"] == PATRON)
            .count(),
        3
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_and_delivered_once() {
    let app = spawn_app().await;
    app.fake
        .script_send(PATRON, 500, error_body(500, "Internal Server Error"));
    app.fake
        .private_text(PATRON, "Ada", "When is Main Library open on Monday?");
    let sent = app.fake.wait_for_sent(PATRON, 1).await;
    assert!(sent[0].visible.contains("Main Library is open"));
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(app.fake.sent_to(PATRON).len(), 1, "delivered once");
    let attempts = app
        .fake
        .requests("sendMessage")
        .iter()
        .filter(|request| request.body["chat_id"] == PATRON)
        .count();
    assert_eq!(attempts, 2, "one failure, one success");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_patron_is_marked_undeliverable_and_staff_are_told() {
    let app = spawn_app().await;
    app.fake
        .private_text(PATRON, "Ada", "Can my parrot attend the knitting circle at Northside?");
    let post = app.fake.wait_for_text(NORTHSIDE_STAFF, "Ticket #").await;
    let ticket = App::ticket_number(&post.visible);
    app.fake.wait_for_sent(PATRON, 1).await;
    app.fake.block(PATRON);
    app.fake.group_text(
        NORTHSIDE_STAFF,
        LIBRARIAN,
        "Lena",
        &format!("/reply {ticket} Yes, quiet parrots are welcome."),
        None,
    );
    let notice = app.fake.wait_for_text(NORTHSIDE_STAFF, "could not be delivered").await;
    assert!(notice.visible.contains(&format!("Ticket #{ticket}")));
    assert!(notice.visible.contains("blocked"));
    let patron = app
        .desk
        .store()
        .patron(&UserRef::new(Platform::Telegram, PATRON.to_string()))
        .expect("store")
        .expect("the patron's record");
    assert!(patron.undeliverable);
    // Not retried forever: the outbox empties (the notice's own result is recorded just after it arrives).
    app.fake
        .wait_until("an empty outbox", || (app.desk.store().outbox_len() == 0).then_some(()))
        .await;
    assert_eq!(app.fake.sent_to(PATRON).len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migrated_group_gets_the_message_at_its_new_id() {
    const UPGRADED: i64 = -100_999_200;
    let app = spawn_app().await;
    app.fake.migrate(NORTHSIDE_STAFF, UPGRADED);
    app.fake
        .private_text(PATRON, "Ada", "Can my parrot attend the knitting circle at Northside?");
    let post = app.fake.wait_for_text(UPGRADED, "Ticket #").await;
    assert!(post.visible.contains("knitting circle"));
    assert!(app.fake.sent_to(NORTHSIDE_STAFF).is_empty());
    let to_old_id = app
        .fake
        .requests("sendMessage")
        .iter()
        .filter(|request| request.body["chat_id"] == NORTHSIDE_STAFF)
        .count();
    assert_eq!(to_old_id, 1, "tried once at the old id");

    // Later messages for the old id go straight to the new one.
    app.fake
        .private_text(PATRON, "Ada", "/staff Also, may my parrot borrow DVDs at Northside?");
    app.fake.wait_for_text(UPGRADED, "more from Ada").await;
    let to_old_id = app
        .fake
        .requests("sendMessage")
        .iter()
        .filter(|request| request.body["chat_id"] == NORTHSIDE_STAFF)
        .count();
    assert_eq!(to_old_id, 1);
    app.stop().await;
}
