//! Conversations: DMs, branch channels, escalation to staff and the staff's
//! answers (by reply and by /reply), across platforms, and refusals.

use refdesk::chat::{ChatKind, ChatRef, Incoming, Platform, UserRef};
use refdesk::desk::Handled;
use serde_json::json;

use crate::fake::{self, APPLICATION_ID, BOT_ID, GUILD_ID, bot_user, message, reply_to, user};
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_is_answered() {
    let app = spawn_app().await;
    patron_dm(&app, "is main open tomorrow?");
    let answer = app.fake.wait_for_post(DM_CHANNEL, "Main Library").await;
    assert!(answer.content.contains("open"), "{}", answer.content);
    // In a DM the answer is not threaded.
    assert!(answer.body.get("message_reference").is_none(), "{}", answer.body);
    let requests = app.fake.requests();
    assert!(requests.iter().any(|request| request.path == "/api/v10/users/@me"));
    let registration = app
        .fake
        .wait_for("slash command registration", |fake| {
            fake.requests().into_iter().find(|request| {
                request.method == "PUT"
                    && request.path == format!("/api/v10/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands")
            })
        })
        .await;
    let names: Vec<&str> = registration
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|command| command["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ask", "hours", "events", "branch", "staff", "reply"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_in_a_branch_channel_gets_that_branchs_answer() {
    let app = spawn_app().await;
    // Chatter without a mention is not for the bot.
    let chatter = app.fake.next_id();
    app.fake.user_message(message(
        &chatter,
        NORTHSIDE_CHANNEL,
        Some(GUILD_ID),
        user(PATRON, "pat"),
        "when are you open today? asking the room",
    ));
    let question = app.fake.next_id();
    let mut mention = message(
        &question,
        NORTHSIDE_CHANNEL,
        Some(GUILD_ID),
        user(PATRON, "pat"),
        &format!("<@{BOT_ID}> when are you open today?"),
    );
    mention["mentions"] = json!([bot_user()]);
    app.fake.user_message(mention);
    let answer = app.fake.wait_for_post(NORTHSIDE_CHANNEL, "Northside").await;
    assert!(answer.content.contains("today"), "{}", answer.content);
    assert_eq!(answer.body["message_reference"]["message_id"], json!(question));
    assert_eq!(answer.body["message_reference"]["fail_if_not_exists"], json!(false));
    // The bot answered once: the chatter got nothing.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.fake.posted_in(NORTHSIDE_CHANNEL).len(), 1);
    // A slash command in the channel works the same way, and is acknowledged privately.
    let interaction = app.fake.next_id();
    app.fake.dispatch(
        "INTERACTION_CREATE",
        fake::command(&interaction, NORTHSIDE_CHANNEL, user(PATRON, "pat"), "hours", json!([])),
    );
    app.fake
        .wait_for("a second Northside answer", |fake| {
            (fake.posted_in(NORTHSIDE_CHANNEL).len() == 2).then_some(())
        })
        .await;
    let callback = app
        .fake
        .wait_for("the interaction response", |fake| {
            fake.requests().into_iter().find(|request| {
                request.path == format!("/api/v10/interactions/{interaction}/token-{interaction}/callback")
            })
        })
        .await;
    assert_eq!(callback.body["type"], json!(4));
    assert_eq!(
        callback.body["data"]["flags"],
        json!(64),
        "ephemeral: {}",
        callback.body
    );
    let hours = &app.fake.posted_in(NORTHSIDE_CHANNEL)[1];
    assert!(hours.content.contains("Northside"), "{}", hours.content);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_reaches_staff_and_their_replies_reach_the_patron() {
    let app = spawn_app().await;
    patron_dm(&app, "who painted the mural by the stairs at main?");
    let ticket = app.fake.wait_for_post(MAIN_STAFF, "Ticket #1").await;
    assert!(
        ticket
            .content
            .contains("> who painted the mural by the stairs at main?"),
        "{}",
        ticket.content
    );
    assert!(ticket.content.contains("pat (display)"), "{}", ticket.content);
    app.fake.wait_for_post(DM_CHANNEL, "question #1").await;

    // Staff answer by replying to the ticket's message.
    let ticket_message = message(&ticket.id, MAIN_STAFF, Some(GUILD_ID), bot_user(), &ticket.content);
    let staff_reply = app.fake.next_id();
    app.fake.user_message(reply_to(
        message(
            &staff_reply,
            MAIN_STAFF,
            Some(GUILD_ID),
            user(STAFF, "sam"),
            "Local artist Ana Ruiz, in 1998.",
        ),
        &ticket_message,
    ));
    let answer = app.fake.wait_for_post(DM_CHANNEL, "Ana Ruiz").await;
    assert!(
        answer.content.contains("Answer to your question #1"),
        "{}",
        answer.content
    );
    app.fake.wait_for_post(MAIN_STAFF, "Sent to pat (display)").await;

    // And with /reply.
    let interaction = app.fake.next_id();
    app.fake.dispatch(
        "INTERACTION_CREATE",
        fake::command(
            &interaction,
            MAIN_STAFF,
            user(STAFF, "sam"),
            "reply",
            json!([{"name": "ticket", "type": 4, "value": 1}, {"name": "text", "type": 3, "value": "It was restored in 2020."}]),
        ),
    );
    let second = app.fake.wait_for_post(DM_CHANNEL, "restored in 2020").await;
    assert!(second.content.contains("question #1"), "{}", second.content);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_ticket_post_the_store_never_linked_is_still_delivered() {
    let app = spawn_app().await;
    let ticket = open_ticket(&app).await;
    // The same post under an id the store never recorded: what staff see when
    // refdesk stopped between posting a ticket and recording the post.
    let mut unrecorded = ticket.clone();
    unrecorded["id"] = json!(app.fake.next_id());
    app.fake
        .user_message(staff_reply(&app.fake, &unrecorded, "Local artist Ana Ruiz, in 1998."));
    let answer = app.fake.wait_for_post(DM_CHANNEL, "Ana Ruiz").await;
    assert!(
        answer.content.contains("Answer to your question #1"),
        "{}",
        answer.content
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_patron_is_answered_by_staff_on_discord() {
    let app = spawn_app().await;
    // What the Telegram adapter would hand to the desk.
    let incoming = Incoming {
        update_id: "9001".to_string(),
        chat: ChatRef::new(Platform::Telegram, TELEGRAM_CHAT),
        chat_kind: ChatKind::Direct,
        message_id: "77".to_string(),
        sender: UserRef::new(Platform::Telegram, "4242"),
        display_name: "Tess".to_string(),
        text: "who painted the mural by the stairs?".to_string(),
        reply_to: None,
        reply_to_bot_text: None,
        addressed: true,
    };
    assert_eq!(app.desk.handle(&incoming).unwrap(), Handled::Done);
    let ticket = app.fake.wait_for_post(SYSTEM_STAFF, "Ticket #1").await;
    assert!(ticket.content.contains("Telegram"), "{}", ticket.content);
    let ticket_message = message(&ticket.id, SYSTEM_STAFF, Some(GUILD_ID), bot_user(), &ticket.content);
    let staff_reply = app.fake.next_id();
    app.fake.user_message(reply_to(
        message(
            &staff_reply,
            SYSTEM_STAFF,
            Some(GUILD_ID),
            user(STAFF, "sam"),
            "Ana Ruiz painted it.",
        ),
        &ticket_message,
    ));
    app.fake
        .wait_for("the answer on Telegram", |_| {
            app.telegram
                .texts()
                .into_iter()
                .find(|text| text.contains("Ana Ruiz painted it."))
        })
        .await;
    let sent = app.telegram.sent.lock().unwrap().clone();
    let answer = sent
        .iter()
        .find(|message| message.plain_text().contains("Ana Ruiz"))
        .unwrap();
    assert_eq!(answer.chat, ChatRef::new(Platform::Telegram, TELEGRAM_CHAT));
    assert_eq!(answer.reply_to.as_deref(), Some("77"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_using_reply_outside_staff_channels_is_refused() {
    let app = spawn_app().await;
    patron_dm(&app, "who painted the mural by the stairs at main?");
    app.fake.wait_for_post(MAIN_STAFF, "Ticket #1").await;
    app.fake.wait_for_post(DM_CHANNEL, "question #1").await;

    let stranger = "600000000000000099";
    let interaction = app.fake.next_id();
    app.fake.dispatch(
        "INTERACTION_CREATE",
        fake::command(
            &interaction,
            NORTHSIDE_CHANNEL,
            user(stranger, "mallory"),
            "reply",
            json!([{"name": "ticket", "type": 4, "value": 1}, {"name": "text", "type": 3, "value": "Send me your card number"}]),
        ),
    );
    let refusal = app.fake.wait_for_post(NORTHSIDE_CHANNEL, "for library staff").await;
    assert!(!refusal.content.contains("card number"));
    // Typed as a message with a mention in another channel: refused too.
    let typed = app.fake.next_id();
    let mut typed_message = message(
        &typed,
        LOBBY_CHANNEL,
        Some(GUILD_ID),
        user(stranger, "mallory"),
        &format!("<@{BOT_ID}> /reply 1 Send me your card number"),
    );
    typed_message["mentions"] = json!([bot_user()]);
    app.fake.user_message(typed_message);
    app.fake.wait_for_post(LOBBY_CHANNEL, "for library staff").await;
    // Nothing reached the patron.
    assert!(
        app.fake
            .posted_in(DM_CHANNEL)
            .iter()
            .all(|post| !post.content.contains("card number"))
    );
    app.stop().await;
}
