//! `refdesk run` killed with SIGKILL after `getUpdates` returned a batch,
//! while it handles the batch and before anything it did next reached
//! Telegram; then started again on the same data directory. Telegram (the
//! fake) never saw the batch confirmed, so it delivers it again: every
//! update must still be answered exactly once.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::fake::{FakeTelegram, TOKEN};
use crate::helpers::SYSTEM_STAFF;

/// Patrons with one question each (own chats, so one slow chat delays no other).
const PATRONS: std::ops::Range<i64> = 6001..6013;

fn write_config(directory: &Path, api_url: &str) -> std::path::PathBuf {
    let knowledge = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let config = format!(
        "knowledge = {knowledge:?}\n\
         data_dir = {data:?}\n\
         staff = [\"telegram:{SYSTEM_STAFF}\"]\n\
         [desk]\nflood_per_minute = 30\n\
         [telegram]\napi_url = {api_url:?}\n",
        knowledge = knowledge.display().to_string(),
        data = directory.join("data").display().to_string(),
    );
    let path = directory.join("config.toml");
    std::fs::write(&path, config).expect("write the config");
    path
}

fn spawn_daemon(config: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    Command::new(env!("CARGO_BIN_EXE_refdesk"))
        .arg("run")
        .arg("--config")
        .arg(config)
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env_remove("DISCORD_BOT_TOKEN")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("start refdesk run")
}

fn question(patron: i64) -> &'static str {
    if patron % 3 == 0 {
        "Do you sell llama wool?"
    } else if patron % 2 == 0 {
        "/help"
    } else {
        "When is Main Library open on Monday?"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_get_updates_every_update_is_handled_once() {
    let fake = FakeTelegram::start().await;
    let directory = tempfile::tempdir().expect("temp dir");
    let config = write_config(directory.path(), &fake.url);
    let log = directory.path().join("refdesk.log");
    let mut last_update = 0;
    for patron in PATRONS {
        (last_update, _) = fake.private_text(patron, "Pat", question(patron));
    }
    fake.freeze_after_next_batch();

    let mut first = spawn_daemon(&config, &log);
    // The first send attempt proves the desk committed at least one update
    // (the outbox sends only what is durable). Kill at once: the batch may be
    // partly handled; nothing was confirmed and nothing was delivered.
    fake.wait_until("a send attempt from the first run", || {
        (!fake.requests("sendMessage").is_empty()).then_some(())
    })
    .await;
    first.kill().expect("SIGKILL");
    first.wait().expect("reap the killed daemon");
    assert!(fake.sent().is_empty(), "the frozen fake delivered nothing");
    fake.thaw();
    let mut second = spawn_daemon(&config, &log);
    for patron in PATRONS {
        fake.wait_for_sent(patron, 1).await;
    }
    fake.wait_for_text(SYSTEM_STAFF, "Ticket #").await;
    fake.wait_for_confirmed(last_update).await;
    // Time for any doubled answer to show up before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(second.id().to_string())
        .status()
        .expect("send SIGTERM");
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || second.wait())
        .await
        .expect("join")
        .expect("wait for refdesk");
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(exit.success(), "refdesk run exited with {exit}; log:\n{log_text}");

    for patron in PATRONS {
        let sent = fake.sent_to(patron);
        assert_eq!(
            sent.len(),
            1,
            "patron {patron} got {} messages; log:\n{log_text}",
            sent.len()
        );
    }
    let tickets = fake
        .sent_to(SYSTEM_STAFF)
        .iter()
        .filter(|sent| sent.visible.contains("Ticket #"))
        .count();
    let escalated = PATRONS.filter(|patron| patron % 3 == 0).count();
    assert_eq!(tickets, escalated, "one ticket per escalated question");
    // At least one update was committed before the kill and came again: the
    // desk skipped it rather than answering twice.
    assert!(
        log_text.contains("duplicate update skipped"),
        "no redelivery was exercised; log:\n{log_text}"
    );
    assert!(!log_text.contains(TOKEN), "the token leaked into the log");
}
