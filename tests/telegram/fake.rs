//! A fake Telegram Bot API server: a real HTTP server on 127.0.0.1:0 that
//! serves queued updates through `getUpdates` (confirming them by offset as
//! Telegram does), answers `sendMessage` after checking the HTML the way
//! Telegram parses it, and records every request for tests to inspect.
//! Failures (429, 5xx, 403, a migrated group) are scripted per chat.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const TOKEN: &str = "123456:TEST-token";
pub const BOT_ID: i64 = 999_000;
pub const BOT_USERNAME: &str = "refdesk_test_bot";
/// The longest `getUpdates` hold: well under teloxide's 17 s client timeout,
/// and short so tests move quickly.
const MAX_HOLD: Duration = Duration::from_millis(300);

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method name, lowercased (teloxide writes `SendMessage`).
    pub method: String,
    pub body: Value,
    pub at: Instant,
}

/// A message the fake accepted from the bot.
#[derive(Debug, Clone)]
pub struct Sent {
    pub chat_id: i64,
    pub message_id: i64,
    /// The text exactly as sent (HTML).
    pub html: String,
    /// What a Telegram user would read.
    pub visible: String,
    pub reply_to: Option<i64>,
    pub allow_without_reply: bool,
    pub at: Instant,
}

#[derive(Clone)]
pub struct FakeTelegram {
    pub url: String,
    shared: Arc<Shared>,
}

/// Called with the ids of updates a `getUpdates` offset is about to confirm.
pub type ConfirmHook = Arc<dyn Fn(&[i64]) + Send + Sync>;

struct Shared {
    state: Mutex<FakeState>,
    /// Wakes held `getUpdates` calls when updates arrive.
    queued: tokio::sync::Notify,
}

#[derive(Default)]
struct FakeState {
    /// Pending updates by position; the position is the update id, and
    /// also orders entries that have no update id (garbage).
    queue: Vec<(i64, Value)>,
    next_update_id: i64,
    next_user_message_id: i64,
    next_bot_message_id: i64,
    requests: Vec<Recorded>,
    sent: Vec<Sent>,
    /// Responses to give instead of success, per chat, in order.
    scripted: HashMap<i64, VecDeque<(u16, Value)>>,
    blocked: HashSet<i64>,
    migrated: HashMap<i64, i64>,
    /// Set: the next non-empty `getUpdates` answer freezes the fake.
    freeze_armed: bool,
    /// While frozen, `getUpdates` and `sendMessage` are recorded and never
    /// answered, and their offsets are not applied: as if the bot died right
    /// after receiving a batch, before anything it did next reached Telegram.
    frozen: bool,
    confirm_hook: Option<ConfirmHook>,
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let shared = Arc::new(Shared {
            state: Mutex::new(FakeState {
                next_update_id: 100,
                next_user_message_id: 1,
                next_bot_message_id: 10_000,
                ..FakeState::default()
            }),
            queued: tokio::sync::Notify::new(),
        });
        let app = Router::new()
            .route("/{token}/{method}", axum::routing::post(api))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server");
        });
        FakeTelegram {
            url: format!("http://{address}/"),
            shared,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues an update built by `make(update_id, message_id)`; returns its id.
    fn queue_with(&self, make: impl FnOnce(i64, i64) -> Value) -> i64 {
        let id = {
            let mut state = self.state();
            let id = state.next_update_id;
            let message_id = state.next_user_message_id;
            state.next_update_id += 1;
            state.next_user_message_id += 1;
            let update = make(id, message_id);
            state.queue.push((id, update));
            id
        };
        self.shared.queued.notify_waiters();
        id
    }

    /// Queues any JSON, built from the update id its position has, as the
    /// next element of `getUpdates` (it may lack an `update_id`).
    pub fn queue_raw(&self, make: impl FnOnce(i64) -> Value) -> i64 {
        self.queue_with(|update_id, _| make(update_id))
    }

    /// Queues `update_id` + `key: message`, where message gets a fresh id and
    /// the common fields; returns (update id, message id).
    pub fn queue_message(&self, key: &str, chat: Value, from: Value, extra: Value) -> (i64, i64) {
        let mut message_id_out = 0;
        let update_id = self.queue_with(|update_id, message_id| {
            message_id_out = message_id;
            let mut message = json!({
                "message_id": message_id,
                "date": 1_780_000_000,
                "chat": chat,
                "from": from,
            });
            if let (Some(message), Some(extra)) = (message.as_object_mut(), extra.as_object()) {
                for (field, value) in extra {
                    message.insert(field.clone(), value.clone());
                }
            }
            json!({"update_id": update_id, key: message})
        });
        (update_id, message_id_out)
    }

    /// A patron writing to the bot in a private chat.
    pub fn private_text(&self, user_id: i64, first_name: &str, text: &str) -> (i64, i64) {
        self.queue_message(
            "message",
            private_chat(user_id, first_name),
            user(user_id, first_name),
            json!({"text": text}),
        )
    }

    /// Someone writing in a group, optionally replying to a message the bot sent.
    pub fn group_text(
        &self,
        chat_id: i64,
        user_id: i64,
        first_name: &str,
        text: &str,
        reply_to: Option<&Sent>,
    ) -> (i64, i64) {
        let mut extra = json!({"text": text});
        if let Some(replied) = reply_to {
            extra["reply_to_message"] = json!({
                "message_id": replied.message_id,
                "date": 1_780_000_000,
                "chat": group_chat(chat_id),
                "from": bot_user(),
                "text": replied.visible,
            });
        }
        self.queue_message("message", group_chat(chat_id), user(user_id, first_name), extra)
    }

    /// The next `sendMessage` to `chat_id` gets this answer instead of success.
    pub fn script_send(&self, chat_id: i64, status: u16, body: Value) {
        self.state()
            .scripted
            .entry(chat_id)
            .or_default()
            .push_back((status, body));
    }

    /// The user behind this private chat blocked the bot.
    pub fn block(&self, chat_id: i64) {
        self.state().blocked.insert(chat_id);
    }

    /// The group became a supergroup with a new id.
    pub fn migrate(&self, from: i64, to: i64) {
        self.state().migrated.insert(from, to);
    }

    /// After the next batch of updates is served, answer nothing more until `thaw`.
    pub fn freeze_after_next_batch(&self) {
        self.state().freeze_armed = true;
    }

    /// Runs `hook` whenever updates are confirmed, before Telegram forgets them.
    pub fn on_confirm(&self, hook: ConfirmHook) {
        self.state().confirm_hook = Some(hook);
    }

    /// Whether a served batch froze the fake (see `freeze_after_next_batch`).
    #[allow(dead_code)]
    pub fn is_frozen(&self) -> bool {
        self.state().frozen
    }

    pub fn thaw(&self) {
        let mut state = self.state();
        state.frozen = false;
        state.freeze_armed = false;
    }

    pub fn requests(&self, method: &str) -> Vec<Recorded> {
        let method = method.to_lowercase();
        self.state()
            .requests
            .iter()
            .filter(|request| request.method == method)
            .cloned()
            .collect()
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.state().sent.clone()
    }

    pub fn sent_to(&self, chat_id: i64) -> Vec<Sent> {
        self.sent().into_iter().filter(|sent| sent.chat_id == chat_id).collect()
    }

    /// Waits until `count` messages reached `chat_id`; panics after a generous bound.
    pub async fn wait_for_sent(&self, chat_id: i64, count: usize) -> Vec<Sent> {
        self.wait_until(&format!("{count} message(s) to chat {chat_id}"), || {
            let sent = self.sent_to(chat_id);
            (sent.len() >= count).then_some(sent)
        })
        .await
    }

    /// Waits until a message containing `needle` reached `chat_id`.
    pub async fn wait_for_text(&self, chat_id: i64, needle: &str) -> Sent {
        self.wait_until(&format!("{needle:?} in chat {chat_id}"), || {
            self.sent_to(chat_id)
                .into_iter()
                .find(|sent| sent.visible.contains(needle))
        })
        .await
    }

    /// Waits until the bot has asked for updates past `update_id` (confirmed it).
    pub async fn wait_for_confirmed(&self, update_id: i64) {
        self.wait_until(&format!("update {update_id} confirmed"), || {
            self.requests("getupdates")
                .iter()
                .any(|request| {
                    request
                        .body
                        .get("offset")
                        .and_then(Value::as_i64)
                        .is_some_and(|offset| offset > update_id)
                })
                .then_some(())
        })
        .await
    }

    pub async fn wait_until<T>(&self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(found) = check() {
                return found;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn user(id: i64, first_name: &str) -> Value {
    json!({"id": id, "is_bot": false, "first_name": first_name, "last_name": "Tester"})
}

pub fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Reference Desk", "username": BOT_USERNAME})
}

pub fn private_chat(id: i64, first_name: &str) -> Value {
    json!({"id": id, "type": "private", "first_name": first_name})
}

pub fn group_chat(id: i64) -> Value {
    json!({"id": id, "type": "supergroup", "title": format!("Group {id}")})
}

fn ok(result: Value) -> Response {
    (StatusCode::OK, axum::Json(json!({"ok": true, "result": result}))).into_response()
}

pub fn error_body(code: u16, description: &str) -> Value {
    json!({"ok": false, "error_code": code, "description": description})
}

fn error(code: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

async fn api(
    State(shared): State<Arc<Shared>>,
    Path((token, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let method = method.to_lowercase();
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(_) => return error(400, error_body(400, "Bad Request: invalid JSON")),
        }
    };
    {
        let mut state = shared.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.requests.push(Recorded {
            method: method.clone(),
            body: body.clone(),
            at: Instant::now(),
        });
    }
    if token != format!("bot{TOKEN}") {
        return error(401, error_body(401, "Unauthorized"));
    }
    match method.as_str() {
        "getme" => {
            let mut me = bot_user();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(true);
            me["supports_inline_queries"] = json!(false);
            me["can_connect_to_business"] = json!(false);
            me["has_main_web_app"] = json!(false);
            ok(me)
        }
        "setmycommands" => ok(json!(true)),
        "getupdates" => get_updates(&shared, &body).await,
        "sendmessage" => send_message(&shared, &body).await,
        _ => error(404, error_body(404, "Not Found")),
    }
}

async fn get_updates(shared: &Shared, body: &Value) -> Response {
    let offset = body.get("offset").and_then(Value::as_i64);
    let limit = body.get("limit").and_then(Value::as_u64).unwrap_or(100) as usize;
    let hold = Duration::from_secs(body.get("timeout").and_then(Value::as_u64).unwrap_or(0)).min(MAX_HOLD);
    let deadline = tokio::time::Instant::now() + hold;
    if shared
        .state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .frozen
    {
        std::future::pending::<()>().await;
    }
    loop {
        // Register for a wakeup before looking, so an update queued in between is not missed.
        let notified = shared.queued.notified();
        {
            let mut state = shared.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(offset) = offset {
                // As Telegram: an offset confirms every update before it.
                let confirmed: Vec<i64> = state
                    .queue
                    .iter()
                    .map(|(id, _)| *id)
                    .filter(|id| *id < offset)
                    .collect();
                if let (Some(hook), false) = (&state.confirm_hook, confirmed.is_empty()) {
                    hook(&confirmed);
                }
                state.queue.retain(|(id, _)| *id >= offset);
            }
            let ready: Vec<Value> = state
                .queue
                .iter()
                .take(limit)
                .map(|(_, update)| update.clone())
                .collect();
            if !ready.is_empty() {
                if state.freeze_armed {
                    state.frozen = true;
                }
                return ok(Value::Array(ready));
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return ok(json!([]));
        }
    }
}

async fn send_message(shared: &Shared, body: &Value) -> Response {
    let Some(chat_id) = body.get("chat_id").and_then(Value::as_i64) else {
        return error(400, error_body(400, "Bad Request: chat_id is empty"));
    };
    let html = body.get("text").and_then(Value::as_str).unwrap_or("").to_string();
    let reply = body.get("reply_parameters");
    let reply_to = reply.and_then(|reply| reply.get("message_id")).and_then(Value::as_i64);
    let allow_without_reply = reply
        .and_then(|reply| reply.get("allow_sending_without_reply"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if shared
        .state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .frozen
    {
        // The bot waits for an answer that never comes (until it is killed).
        std::future::pending::<()>().await;
    }
    {
        let mut state = shared.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((status, response)) = state.scripted.get_mut(&chat_id).and_then(VecDeque::pop_front) {
            return error(status, response);
        }
        if state.blocked.contains(&chat_id) {
            return error(403, error_body(403, "Forbidden: bot was blocked by the user"));
        }
        if let Some(new_id) = state.migrated.get(&chat_id) {
            let mut body = error_body(400, "Bad Request: group chat was upgraded to a supergroup chat");
            body["parameters"] = json!({"migrate_to_chat_id": new_id});
            return error(400, body);
        }
    }
    let parse_mode = body.get("parse_mode").and_then(Value::as_str);
    let visible = if parse_mode == Some("HTML") {
        match parse_html(&html) {
            Ok(visible) => visible,
            Err(problem) => {
                return error(
                    400,
                    error_body(400, &format!("Bad Request: can't parse entities: {problem}")),
                );
            }
        }
    } else {
        html.clone()
    };
    if visible.trim().is_empty() {
        return error(400, error_body(400, "Bad Request: message text is empty"));
    }
    if visible.encode_utf16().count() > 4096 {
        return error(400, error_body(400, "Bad Request: message is too long"));
    }
    let sent = {
        let mut state = shared.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let message_id = state.next_bot_message_id;
        state.next_bot_message_id += 1;
        let sent = Sent {
            chat_id,
            message_id,
            html,
            visible: visible.clone(),
            reply_to,
            allow_without_reply,
            at: Instant::now(),
        };
        state.sent.push(sent.clone());
        sent
    };
    let chat = if chat_id < 0 {
        group_chat(chat_id)
    } else {
        private_chat(chat_id, "Patron")
    };
    ok(json!({
        "message_id": sent.message_id,
        "date": 1_780_000_000,
        "chat": chat,
        "from": bot_user(),
        "text": visible,
    }))
}

/// Telegram's HTML parse mode, for the tags refdesk uses: the visible text,
/// or what Telegram would complain about.
pub fn parse_html(html: &str) -> Result<String, String> {
    const TAGS: &[&str] = &["b", "strong", "i", "em", "u", "s", "code", "pre", "blockquote"];
    let mut visible = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(character) = rest.chars().next() {
        match character {
            '<' => {
                let close = rest.find('>').ok_or("unclosed start tag")?;
                let tag = &rest[1..close];
                if let Some(name) = tag.strip_prefix('/') {
                    if open.pop().as_deref() != Some(name) {
                        return Err(format!("unexpected end tag {name}"));
                    }
                } else if TAGS.contains(&tag) {
                    open.push(tag.to_string());
                } else {
                    return Err(format!("unsupported start tag \"{tag}\""));
                }
                rest = &rest[close + 1..];
            }
            '&' => {
                let end = rest.find(';').ok_or("unterminated entity")?;
                let decoded = match &rest[1..end] {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    other => return Err(format!("unsupported entity &{other};")),
                };
                visible.push(decoded);
                rest = &rest[end + 1..];
            }
            other => {
                visible.push(other);
                rest = &rest[other.len_utf8()..];
            }
        }
    }
    if let Some(tag) = open.pop() {
        return Err(format!("can't find end tag corresponding to start tag {tag}"));
    }
    Ok(visible)
}
