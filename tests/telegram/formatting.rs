//! What reaches Telegram as HTML: patron and staff text escaped, long texts
//! split into parts Telegram accepts (the fake parses every part as Telegram does).

use crate::fake::parse_html;
use crate::helpers::{App, LIBRARIAN, NORTHSIDE_STAFF, PATRON, SYSTEM_STAFF, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_typed_by_patrons_and_staff_is_escaped() {
    let app = spawn_app().await;
    app.fake.private_text(
        PATRON,
        "Ada <b>",
        "Can my parrot attend <b>knitting</b> & crochet at Northside?",
    );
    let post = app.fake.wait_for_text(NORTHSIDE_STAFF, "Ticket #").await;
    let request = app
        .fake
        .requests("sendMessage")
        .into_iter()
        .find(|request| request.body["chat_id"] == NORTHSIDE_STAFF)
        .expect("the ticket post request");
    let body = request.body["text"].as_str().expect("text");
    assert!(
        body.contains(
            "<blockquote>Can my parrot attend &lt;b&gt;knitting&lt;/b&gt; &amp; crochet at Northside?</blockquote>"
        ),
        "{body}"
    );
    assert!(body.contains("from Ada &lt;b&gt; Tester"), "{body}");
    assert!(
        post.visible.contains("<b>knitting</b> & crochet"),
        "staff read what was typed"
    );

    let ticket = App::ticket_number(&post.visible);
    app.fake.group_text(
        NORTHSIDE_STAFF,
        LIBRARIAN,
        "Lena",
        &format!("/reply {ticket} Use <i>quiet</i> needles & bring the parrot."),
        None,
    );
    let answer = app.fake.wait_for_text(PATRON, "Answer to your question").await;
    assert!(
        answer
            .html
            .contains("Use &lt;i&gt;quiet&lt;/i&gt; needles &amp; bring the parrot.")
    );
    assert!(answer.visible.contains("Use <i>quiet</i> needles & bring the parrot."));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_five_thousand_character_notice_is_split_on_a_paragraph() {
    let app = spawn_app().await;
    let paragraph = format!("{}.", "The knowledge reload failed & <nothing> changed".repeat(10));
    let paragraphs: Vec<String> = (0..11).map(|index| format!("{index}: {paragraph}")).collect();
    let notice = paragraphs.join("\n\n");
    assert!(notice.chars().count() >= 5000);
    app.desk.notify_system_staff(&notice).expect("queued");
    let sent = app.fake.wait_for_sent(SYSTEM_STAFF, 2).await;
    assert_eq!(sent.len(), 2);
    for part in &sent {
        parse_html(&part.html).expect("valid HTML");
        assert!(part.visible.encode_utf16().count() <= 4096);
        assert!(part.visible.ends_with('.'), "cut inside a paragraph");
    }
    assert_eq!(format!("{}\n\n{}", sent[0].visible, sent[1].visible), notice);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_emoji_staff_reply_is_split_and_arrives_in_order() {
    let app = spawn_app().await;
    app.fake
        .private_text(PATRON, "Ada", "Can my parrot attend the knitting circle at Northside?");
    let post = app.fake.wait_for_text(NORTHSIDE_STAFF, "Ticket #").await;
    let ticket = App::ticket_number(&post.visible);
    app.fake.wait_for_sent(PATRON, 1).await;
    // 5,000 characters, mostly emoji: more than 4096 UTF-16 code units even
    // after the desk shortens relayed text.
    let lines: Vec<String> = (0..300).map(|line| format!("📚📖📕📗📘📙 {line:03}")).collect();
    let reply = lines.join("\n");
    assert!(reply.chars().count() >= 3000 && reply.encode_utf16().count() > 5000);
    app.fake.group_text(
        NORTHSIDE_STAFF,
        LIBRARIAN,
        "Lena",
        &format!("/reply {ticket} {reply}"),
        None,
    );
    let sent = app.fake.wait_for_sent(PATRON, 3).await;
    let parts = &sent[1..];
    assert_eq!(parts.len(), 2);
    assert!(parts[0].visible.starts_with("Answer to your question"));
    assert!(parts[1].visible.ends_with("Northside Branch staff"));
    assert!(parts[1].html.ends_with("<b>Northside Branch staff</b>"));
    for part in parts {
        parse_html(&part.html).expect("valid HTML");
        assert!(part.visible.encode_utf16().count() <= 4096);
    }
    // The cut fell on a line break: the first part ends with a whole line.
    let last_line = parts[0].visible.lines().last().expect("a line");
    assert!(lines.iter().any(|line| line == last_line), "{last_line:?}");
    assert_eq!(
        parts[0].reply_to.map(|_| ()),
        Some(()),
        "the first part threads on the question"
    );
    assert_eq!(parts[1].reply_to, None);
    app.stop().await;
}
