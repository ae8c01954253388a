//! Patron messages: commands, questions for the engine, follow-ups on an open
//! ticket, and `/forget`.

use std::sync::atomic::Ordering;

use chrono::Duration as TimeDelta;

use super::texts::{self, excerpt};
use super::{DeskError, FloodVerdict, STAFF_COMMANDS, Work, parse_command, tickets};
use crate::chat::{ChatKind, Incoming, Outgoing, Span};
use crate::engine::{AnswerKind, Question};
use crate::store::{Author, Patron, Purpose, TicketEntry, TicketStatus};

/// How long a `/forget` request waits for its confirmation.
const FORGET_CONFIRM_MINUTES: i64 = 10;

pub(super) fn handle(work: &mut Work<'_>, incoming: &Incoming) -> Result<(), DeskError> {
    let desk = work.desk;
    match desk.flood_check(&incoming.sender, work.now) {
        FloodVerdict::Allow => {}
        FloodVerdict::Warn => {
            tracing::info!(user = %incoming.sender, "flood limit reached");
            reply(work, incoming, texts::FLOOD_NOTICE.to_string(), None)?;
            return Ok(());
        }
        FloodVerdict::Drop => return Ok(()),
    }
    let mut patron = desk.store.patron(&incoming.sender)?.unwrap_or_default();
    let text = incoming.text.trim();
    if let Some((command, argument)) = parse_command(text) {
        return command_from_patron(work, incoming, &mut patron, &command, argument);
    }
    if text.is_empty() {
        // A sticker, a photo without caption: nothing to read.
        return reply(
            work,
            incoming,
            "I can only read text. Type your question, or send /help.".to_string(),
            None,
        );
    }
    if let Some(ticket_id) = patron.open_ticket {
        if follow_up(work, incoming, ticket_id)? {
            return Ok(());
        }
        patron.open_ticket = None;
        work.changes.put_patron(&incoming.sender, &patron);
    }
    ask(work, incoming, &mut patron, text)
}

/// Answers a question with the engine, or opens a ticket when it is not sure.
fn ask(work: &mut Work<'_>, incoming: &Incoming, patron: &mut Patron, text: &str) -> Result<(), DeskError> {
    let desk = work.desk;
    let engine = desk.engine();
    let context_branch = context_branch(work, incoming, patron);
    let answer = engine.answer(&Question {
        text,
        branch: context_branch.as_deref(),
        now: work.now,
    });
    if answer.kind == AnswerKind::Escalate {
        desk.counters.escalated.fetch_add(1, Ordering::Relaxed);
        let branch = engine
            .find_branch(text)
            .map(|branch| branch.id.clone())
            .or(context_branch);
        let guess = answer.guess.as_ref().and_then(|guess| {
            let target = guess.target.as_ref()?;
            let mut line = format!("{}:{target} ({:.2})", guess.kind, guess.confidence);
            // Staff can confirm a FAQ guess at a glance when they see its answer.
            if guess.kind == AnswerKind::Faq
                && let Some(faq) = engine.knowledge().faq(target, branch.as_deref())
            {
                line.push_str(&format!(": \"{}\"", excerpt(faq.answer.trim(), 160)));
            }
            Some(line)
        });
        tickets::open(work, incoming, patron, branch, guess)?;
        return Ok(());
    }
    desk.counters.answered.fetch_add(1, Ordering::Relaxed);
    tracing::info!(chat = %incoming.chat, answer = %answer.label(), confidence = answer.confidence, "answered");
    reply(work, incoming, answer.text, None)
}

/// The branch a conversation is about: the chat's own branch, else the patron's home branch.
fn context_branch(work: &Work<'_>, incoming: &Incoming, patron: &Patron) -> Option<String> {
    work.desk
        .config
        .branch_chats
        .get(&incoming.chat)
        .cloned()
        .or_else(|| patron.home_branch.clone())
}

/// Adds a message to the patron's open ticket and forwards it. False when the
/// ticket is no longer open.
fn follow_up(work: &mut Work<'_>, incoming: &Incoming, ticket_id: u64) -> Result<bool, DeskError> {
    let desk = work.desk;
    let Some(mut ticket) = desk.store.ticket(ticket_id)? else {
        return Ok(false);
    };
    if ticket.status != TicketStatus::Open {
        return Ok(false);
    }
    let text = excerpt(incoming.text.trim(), texts::MAX_RELAYED_CHARS);
    ticket.history.push(TicketEntry {
        at: work.now,
        author: Author::Patron,
        text: text.clone(),
    });
    for chat in desk.config.staff_for(ticket.branch.as_deref()).to_vec() {
        work.send(
            Outgoing {
                chat,
                body: texts::follow_up_post(&ticket, &text),
                reply_to: None,
            },
            Purpose::TicketToStaff { ticket: ticket.id },
        )?;
    }
    work.changes.put_ticket(&ticket);
    reply(
        work,
        incoming,
        format!("Added to your question #{}; staff will see it.", ticket.id),
        Some(ticket.id),
    )?;
    Ok(true)
}

fn command_from_patron(
    work: &mut Work<'_>,
    incoming: &Incoming,
    patron: &mut Patron,
    command: &str,
    argument: &str,
) -> Result<(), DeskError> {
    let desk = work.desk;
    let engine = desk.engine();
    let knowledge = engine.knowledge();
    match command {
        "start" | "help" => {
            let branch = context_branch(work, incoming, patron)
                .and_then(|id| knowledge.branch(&id).map(|branch| branch.name.clone()));
            let text = texts::patron_help(&knowledge.library.name, branch.as_deref());
            reply(work, incoming, text, None)
        }
        "branch" => {
            if argument.is_empty() {
                let current = patron
                    .home_branch
                    .as_deref()
                    .and_then(|id| knowledge.branch(id))
                    .map_or("You have no home branch yet.".to_string(), |branch| {
                        format!("Your home branch is {}.", branch.name)
                    });
                let names: Vec<&str> = knowledge.branches.iter().map(|branch| branch.name.as_str()).collect();
                let text = format!("{current} Send /branch NAME to choose one: {}.", names.join(", "));
                return reply(work, incoming, text, None);
            }
            match engine.find_branch(argument) {
                Some(branch) => {
                    patron.home_branch = Some(branch.id.clone());
                    work.changes.put_patron(&incoming.sender, patron);
                    let text = format!(
                        "Done: {} is your home branch. I'll answer hours and events for it unless you name another.",
                        branch.name
                    );
                    reply(work, incoming, text, None)
                }
                None => {
                    let names: Vec<&str> = knowledge.branches.iter().map(|branch| branch.name.as_str()).collect();
                    let text = format!(
                        "I don't know a branch called \"{}\". Our branches: {}.",
                        excerpt(argument, 60),
                        names.join(", ")
                    );
                    reply(work, incoming, text, None)
                }
            }
        }
        "hours" | "events" => {
            let question = if command == "hours" {
                format!("opening hours {argument} this week")
            } else {
                format!("events {argument} this week")
            };
            let context = context_branch(work, incoming, patron);
            let answer = engine.answer(&Question {
                text: &question,
                branch: context.as_deref(),
                now: work.now,
            });
            desk.counters.answered.fetch_add(1, Ordering::Relaxed);
            reply(work, incoming, answer.text, None)
        }
        "staff" => {
            if argument.is_empty() {
                return reply(
                    work,
                    incoming,
                    "Tell me your question after /staff, for example: /staff can I donate books?".to_string(),
                    None,
                );
            }
            if let Some(ticket_id) = patron.open_ticket
                && follow_up(work, incoming, ticket_id)?
            {
                return Ok(());
            }
            desk.counters.escalated.fetch_add(1, Ordering::Relaxed);
            let branch = engine
                .find_branch(argument)
                .map(|branch| branch.id.clone())
                .or_else(|| context_branch(work, incoming, patron));
            let mut question = incoming.clone();
            question.text = argument.to_string();
            tickets::open(work, &question, patron, branch, None)?;
            Ok(())
        }
        "forget" => forget(work, incoming, patron, argument),
        _ if STAFF_COMMANDS.contains(&command) => {
            desk.counters.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(chat = %incoming.chat, user = %incoming.sender, command, "staff command refused outside a staff chat");
            reply(work, incoming, texts::STAFF_COMMAND_REFUSED.to_string(), None)
        }
        _ => reply(
            work,
            incoming,
            format!(
                "I don't know the command /{}. Send /help to see what I can do.",
                excerpt(command, 32)
            ),
            None,
        ),
    }
}

/// `/forget` asks for confirmation; `/forget yes` within a few minutes erases
/// the patron's preferences, tickets, logged questions and pending messages.
fn forget(work: &mut Work<'_>, incoming: &Incoming, patron: &mut Patron, argument: &str) -> Result<(), DeskError> {
    let desk = work.desk;
    let confirmed = matches!(argument.to_ascii_lowercase().as_str(), "yes" | "confirm")
        && patron
            .forget_requested_at
            .is_some_and(|at| work.now - at <= TimeDelta::minutes(FORGET_CONFIRM_MINUTES));
    if !confirmed {
        patron.forget_requested_at = Some(work.now);
        work.changes.put_patron(&incoming.sender, patron);
        return reply(
            work,
            incoming,
            format!(
                "This erases everything I have stored about you: your home branch, your questions to staff and any answer still waiting to be sent. Send /forget yes within {FORGET_CONFIRM_MINUTES} minutes to confirm."
            ),
            None,
        );
    }
    let user = &incoming.sender;
    work.changes.remove_patron(user);
    for ticket in desk.store.tickets()? {
        if &ticket.patron == user {
            work.changes.remove_ticket(ticket.id);
            for key in desk.store.staff_message_keys(ticket.id)? {
                work.changes.unlink_staff_message(key);
            }
        }
    }
    for (id, record) in desk.store.unanswered()? {
        if &record.patron == user {
            work.changes.remove_unanswered(id);
        }
    }
    for entry in desk.store.outbox()? {
        if matches!(&entry.purpose, Purpose::Patron { patron, .. } if patron == user) {
            work.changes.remove_outbox(&entry);
        }
    }
    desk.forget_flood(user);
    tracing::info!(user = %user, "patron data erased");
    // This confirmation is the one thing sent after erasing; it names nothing stored.
    reply(
        work,
        incoming,
        "Done. I've erased everything I had stored about you.".to_string(),
        None,
    )
}

/// Answers in the chat the message came from (threaded in groups).
fn reply(work: &mut Work<'_>, incoming: &Incoming, text: String, ticket: Option<u64>) -> Result<(), DeskError> {
    let reply_to = (incoming.chat_kind == ChatKind::Group).then(|| incoming.message_id.clone());
    work.send(
        Outgoing {
            chat: incoming.chat.clone(),
            body: vec![Span::Text(text)],
            reply_to,
        },
        Purpose::Patron {
            patron: incoming.sender.clone(),
            ticket,
        },
    )?;
    Ok(())
}
