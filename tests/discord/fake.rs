//! A fake Discord on 127.0.0.1:0: the REST API (the routes serenity and the
//! adapter call) and a websocket gateway (Hello, Identify/READY, Resume/RESUMED,
//! heartbeats). It records every request and serves scripted events,
//! failures and history, so tests assert on what Discord would have received.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::mpsc;

pub const BOT_ID: &str = "900000000000000001";
pub const APPLICATION_ID: &str = "900000000000000002";
pub const GUILD_ID: &str = "800000000000000001";
/// The gateway's heartbeat interval: short, so tests see heartbeats quickly.
pub const HEARTBEAT_MS: u64 = 400;

/// One HTTP request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Value,
    pub at: Instant,
}

/// A message the bot created (after nonce deduplication).
#[derive(Debug, Clone)]
pub struct Posted {
    pub id: String,
    pub channel_id: String,
    pub content: String,
    /// The request's body.
    pub body: Value,
    /// The message object Discord answered with.
    pub created: Value,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    posted: Vec<Posted>,
    /// Responses for the next message POSTs, before normal handling resumes.
    post_failures: VecDeque<(u16, Value)>,
    /// Create the next posted message but answer 502, as if the answer was lost.
    lose_next_response: bool,
    /// Enforced nonces already used, and the message each created.
    nonces: HashMap<String, String>,
    /// Channel history for GET messages, oldest first.
    history: HashMap<String, Vec<Value>>,
    /// The open gateway connection's command channel.
    connection: Option<mpsc::UnboundedSender<Command>>,
    connections: usize,
    identifies: usize,
    resumes: usize,
    heartbeats: usize,
    /// Events the client has been sent in this session.
    sequence: u64,
    last_id: u64,
}

enum Command {
    Send(String),
    Drop,
}

#[derive(Clone)]
pub struct FakeDiscord {
    pub address: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        let fake = FakeDiscord {
            address,
            inner: Arc::new(Mutex::new(Inner::default())),
        };
        let app = Router::new()
            .route("/gateway", get(gateway))
            .fallback(rest)
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake Discord serves");
        });
        fake
    }

    /// The `[discord] api_url` that points the adapter here.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh, increasing snowflake of the current time, like Discord's ids.
    pub fn next_id(&self) -> String {
        let mut inner = self.lock();
        next_id(&mut inner).to_string()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Every message POST, including failed and deduplicated attempts.
    pub fn post_attempts(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|request| request.method == "POST" && request.path.ends_with("/messages"))
            .collect()
    }

    pub fn posted(&self) -> Vec<Posted> {
        self.lock().posted.clone()
    }

    pub fn posted_in(&self, channel: &str) -> Vec<Posted> {
        self.posted()
            .into_iter()
            .filter(|post| post.channel_id == channel)
            .collect()
    }

    /// The next message POST gets this status and body instead of succeeding.
    pub fn fail_next_post(&self, status: u16, body: Value) {
        self.lock().post_failures.push_back((status, body));
    }

    /// The next message POST creates the message but answers 502, as when
    /// a response is lost on the way back.
    pub fn lose_next_post_response(&self) {
        self.lock().lose_next_response = true;
    }

    pub fn identifies(&self) -> usize {
        self.lock().identifies
    }

    pub fn resumes(&self) -> usize {
        self.lock().resumes
    }

    pub fn heartbeats(&self) -> usize {
        self.lock().heartbeats
    }

    /// Puts a message into a channel's history without a gateway event, as if
    /// it was posted while the bot was disconnected.
    pub fn add_history(&self, message: &Value) {
        let channel = message["channel_id"].as_str().expect("a channel id").to_string();
        self.lock().history.entry(channel).or_default().push(message.clone());
    }

    /// Sends a dispatch event (op 0) on the open gateway connection.
    pub fn dispatch(&self, kind: &str, data: Value) {
        let mut inner = self.lock();
        inner.sequence += 1;
        let payload = json!({"op": 0, "t": kind, "s": inner.sequence, "d": data});
        send(&inner, payload.to_string());
    }

    /// Sends text as it is on the gateway (for malformed payloads).
    pub fn send_raw(&self, text: &str) {
        let mut inner = self.lock();
        inner.sequence += 1;
        send(&inner, text.to_string());
    }

    /// A message from a person: in the channel's history and sent as MESSAGE_CREATE.
    pub fn user_message(&self, message: Value) {
        self.add_history(&message);
        self.dispatch("MESSAGE_CREATE", message);
    }

    /// Cuts the gateway connection without a close frame, like a network drop.
    pub fn drop_gateway(&self) {
        let mut inner = self.lock();
        if let Some(connection) = inner.connection.take() {
            let _ = connection.send(Command::Drop);
        }
    }

    /// Waits until `check` finds something, or panics naming `what`.
    pub async fn wait_for<T>(&self, what: &str, check: impl Fn(&FakeDiscord) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(found) = check(self) {
                return found;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for a message in `channel` whose content contains `needle`.
    pub async fn wait_for_post(&self, channel: &str, needle: &str) -> Posted {
        self.wait_for(&format!("a post in {channel} containing {needle:?}"), |fake| {
            fake.posted_in(channel)
                .into_iter()
                .find(|post| post.content.contains(needle))
        })
        .await
    }

    /// Waits until the gateway has a live session (READY or RESUMED sent).
    pub async fn wait_for_session(&self, identifies: usize, resumes: usize) {
        self.wait_for("a gateway session", |fake| {
            let inner = fake.lock();
            (inner.connection.is_some() && inner.identifies >= identifies && inner.resumes >= resumes).then_some(())
        })
        .await;
    }
}

/// Sends on the open connection. Like Discord, an event while the bot is
/// disconnected is simply never delivered (history still has user messages).
fn send(inner: &Inner, text: String) {
    if let Some(connection) = inner.connection.as_ref() {
        let _ = connection.send(Command::Send(text));
    }
}

fn next_id(inner: &mut Inner) -> u64 {
    const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    let id = ((millis - DISCORD_EPOCH_MS) << 22).max(inner.last_id + 1);
    inner.last_id = id;
    id
}

pub fn user(id: &str, name: &str) -> Value {
    json!({
        "id": id, "username": name, "discriminator": "0", "global_name": format!("{name} (display)"),
        "avatar": null, "bot": false
    })
}

pub fn bot_user() -> Value {
    json!({"id": BOT_ID, "username": "refdesk", "discriminator": "0", "global_name": null, "avatar": null, "bot": true})
}

/// A message object with every field serenity requires.
pub fn message(id: &str, channel: &str, guild: Option<&str>, author: Value, content: &str) -> Value {
    let mut message = json!({
        "id": id, "channel_id": channel, "author": author, "content": content,
        "timestamp": "2026-12-01T16:00:00.000000+00:00", "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0
    });
    if let Some(guild) = guild {
        message["guild_id"] = json!(guild);
    }
    message
}

/// Makes `message` a reply to `replied` (a message object of the same channel).
pub fn reply_to(mut message: Value, replied: &Value) -> Value {
    message["type"] = json!(19);
    message["message_reference"] = json!({
        "message_id": replied["id"], "channel_id": replied["channel_id"], "guild_id": message.get("guild_id")
    });
    message["referenced_message"] = replied.clone();
    message
}

/// A slash command invocation in a guild channel.
pub fn command(id: &str, channel: &str, author: Value, name: &str, options: Value) -> Value {
    json!({
        "id": id, "application_id": APPLICATION_ID, "type": 2, "token": format!("token-{id}"), "version": 1,
        "guild_id": GUILD_ID, "channel_id": channel, "locale": "en-US", "app_permissions": "0",
        "entitlements": [], "authorizing_integration_owners": {}, "context": 0, "attachment_size_limit": 10485760,
        "member": {
            "user": author, "roles": [], "joined_at": "2026-01-01T00:00:00.000000+00:00",
            "deaf": false, "mute": false, "flags": 0
        },
        "data": {"id": "700", "name": name, "type": 1, "options": options}
    })
}

async fn gateway(State(fake): State<FakeDiscord>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| connection(fake, socket))
}

/// One gateway connection: Hello, then Identify → READY or Resume → RESUMED,
/// heartbeat acks, and whatever the test dispatches.
async fn connection(fake: FakeDiscord, mut socket: WebSocket) {
    let (commands, mut receiving) = mpsc::unbounded_channel();
    fake.lock().connections += 1;
    let hello = json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}});
    if socket.send(WsMessage::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            command = receiving.recv() => match command {
                Some(Command::Send(text)) => {
                    if socket.send(WsMessage::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                // Dropping the socket closes TCP with no close frame.
                Some(Command::Drop) | None => return,
            },
            received = socket.recv() => {
                let Some(Ok(WsMessage::Text(text))) = received else {
                    if matches!(received, Some(Ok(_))) {
                        continue;
                    }
                    return;
                };
                let payload: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                match payload["op"].as_u64() {
                    Some(1) => {
                        fake.lock().heartbeats += 1;
                        let ack = json!({"op": 11});
                        let _ = socket.send(WsMessage::Text(ack.to_string().into())).await;
                    }
                    Some(2) => {
                        let ready = {
                            let mut inner = fake.lock();
                            inner.identifies += 1;
                            inner.sequence = 1;
                            inner.connection = Some(commands.clone());
                            json!({"op": 0, "t": "READY", "s": 1, "d": {
                                "v": 10, "user": bot_user(), "guilds": [{"id": GUILD_ID, "unavailable": true}],
                                "session_id": format!("session-{}", inner.identifies),
                                "resume_gateway_url": format!("ws://{}/gateway", fake.address),
                                "application": {"id": APPLICATION_ID, "flags": 0}
                            }})
                        };
                        let _ = socket.send(WsMessage::Text(ready.to_string().into())).await;
                    }
                    Some(6) => {
                        let resumed = {
                            let mut inner = fake.lock();
                            inner.resumes += 1;
                            inner.sequence += 1;
                            inner.connection = Some(commands.clone());
                            json!({"op": 0, "t": "RESUMED", "s": inner.sequence, "d": {"_trace": ["fake-gateway"]}})
                        };
                        let _ = socket.send(WsMessage::Text(resumed.to_string().into())).await;
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Every REST route: recorded, then answered like Discord.
async fn rest(
    State(fake): State<FakeDiscord>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = uri.path().to_string();
    let query = query.unwrap_or_default();
    let mut inner = fake.lock();
    inner.requests.push(Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        body: body.clone(),
        at: Instant::now(),
    });
    let segments: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => json_response(200, json!({"url": format!("ws://{}/gateway", fake.address)})),
        ("GET", ["users", "@me"]) => json_response(200, bot_user()),
        ("POST", ["channels", channel, "messages"]) => {
            if let Some((status, failure)) = inner.post_failures.pop_front() {
                return json_response(status, failure);
            }
            let nonce = body["nonce"].as_str().map(str::to_string);
            if body["enforce_nonce"] == json!(true)
                && let Some(existing) = nonce.as_ref().and_then(|nonce| inner.nonces.get(nonce))
            {
                let existing = existing.clone();
                let message = inner
                    .posted
                    .iter()
                    .find(|post| post.id == existing)
                    .map(|post| post.created.clone());
                return json_response(200, message.unwrap_or(json!({"id": existing})));
            }
            let id = next_id(&mut inner).to_string();
            let content = body["content"].as_str().unwrap_or_default().to_string();
            let mut created = message(&id, channel, None, bot_user(), &content);
            created["nonce"] = body["nonce"].clone();
            if let Some(nonce) = nonce {
                inner.nonces.insert(nonce, id.clone());
            }
            inner
                .history
                .entry(channel.to_string())
                .or_default()
                .push(created.clone());
            inner.posted.push(Posted {
                id,
                channel_id: channel.to_string(),
                content,
                body,
                created: created.clone(),
            });
            if std::mem::take(&mut inner.lose_next_response) {
                return json_response(502, json!({"code": 0, "message": "Bad Gateway"}));
            }
            json_response(200, created)
        }
        ("GET", ["channels", channel, "messages"]) => {
            let mut after = 0u64;
            let mut limit = 50usize;
            for pair in query.split('&') {
                match pair.split_once('=') {
                    Some(("after", value)) => after = value.parse().unwrap_or(0),
                    Some(("limit", value)) => limit = value.parse().unwrap_or(50),
                    _ => {}
                }
            }
            let mut found: Vec<Value> = inner
                .history
                .get(*channel)
                .into_iter()
                .flatten()
                .filter(|message| {
                    message["id"]
                        .as_str()
                        .and_then(|id| id.parse::<u64>().ok())
                        .unwrap_or(0)
                        > after
                })
                .cloned()
                .collect();
            // Like Discord: the `limit` messages right after `after` by id, newest first. Ids are
            // taken before a message is stored, so storage order can differ from id order.
            found.sort_by_key(|message| {
                message["id"]
                    .as_str()
                    .and_then(|id| id.parse::<u64>().ok())
                    .unwrap_or(0)
            });
            found.truncate(limit);
            found.reverse();
            json_response(200, Value::Array(found))
        }
        ("PUT", ["applications", _, "guilds", _, "commands"]) => json_response(200, json!([])),
        ("POST", ["interactions", _, _, "callback"]) => StatusCode::NO_CONTENT.into_response(),
        _ => json_response(404, json!({"code": 0, "message": "404: Not Found"})),
    }
}

fn json_response(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).expect("a valid status");
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

/// The fake's payloads are what serenity reads from the real Discord.
#[test]
fn payloads_are_valid_discord_objects() {
    use serenity::all::{CommandInteraction, Message};

    let question = message("1", "2", Some(GUILD_ID), user("3", "pat"), "hi");
    let replied: Message = serde_json::from_value(reply_to(
        message("4", "2", Some(GUILD_ID), user("3", "pat"), "re"),
        &question,
    ))
    .expect("a message");
    assert_eq!(
        replied
            .message_reference
            .and_then(|reference| reference.message_id)
            .map(|id| id.get()),
        Some(1)
    );
    let invocation = command(
        "5",
        "2",
        user("3", "pat"),
        "reply",
        json!([{"name": "ticket", "type": 4, "value": 1}]),
    );
    let invocation: CommandInteraction = serde_json::from_value(invocation).expect("a command interaction");
    assert_eq!(invocation.user.id.get(), 3);
}
