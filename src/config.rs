//! `config.toml`: parsed strictly in two stages, raw (what the admin typed,
//! `deny_unknown_fields`) then validated `Config`. Tokens never live here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::chat::{ChatRef, Platform};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The message carries the line and column (toml's own report).
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The validated configuration of one refdesk instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// Absolute or relative to the current directory (resolved against the config file's directory).
    pub knowledge: PathBuf,
    pub data_dir: PathBuf,
    pub escalate_below: f32,
    pub desk: DeskConfig,
    pub telegram: Option<TelegramConfig>,
    pub discord: Option<DiscordConfig>,
    /// Port of the status endpoint on 127.0.0.1; none disables it.
    pub status_port: Option<u16>,
    /// sled's page cache, in bytes.
    pub cache_bytes: u64,
}

/// What the conversation core needs to know about chats and staff.
#[derive(Debug, Clone, Default)]
pub struct DeskConfig {
    /// Patron chats that belong to one branch (a branch's channel or group).
    pub branch_chats: BTreeMap<ChatRef, String>,
    /// Staff destinations per branch id.
    pub branch_staff: BTreeMap<String, Vec<ChatRef>>,
    /// System-wide staff: tickets of branches without their own staff, fallbacks, notices.
    pub system_staff: Vec<ChatRef>,
    /// A ticket with no staff reply after this much of its branch's open time is posted again.
    pub remind_after: Duration,
    /// After this much open time it also goes to the system-wide staff.
    pub fallback_after: Duration,
    pub retention_days: u32,
    /// Messages per minute one patron may send before the excess is refused.
    pub flood_per_minute: u32,
}

impl DeskConfig {
    /// Where a branch's tickets go: its own staff, else the system-wide staff.
    pub fn staff_for(&self, branch: Option<&str>) -> &[ChatRef] {
        branch
            .and_then(|id| self.branch_staff.get(id))
            .filter(|chats| !chats.is_empty())
            .map(Vec::as_slice)
            .unwrap_or(&self.system_staff)
    }

    /// The branch whose staff work in this chat; `Some(None)` for system-wide staff.
    pub fn staff_chat(&self, chat: &ChatRef) -> Option<Option<&str>> {
        for (branch, chats) in &self.branch_staff {
            if chats.contains(chat) {
                return Some(Some(branch.as_str()));
            }
        }
        self.system_staff.contains(chat).then_some(None)
    }
}

#[derive(Debug, Clone, Default)]
pub struct TelegramConfig {
    /// A local Bot API server instead of api.telegram.org (tests, self-hosting).
    pub api_url: Option<String>,
    /// Sends per minute into one group; Telegram's limit is 20.
    pub group_messages_per_minute: Option<u32>,
    /// Sends per second over all chats; Telegram's limit is 30.
    pub messages_per_second: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct DiscordConfig {
    /// A proxy base URL instead of discord.com (tests).
    pub api_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    knowledge: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    #[serde(default)]
    engine: RawEngine,
    #[serde(default)]
    desk: RawDesk,
    #[serde(default)]
    staff: Vec<String>,
    #[serde(default)]
    branches: BTreeMap<String, RawBranch>,
    telegram: Option<RawTelegram>,
    discord: Option<RawDiscord>,
    #[serde(default)]
    status: RawStatus,
    #[serde(default)]
    store: RawStore,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngine {
    escalate_below: Option<f32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesk {
    remind_after_minutes: Option<u64>,
    fallback_after_minutes: Option<u64>,
    retention_days: Option<u32>,
    flood_per_minute: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBranch {
    #[serde(default)]
    chats: Vec<String>,
    #[serde(default)]
    staff: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTelegram {
    api_url: Option<String>,
    group_messages_per_minute: Option<u32>,
    messages_per_second: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscord {
    api_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    port: Option<u16>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    cache_mb: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            knowledge: PathBuf::from("knowledge"),
            data_dir: PathBuf::from("data"),
            escalate_below: 0.5,
            desk: DeskConfig {
                remind_after: Duration::from_secs(60 * 60),
                fallback_after: Duration::from_secs(4 * 60 * 60),
                retention_days: 90,
                flood_per_minute: 10,
                ..DeskConfig::default()
            },
            telegram: None,
            discord: None,
            status_port: None,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses config text; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| error.to_string().trim_end().to_string())?;
        let mut config = Config::default();
        let mut errors = Vec::new();
        let resolve = |path: PathBuf| if path.is_absolute() { path } else { base.join(path) };
        config.knowledge = resolve(raw.knowledge.unwrap_or(config.knowledge));
        config.data_dir = resolve(raw.data_dir.unwrap_or(config.data_dir));
        if let Some(threshold) = raw.engine.escalate_below {
            if !(0.0..=1.0).contains(&threshold) {
                errors.push(format!("engine.escalate_below: {threshold} is not between 0 and 1"));
            }
            config.escalate_below = threshold;
        }
        let desk = &mut config.desk;
        if let Some(minutes) = raw.desk.remind_after_minutes {
            desk.remind_after = Duration::from_secs(minutes * 60);
        }
        if let Some(minutes) = raw.desk.fallback_after_minutes {
            desk.fallback_after = Duration::from_secs(minutes * 60);
        }
        if desk.fallback_after < desk.remind_after {
            errors.push("desk.fallback_after_minutes must not be less than remind_after_minutes".to_string());
        }
        desk.retention_days = raw.desk.retention_days.unwrap_or(desk.retention_days);
        desk.flood_per_minute = raw.desk.flood_per_minute.unwrap_or(desk.flood_per_minute);
        if desk.flood_per_minute == 0 {
            errors.push("desk.flood_per_minute must be at least 1".to_string());
        }
        desk.system_staff = parse_chats("staff", &raw.staff, &mut errors);
        for (branch, raw_branch) in &raw.branches {
            for chat in parse_chats(&format!("branches.{branch}.chats"), &raw_branch.chats, &mut errors) {
                if let Some(other) = desk.branch_chats.insert(chat.clone(), branch.clone()) {
                    errors.push(format!("chat {chat} is listed for both {other} and {branch}"));
                }
            }
            let staff = parse_chats(&format!("branches.{branch}.staff"), &raw_branch.staff, &mut errors);
            desk.branch_staff.insert(branch.clone(), staff);
        }
        for chat in desk.branch_chats.keys() {
            if desk.staff_chat(chat).is_some() {
                errors.push(format!("chat {chat} is both a patron chat and a staff chat"));
            }
        }
        if let Some(telegram) = &raw.telegram
            && (telegram.group_messages_per_minute == Some(0) || telegram.messages_per_second == Some(0))
        {
            errors.push("telegram: message rates must be at least 1".to_string());
        }
        config.telegram = raw.telegram.map(|telegram| TelegramConfig {
            api_url: telegram.api_url,
            group_messages_per_minute: telegram.group_messages_per_minute,
            messages_per_second: telegram.messages_per_second,
        });
        config.discord = raw.discord.map(|discord| DiscordConfig {
            api_url: discord.api_url,
        });
        config.status_port = raw.status.port;
        if let Some(megabytes) = raw.store.cache_mb {
            config.cache_bytes = megabytes * 1024 * 1024;
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Branch ids named in the config that the knowledge does not have.
    pub fn unknown_branches<'a>(&'a self, known: impl Fn(&str) -> bool + 'a) -> Vec<&'a str> {
        self.desk
            .branch_staff
            .keys()
            .map(String::as_str)
            .filter(|id| !known(id))
            .collect()
    }
}

/// Parses `platform:id` chat references ("telegram:-1001234", "discord:8123").
pub fn parse_chat(text: &str) -> Result<ChatRef, String> {
    let (platform, id) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not platform:id (e.g. \"telegram:-1001234\")"))?;
    let platform: Platform = platform.parse()?;
    if platform == Platform::Terminal {
        return Ok(ChatRef::new(platform, id));
    }
    if id.parse::<i64>().is_err() {
        return Err(format!(
            "{text:?}: chat ids are numbers (the platform's immutable id, not a name)"
        ));
    }
    Ok(ChatRef::new(platform, id))
}

fn parse_chats(field: &str, texts: &[String], errors: &mut Vec<String>) -> Vec<ChatRef> {
    texts
        .iter()
        .filter_map(|text| match parse_chat(text) {
            Ok(chat) => Some(chat),
            Err(message) => {
                errors.push(format!("{field}: {message}"));
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let error = Config::parse("knowledge = \"k\"\n\n[desk]\nremind_after = 3\n", Path::new("/x")).unwrap_err();
        assert!(error.contains("line 4"), "{error}");
        assert!(error.contains("remind_after"), "{error}");
    }

    #[test]
    fn chats_and_staff_are_parsed() {
        let config = Config::parse(
            "staff = [\"telegram:-100\"]\n[branches.main]\nchats = [\"discord:42\"]\nstaff = [\"discord:43\"]\n",
            Path::new("/x"),
        )
        .unwrap();
        assert_eq!(config.knowledge, PathBuf::from("/x/knowledge"));
        let main_chat = ChatRef::new(Platform::Discord, "42");
        assert_eq!(
            config.desk.branch_chats.get(&main_chat).map(String::as_str),
            Some("main")
        );
        assert_eq!(
            config.desk.staff_for(Some("main")),
            &[ChatRef::new(Platform::Discord, "43")]
        );
        assert_eq!(
            config.desk.staff_for(Some("other")),
            &[ChatRef::new(Platform::Telegram, "-100")]
        );
        assert_eq!(
            config.desk.staff_chat(&ChatRef::new(Platform::Telegram, "-100")),
            Some(None)
        );
    }

    #[test]
    fn chat_names_are_refused() {
        let error = Config::parse("staff = [\"discord:#staff\"]\n", Path::new("/x")).unwrap_err();
        assert!(error.contains("immutable id"), "{error}");
    }
}
