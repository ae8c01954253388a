//! The terminal adapter behind `refdesk chat`: one patron chat and one staff
//! chat in the same terminal, so the whole desk works with no accounts.

use std::io::Write;
use std::sync::Mutex;

use crate::chat::{Adapter, ChatRef, Delivered, Outgoing, Platform, SendError, Span};

/// The patron side of the terminal.
pub const PATRON_CHAT: &str = "patron";
/// The staff side of the terminal.
pub const STAFF_CHAT: &str = "staff";

/// Prints outgoing messages, labelled with the side they go to.
#[derive(Default)]
pub struct TerminalAdapter {
    next_message_id: Mutex<u64>,
}

impl TerminalAdapter {
    pub fn patron_chat() -> ChatRef {
        ChatRef::new(Platform::Terminal, PATRON_CHAT)
    }

    pub fn staff_chat() -> ChatRef {
        ChatRef::new(Platform::Terminal, STAFF_CHAT)
    }
}

#[async_trait::async_trait]
impl Adapter for TerminalAdapter {
    fn platform(&self) -> Platform {
        Platform::Terminal
    }

    async fn send(&self, message: &Outgoing, _nonce: u64) -> Result<Delivered, SendError> {
        let id = {
            let mut next = self
                .next_message_id
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *next += 1;
            *next
        };
        let label = if message.chat.chat_id == STAFF_CHAT {
            format!("[staff chat, message m{id}]")
        } else {
            "bot>".to_string()
        };
        let text = render(&message.body);
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{label} {}", text.replace('\n', "\n     "))
            .map_err(|error| SendError::Transient(error.to_string()))?;
        Ok(Delivered {
            message_ids: vec![format!("m{id}")],
        })
    }
}

fn render(body: &[Span]) -> String {
    Outgoing {
        chat: TerminalAdapter::patron_chat(),
        body: body.to_vec(),
        reply_to: None,
    }
    .plain_text()
}
