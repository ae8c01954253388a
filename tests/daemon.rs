//! The daemon's own duties: the `run` command's refusals, live knowledge
//! reload (good edits go live, broken ones keep the last good knowledge and
//! tell staff), and the status endpoint.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use refdesk::chat::{ChatKind, ChatRef, Incoming, Platform, UserRef};
use refdesk::clock::SystemClock;
use refdesk::config::Config;
use refdesk::daemon;
use refdesk::desk::Desk;
use refdesk::engine::Question;
use refdesk::store::Store;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn renew_answer(desk: &Desk) -> String {
    desk.engine()
        .answer(&Question {
            text: "how do I renew a book?",
            branch: None,
            now: Utc::now(),
        })
        .text
}

#[tokio::test]
async fn knowledge_edits_go_live_and_broken_edits_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let knowledge = root.path().join("knowledge");
    copy_dir(Path::new("knowledge"), &knowledge);
    let engine = daemon::load_engine(&knowledge, 0.5).unwrap();
    let mut config = Config::default().desk;
    let staff = ChatRef::new(Platform::Telegram, "-1009");
    config.system_staff = vec![staff.clone()];
    let desk = Arc::new(Desk::new(
        engine,
        Store::temporary().unwrap(),
        config,
        Arc::new(SystemClock),
    ));
    let shutdown = tokio_util::sync::CancellationToken::new();
    let watcher = tokio::spawn(daemon::watch_knowledge(
        Arc::clone(&desk),
        knowledge.clone(),
        0.5,
        shutdown.clone(),
    ));
    // Give the watcher a moment to register.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(renew_answer(&desk).contains("CVPL Go app"));

    let faq = knowledge.join("faq/borrowing.toml");
    let original = std::fs::read_to_string(&faq).unwrap();
    std::fs::write(&faq, original.replace("CVPL Go app", "Cedar Reader app")).unwrap();
    let mut live = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if renew_answer(&desk).contains("Cedar Reader app") {
            live = true;
            break;
        }
    }
    assert!(live, "a good edit is live within 2 s");

    // A broken edit: the last good knowledge stays, staff hear about it with file:line.
    std::fs::write(&faq, original.replace("question = ", "qestion = ")).unwrap();
    let mut noticed = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if desk.store().outbox_len() > 0 {
            noticed = true;
            break;
        }
    }
    assert!(noticed, "staff are told about a broken edit");
    assert!(
        renew_answer(&desk).contains("Cedar Reader app"),
        "last good knowledge in force"
    );
    let notice = &desk.store().outbox().unwrap()[0];
    assert_eq!(notice.message.chat, staff);
    let text = notice.message.plain_text();
    assert!(text.contains("faq/borrowing.toml:"), "{text}");
    assert!(text.contains("previous version stays"), "{text}");

    // The patron side keeps working throughout.
    let handled = desk
        .handle(&Incoming {
            update_id: "1".into(),
            chat: ChatRef::new(Platform::Telegram, "42"),
            chat_kind: ChatKind::Direct,
            message_id: "1".into(),
            sender: UserRef::new(Platform::Telegram, "42"),
            display_name: "P".into(),
            text: "how do I renew a book?".into(),
            reply_to: None,
            reply_to_bot_text: None,
            addressed: true,
        })
        .unwrap();
    assert_eq!(handled, refdesk::desk::Handled::Done);
    shutdown.cancel();
    watcher.await.unwrap();
}

#[test]
fn run_without_tokens_says_what_to_set() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config.toml");
    let knowledge = std::fs::canonicalize("knowledge").unwrap();
    std::fs::write(
        &config,
        format!(
            "knowledge = {:?}\ndata_dir = \"data\"\n",
            knowledge.display().to_string()
        ),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_refdesk"))
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("TELEGRAM_BOT_TOKEN")
        .env_remove("DISCORD_BOT_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TELEGRAM_BOT_TOKEN"), "{stderr}");
    assert!(stderr.contains("DISCORD_BOT_TOKEN"), "{stderr}");
    assert!(stderr.contains("refdesk chat"), "{stderr}");
}

#[test]
fn run_with_a_bad_config_names_the_line() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        "knowledge = \"knowledge\"\n[desk]\nremind_after_minutes = 5\nflood = 3\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_refdesk"))
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 4"), "{stderr}");
    assert!(stderr.contains("flood"), "{stderr}");
}

#[test]
fn the_example_config_is_valid() {
    let config = Config::load(Path::new("config.toml")).unwrap();
    assert!(config.knowledge.ends_with("knowledge"));
}

#[tokio::test]
async fn the_status_endpoint_reports_counters_in_prometheus_format() {
    let engine = daemon::load_engine(Path::new("knowledge"), 0.5).unwrap();
    let desk = Arc::new(Desk::new(
        engine,
        Store::temporary().unwrap(),
        Config::default().desk,
        Arc::new(SystemClock),
    ));
    desk.handle(&Incoming {
        update_id: "1".into(),
        chat: ChatRef::new(Platform::Discord, "42"),
        chat_kind: ChatKind::Direct,
        message_id: "1".into(),
        sender: UserRef::new(Platform::Discord, "42"),
        display_name: "P".into(),
        text: "how do I renew a book?".into(),
        reply_to: None,
        reply_to_bot_text: None,
        addressed: true,
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(refdesk::status::serve(listener, Arc::clone(&desk), shutdown.clone()));
    let body = http_get(address, "/metrics").await;
    assert!(body.contains("refdesk_answered_total 1"), "{body}");
    assert!(body.contains("refdesk_outbox_depth 1"), "{body}");
    assert!(body.contains("refdesk_open_tickets 0"), "{body}");
    assert!(
        body.contains("refdesk_last_update_seconds{platform=\"discord\"}"),
        "{body}"
    );
    assert!(http_get(address, "/health").await.contains("ok"));
    shutdown.cancel();
    server.await.unwrap();
}

async fn http_get(address: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

#[test]
fn output_cut_short_by_its_reader_ends_quietly() {
    use std::io::Read as _;
    use std::process::Stdio;
    let knowledge = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/knowledge-cases.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_refdesk"))
        .args(["eval", "--verbose", "--knowledge"])
        .arg(&knowledge)
        .arg(&cases)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte and hang up, as `| head -c 1` would.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.success(), "{status:?}: {stderr}");
}
