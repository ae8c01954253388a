//! Telegram updates into `chat::Incoming`: who wrote, where, and whether the
//! bot was addressed. Nothing here does IO; the receiving loop decides what
//! to do with an update that is not a message for the desk.

use teloxide::types::{Message, Update, UpdateKind, User, UserId};

use crate::chat::{ChatKind, ChatRef, Incoming, Platform, UserRef};

/// The bot's own identity, from `getMe`.
#[derive(Debug, Clone)]
pub struct BotIdentity {
    pub id: UserId,
    /// Without the `@`.
    pub username: String,
}

/// What an update means for the desk.
#[derive(Debug)]
pub enum Converted {
    Message(Box<Incoming>),
    /// Not a message the desk handles; the reason is for the log.
    Skip(&'static str),
}

/// Converts one update. Groups address the bot by `@username`, by replying to
/// one of its messages, or by a command (not one meant for another bot).
pub fn convert(update: &Update, bot: &BotIdentity) -> Converted {
    let message = match &update.kind {
        UpdateKind::Message(message) => message,
        UpdateKind::EditedMessage(_) => return Converted::Skip("edited message"),
        UpdateKind::Error(_) => return Converted::Skip("update that could not be read"),
        _ => return Converted::Skip("not a message"),
    };
    let Some(sender) = &message.from else {
        return Converted::Skip("message without a sender");
    };
    if sender.is_bot {
        return Converted::Skip("message from a bot");
    }
    let chat_kind = if message.chat.is_private() {
        ChatKind::Direct
    } else if message.chat.is_group() || message.chat.is_supergroup() {
        ChatKind::Group
    } else {
        return Converted::Skip("channel post");
    };
    let raw_text = message.text().or_else(|| message.caption()).unwrap_or("");
    let (text, addressed) = match chat_kind {
        ChatKind::Direct => (raw_text.trim().to_string(), true),
        ChatKind::Group => {
            let (text, mentioned) = strip_mention(raw_text, &bot.username);
            let replied_to_bot = message
                .reply_to_message()
                .and_then(|replied| replied.from.as_ref())
                .is_some_and(|author| author.id == bot.id);
            let command = command_for_us(&text, &bot.username);
            (text, mentioned || replied_to_bot || command)
        }
    };
    Converted::Message(Box::new(Incoming {
        update_id: update.id.0.to_string(),
        chat: ChatRef::new(Platform::Telegram, message.chat.id.0.to_string()),
        chat_kind,
        message_id: message.id.0.to_string(),
        sender: UserRef::new(Platform::Telegram, sender.id.0.to_string()),
        display_name: display_name(sender),
        text,
        reply_to: reply_to(message),
        reply_to_bot_text: message
            .reply_to_message()
            .filter(|replied| replied.from.as_ref().is_some_and(|author| author.id == bot.id))
            .and_then(|replied| replied.text().or_else(|| replied.caption()))
            .map(str::to_string),
        addressed,
    }))
}

fn reply_to(message: &Message) -> Option<String> {
    message.reply_to_message().map(|replied| replied.id.0.to_string())
}

/// "First Last"; for staff to read, never for authorisation.
fn display_name(user: &User) -> String {
    match &user.last_name {
        Some(last) if !last.is_empty() => format!("{} {last}", user.first_name),
        _ => user.first_name.clone(),
    }
}

/// Removes every `@username` of the bot (any letter case) and reports whether
/// there was one. A longer name that starts the same (`@bot_two`) is not ours.
fn strip_mention(text: &str, username: &str) -> (String, bool) {
    let mention = format!("@{}", username.to_lowercase());
    let lowered = text.to_lowercase();
    // Lowercasing can change byte lengths outside ASCII; then mentions are
    // looked up in the text as written only (usernames are ASCII).
    let haystack = if lowered.len() == text.len() {
        lowered.as_str()
    } else {
        text
    };
    let mut kept = String::with_capacity(text.len());
    let mut found = false;
    let mut position = 0;
    while let Some(offset) = haystack[position..].find(&mention) {
        let start = position + offset;
        let end = start + mention.len();
        let continues = text[end..]
            .chars()
            .next()
            .is_some_and(|next| next.is_ascii_alphanumeric() || next == '_');
        let preceded = text[..start]
            .chars()
            .next_back()
            .is_some_and(|previous| previous.is_ascii_alphanumeric() || previous == '_' || previous == '/');
        if continues || preceded {
            kept.push_str(&text[position..end]);
        } else {
            kept.push_str(&text[position..start]);
            found = true;
        }
        position = end;
    }
    kept.push_str(&text[position..]);
    if !found {
        return (text.trim().to_string(), false);
    }
    let collapsed = kept
        .split(' ')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let cleaned = collapsed.trim().trim_start_matches([',', ':']).trim().to_string();
    (cleaned, true)
}

/// A `/command`, or `/command@ourname`; `/command@otherbot` is for another bot.
fn command_for_us(text: &str, username: &str) -> bool {
    let Some(rest) = text.strip_prefix('/') else {
        return false;
    };
    let word = rest.split(char::is_whitespace).next().unwrap_or("");
    match word.split_once('@') {
        Some((_, target)) => target.eq_ignore_ascii_case(username),
        None => !word.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot() -> BotIdentity {
        BotIdentity {
            id: UserId(999),
            username: "refdesk_bot".to_string(),
        }
    }

    fn update(json: serde_json::Value) -> Update {
        // From text, as teloxide reads it: its update parser needs borrowed keys.
        serde_json::from_str(&json.to_string()).expect("a valid update")
    }

    fn message(chat: serde_json::Value, text: &str, reply_from: Option<u64>) -> Update {
        let mut message = serde_json::json!({
            "message_id": 5,
            "date": 1_700_000_000,
            "chat": chat,
            "from": {"id": 42, "is_bot": false, "first_name": "Ada", "last_name": "Lovelace"},
            "text": text,
        });
        if let Some(author) = reply_from {
            message["reply_to_message"] = serde_json::json!({
                "message_id": 4,
                "date": 1_700_000_000,
                "chat": message["chat"].clone(),
                "from": {"id": author, "is_bot": true, "first_name": "Bot", "username": "x"},
                "text": "earlier",
            });
        }
        update(serde_json::json!({"update_id": 77, "message": message}))
    }

    fn private() -> serde_json::Value {
        serde_json::json!({"id": 42, "type": "private", "first_name": "Ada"})
    }

    fn group() -> serde_json::Value {
        serde_json::json!({"id": -100123, "type": "supergroup", "title": "Branch"})
    }

    fn incoming(update: &Update) -> Incoming {
        match convert(update, &bot()) {
            Converted::Message(incoming) => *incoming,
            Converted::Skip(reason) => panic!("skipped: {reason}"),
        }
    }

    #[test]
    fn private_messages_are_addressed() {
        let incoming = incoming(&message(private(), " when are you open? ", None));
        assert_eq!(incoming.update_id, "77");
        assert_eq!(incoming.chat, ChatRef::new(Platform::Telegram, "42"));
        assert_eq!(incoming.chat_kind, ChatKind::Direct);
        assert_eq!(incoming.message_id, "5");
        assert_eq!(incoming.sender, UserRef::new(Platform::Telegram, "42"));
        assert_eq!(incoming.display_name, "Ada Lovelace");
        assert_eq!(incoming.text, "when are you open?");
        assert!(incoming.addressed);
        assert_eq!(incoming.reply_to, None);
    }

    #[test]
    fn group_addressing() {
        // (text, replied-to author, addressed, text the desk sees)
        let cases: &[(&str, Option<u64>, bool, &str)] = &[
            ("are you open today?", None, false, "are you open today?"),
            ("@refdesk_bot are you open today?", None, true, "are you open today?"),
            ("@RefDesk_Bot, are you open?", None, true, "are you open?"),
            ("hey @refdesk_bot are you open?", None, true, "hey are you open?"),
            (
                "@refdesk_bot_two are you open?",
                None,
                false,
                "@refdesk_bot_two are you open?",
            ),
            ("mail me at x@refdesk_bot", None, false, "mail me at x@refdesk_bot"),
            ("are you open?", Some(999), true, "are you open?"),
            ("are you open?", Some(1000), false, "are you open?"),
            ("/hours", None, true, "/hours"),
            ("/hours@refdesk_bot main", None, true, "/hours@refdesk_bot main"),
            ("/hours@other_bot main", None, false, "/hours@other_bot main"),
        ];
        for (text, reply_from, addressed, seen) in cases {
            let incoming = incoming(&message(group(), text, *reply_from));
            assert_eq!(incoming.chat_kind, ChatKind::Group);
            assert_eq!(incoming.addressed, *addressed, "{text:?}");
            assert_eq!(incoming.text, *seen, "{text:?}");
        }
        let replied = incoming(&message(group(), "yes", Some(999)));
        assert_eq!(replied.reply_to.as_deref(), Some("4"));
        assert_eq!(replied.reply_to_bot_text.as_deref(), Some("earlier"));
        let to_someone_else = incoming(&message(group(), "yes", Some(1000)));
        assert_eq!(to_someone_else.reply_to.as_deref(), Some("4"));
        assert_eq!(to_someone_else.reply_to_bot_text, None);
    }

    #[test]
    fn non_messages_are_skipped() {
        let edited = update(serde_json::json!({"update_id": 1, "edited_message": {
            "message_id": 5, "date": 1_700_000_000, "edit_date": 1_700_000_100, "chat": private(),
            "from": {"id": 42, "is_bot": false, "first_name": "Ada"}, "text": "edited"}}));
        assert!(matches!(convert(&edited, &bot()), Converted::Skip("edited message")));
        let unknown = update(serde_json::json!({"update_id": 2, "something_new": {"x": 1}}));
        assert!(matches!(convert(&unknown, &bot()), Converted::Skip(_)));
        let from_bot = update(serde_json::json!({"update_id": 3, "message": {
            "message_id": 5, "date": 1_700_000_000, "chat": group(),
            "from": {"id": 7, "is_bot": true, "first_name": "Other"}, "text": "@refdesk_bot hi"}}));
        assert!(matches!(convert(&from_bot, &bot()), Converted::Skip(_)));
    }

    #[test]
    fn a_photo_caption_is_the_text() {
        let photo = update(serde_json::json!({"update_id": 4, "message": {
            "message_id": 5, "date": 1_700_000_000, "chat": private(),
            "from": {"id": 42, "is_bot": false, "first_name": "Ada"},
            "photo": [{"file_id": "a", "file_unique_id": "b", "width": 1, "height": 1}],
            "caption": "is this book yours?"}}));
        assert_eq!(incoming(&photo).text, "is this book yours?");
    }
}
