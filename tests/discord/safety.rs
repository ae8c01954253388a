//! What the bot posts can't ping or inject markup, and long messages split.

use serde_json::json;

use crate::fake::{GUILD_ID, bot_user, message, reply_to, user};
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_in_patron_text_never_pings() {
    let app = spawn_app().await;
    patron_dm(&app, "/staff @everyone <@&4242> **urgent** help\n# now");
    let ticket = app.fake.wait_for_post(SYSTEM_STAFF, "Ticket #1").await;
    assert!(
        ticket
            .content
            .contains("> @everyone \\<@&4242\\> \\*\\*urgent\\*\\* help\n> \\# now"),
        "quoted and escaped: {}",
        ticket.content
    );
    app.fake.wait_for_post(DM_CHANNEL, "question #1").await;
    let attempts = app.fake.post_attempts();
    assert!(attempts.len() >= 2);
    for attempt in attempts {
        let body = &attempt.body;
        assert_eq!(body["allowed_mentions"]["parse"], json!([]), "{body}");
        assert_eq!(body["allowed_mentions"]["users"], json!([]), "{body}");
        assert_eq!(body["allowed_mentions"]["roles"], json!([]), "{body}");
        assert!(body["nonce"].as_str().is_some_and(|nonce| !nonce.is_empty()), "{body}");
        assert_eq!(body["enforce_nonce"], json!(true), "{body}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_ticket_is_split_and_a_reply_to_any_part_finds_it() {
    let app = spawn_app().await;
    let long_question = "Could someone explain the rules for the maker space? ".repeat(55);
    patron_dm(&app, &format!("/staff {}", long_question.trim()));
    app.fake.wait_for_post(DM_CHANNEL, "question #1").await;
    // The outbox orders sends within a chat, not across chats: the patron's confirmation may
    // arrive before the staff channel's parts.
    let parts = app
        .fake
        .wait_for("both parts of the ticket", |fake| {
            let parts = fake.posted_in(SYSTEM_STAFF);
            (parts.len() >= 2).then_some(parts)
        })
        .await;
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert!(parts[0].content.starts_with("**Ticket #1**"));
    assert!(
        parts[1].content.starts_with("> "),
        "the quote continues: {}",
        &parts[1].content[..40]
    );
    let nonces: Vec<&str> = parts.iter().map(|part| part.body["nonce"].as_str().unwrap()).collect();
    let base = nonces[0].strip_suffix("-1").expect("a part nonce");
    assert_eq!(nonces[1], format!("{base}-2"));
    for part in &parts {
        assert!(part.content.chars().count() <= 2000);
    }
    // Staff reply to the second part.
    let second = message(
        &parts[1].id,
        SYSTEM_STAFF,
        Some(GUILD_ID),
        bot_user(),
        &parts[1].content,
    );
    let staff_reply = app.fake.next_id();
    app.fake.user_message(reply_to(
        message(
            &staff_reply,
            SYSTEM_STAFF,
            Some(GUILD_ID),
            user(STAFF, "sam"),
            "Ask at the desk for a tour.",
        ),
        &second,
    ));
    app.fake.wait_for_post(DM_CHANNEL, "Ask at the desk for a tour.").await;
    app.stop().await;
}
