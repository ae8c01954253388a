//! The wording of what the desk says to patrons and staff, in one place.

use chrono::{DateTime, Utc};

use crate::chat::Span;
use crate::store::Ticket;

/// The longest patron or staff text the desk stores or forwards; the rest is cut with a mark.
pub const MAX_RELAYED_CHARS: usize = 3000;

pub fn patron_help(library: &str, branch: Option<&str>) -> String {
    let context = match branch {
        Some(name) => format!("I'm answering for {name}. "),
        None => String::new(),
    };
    format!(
        "Hello! I'm the {library} reference desk. {context}Ask me about opening hours (\"is Eastside open on Sunday?\"), events (\"storytime this week?\"), branch addresses and services, or how things work (renewing, holds, cards, printing).\n\
         Commands:\n\
         /hours [branch]: this week's opening hours\n\
         /events [branch]: what's on this week\n\
         /branch NAME: make NAME your home branch\n\
         /staff QUESTION: send your question straight to library staff\n\
         /forget: erase everything I have stored about you\n\
         If I'm not sure of an answer, I pass your question to staff and bring their answer back here."
    )
}

pub fn staff_help() -> String {
    "Staff commands (only in staff chats):\n\
     reply to a ticket's message: your text goes to the patron\n\
     /reply N TEXT: answer ticket #N\n\
     /close N: close ticket #N\n\
     /tickets: open tickets, oldest first\n\
     /claim N: take ticket #N\n\
     /transfer N BRANCH: pass ticket #N to another branch's staff"
        .to_string()
}

pub const STAFF_COMMAND_REFUSED: &str =
    "That command is for library staff and works only in a staff chat. To reach staff, send /staff and your question.";

pub const FLOOD_NOTICE: &str = "You're sending messages faster than I can read them. Please wait a minute, then ask again; I'll answer the messages I already have.";

/// A ticket as staff see it: number, branch, platform, patron, question, guess.
pub fn ticket_post(ticket: &Ticket, branch_name: &str, heading: &str) -> Vec<Span> {
    let mut body = vec![
        Span::Bold(format!("{heading}Ticket #{}", ticket.id)),
        Span::Text(format!(
            " · {branch_name} · {} · from {}\n",
            ticket.patron.platform.display_name(),
            excerpt(&ticket.display_name, 80)
        )),
        Span::Quote(excerpt(&ticket.question, MAX_RELAYED_CHARS)),
    ];
    if let Some(guess) = &ticket.guess {
        body.push(Span::Text(format!("\nMy best guess (not sent): {guess}")));
    }
    body.push(Span::Text(format!(
        "\nReply to this message, or send /reply {} followed by your answer.",
        ticket.id
    )));
    body
}

/// The ticket number a ticket or follow-up post names, read back from the
/// post as a platform shows it: its first line up to the first " · " (what
/// follows is the patron's name) ends with "Ticket #N". Markup and escapes
/// (`**`, `\#`) are ignored.
pub fn ticket_of_post(text: &str) -> Option<u64> {
    let first_line = text.lines().next()?;
    let plain: String = first_line.chars().filter(|c| !matches!(c, '*' | '\\')).collect();
    let head = plain.split(" · ").next()?;
    let (before, number) = head.rsplit_once("Ticket #")?;
    if before.contains(" · ") || number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    number.parse().ok()
}

pub const REPLY_NOT_TO_A_TICKET: &str = "That message is not a ticket, so I sent nothing on. To answer a patron, reply to their ticket's message or send /reply N followed by your answer.";

/// A patron's further message on an open ticket, for its staff.
pub fn follow_up_post(ticket: &Ticket, text: &str) -> Vec<Span> {
    vec![
        Span::Bold(format!("Ticket #{}", ticket.id)),
        Span::Text(format!(" · more from {}:\n", excerpt(&ticket.display_name, 80))),
        Span::Quote(excerpt(text, MAX_RELAYED_CHARS)),
        Span::Text(format!("\nReply to this message, or /reply {} ...", ticket.id)),
    ]
}

/// "3 h 05 min", "12 min", "2 d 4 h".
pub fn format_age(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format_minutes((to - from).num_minutes().max(0))
}

pub fn format_minutes(minutes: i64) -> String {
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {minutes:02} min")
    } else {
        format!("{minutes} min")
    }
}

/// At most `max_chars` characters of `text`, cut at a character boundary with "…".
pub fn excerpt(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_on_characters() {
        assert_eq!(excerpt("héllo", 10), "héllo");
        assert_eq!(excerpt("héllo", 2), "hé…");
        assert_eq!(excerpt("👍👍👍", 1), "👍…");
    }

    #[test]
    fn a_ticket_post_names_its_ticket_on_every_platform() {
        let patron = crate::chat::UserRef::new(crate::chat::Platform::Telegram, "42");
        let ticket = Ticket {
            id: 12,
            branch: None,
            patron: patron.clone(),
            patron_chat: crate::chat::ChatRef::new(patron.platform, "42"),
            patron_message: "1".into(),
            display_name: "Ticket #99 · fan".into(),
            question: "Ticket #98 please".into(),
            guess: None,
            opened_at: DateTime::<Utc>::UNIX_EPOCH,
            status: crate::store::TicketStatus::Open,
            claimed_by: None,
            first_staff_reply_at: None,
            closed_at: None,
            escalation_level: 0,
            history: Vec::new(),
        };
        for heading in [
            "",
            "Reminder, waiting 1 h 05 min of open time: ",
            "Transferred by Ann · Lee: ",
        ] {
            let post: String = ticket_post(&ticket, "Main", heading)
                .iter()
                .map(|span| match span {
                    Span::Text(text) | Span::Bold(text) | Span::Quote(text) => text.as_str(),
                })
                .collect();
            let expected = if heading.contains(" · ") { None } else { Some(12) };
            assert_eq!(ticket_of_post(&post), expected, "{post}");
        }
        assert_eq!(ticket_of_post("**Ticket \\#7** · more from Pat:\n> hi"), Some(7));
        assert_eq!(ticket_of_post("Ticket #7 closed."), None);
        assert_eq!(ticket_of_post("Sent to Ticket #3 (ticket #4)."), None);
        assert_eq!(ticket_of_post("#3 · Main · 5 min · Pat: Ticket #4"), None);
        assert_eq!(ticket_of_post("Ticket #"), None);
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(format_minutes(5), "5 min");
        assert_eq!(format_minutes(125), "2 h 05 min");
        assert_eq!(format_minutes(3000), "2 d 2 h");
    }
}
