//! Updates that are not plain text messages: unknown fields, no text, a
//! sticker, an edit, garbage. Each is handled or skipped, never a crash, and
//! the updates after them are still answered.

use serde_json::json;

use crate::fake::{private_chat, user};
use crate::helpers::{PATRON, spawn_app};

const TEXT_ONLY: &str = "I can only read text";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_updates_are_skipped_and_later_ones_handled() {
    let app = spawn_app().await;
    let fake = &app.fake;
    let chat = private_chat(PATRON, "Ada");
    let from = user(PATRON, "Ada");
    // A text message with fields this teloxide has never heard of: answered.
    fake.queue_message(
        "message",
        chat.clone(),
        from.clone(),
        json!({"text": "When is Main Library open on Monday?", "future_field": {"x": [1, 2]}, "is_shiny": true}),
    );
    // No text at all (a location), then a sticker: both told that only text is read.
    fake.queue_message(
        "message",
        chat.clone(),
        from.clone(),
        json!({"location": {"latitude": 41.9, "longitude": -91.6}}),
    );
    fake.queue_message(
        "message",
        chat.clone(),
        from.clone(),
        json!({"sticker": {"file_id": "CAAC", "file_unique_id": "AgAD", "type": "regular",
            "width": 512, "height": 512, "is_animated": false, "is_video": false, "emoji": "📚"}}),
    );
    // An edit of an earlier message: not answered again.
    fake.queue_message(
        "edited_message",
        chat.clone(),
        from.clone(),
        json!({"text": "When is Main Library open on Tuesday?", "edit_date": 1_780_000_100}),
    );
    // A message teloxide cannot read, an update kind it does not know, and
    // entries that are not updates at all.
    fake.queue_raw(|id| json!({"update_id": id, "message": {"message_id": "not a number", "chat": 5}}));
    fake.queue_raw(|id| json!({"update_id": id, "poll_v2": {"id": "x"}}));
    fake.queue_raw(|_| json!({"garbage": true}));
    fake.queue_raw(|_| json!("not even an object"));
    // And a normal question after all of it.
    let (last, _) = fake.private_text(PATRON, "Ada", "/help");

    let sent = fake.wait_for_sent(PATRON, 4).await;
    fake.wait_for_confirmed(last).await;
    let texts: Vec<&str> = sent.iter().map(|sent| sent.visible.as_str()).collect();
    assert!(texts[0].contains("Main Library is open"), "{texts:?}");
    assert!(
        texts[1].contains(TEXT_ONLY) && texts[2].contains(TEXT_ONLY),
        "{texts:?}"
    );
    assert!(texts[3].contains("Commands:"), "{texts:?}");
    assert_eq!(fake.sent_to(PATRON).len(), 4, "nothing for the edit or the garbage");
    app.stop().await;
}
