//! Delivery failures: server errors retried with the same nonce, rate limits
//! waited out.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_is_retried_with_the_same_nonce_and_posts_once() {
    let app = spawn_app().await;
    app.fake
        .fail_next_post(502, json!({"code": 0, "message": "Bad Gateway"}));
    patron_dm(&app, "is main open tomorrow?");
    app.fake.wait_for_post(DM_CHANNEL, "Main Library").await;
    let attempts = app.fake.post_attempts();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0].body["nonce"], attempts[1].body["nonce"]);
    assert_eq!(attempts[0].body["content"], attempts[1].body["content"]);
    assert_eq!(app.fake.posted_in(DM_CHANNEL).len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_post_that_did_arrive_is_not_posted_twice() {
    let app = spawn_app().await;
    // The first attempt reaches Discord, but its answer is lost (as in a
    // timeout): the retry carries the same nonce, and Discord returns the
    // message it already has.
    app.fake.lose_next_post_response();
    patron_dm(&app, "is main open tomorrow?");
    app.fake
        .wait_for("two attempts", |fake| (fake.post_attempts().len() >= 2).then_some(()))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.fake.posted_in(DM_CHANNEL).len(), 1);
    assert!(app.desk.store().outbox().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_is_waited_out() {
    let app = spawn_app().await;
    app.fake.fail_next_post(
        429,
        json!({"message": "You are being rate limited.", "retry_after": 0.6, "global": false}),
    );
    patron_dm(&app, "is main open tomorrow?");
    app.fake.wait_for_post(DM_CHANNEL, "Main Library").await;
    let attempts = app.fake.post_attempts();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    let waited = attempts[1].at - attempts[0].at;
    assert!(waited >= Duration::from_millis(550), "retried after {waited:?}");
    assert!(waited < Duration::from_secs(3), "retried after {waited:?}");
    app.stop().await;
}
