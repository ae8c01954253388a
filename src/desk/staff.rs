//! Staff messages, accepted only from configured staff chats (checked by chat
//! id by the caller): replies to tickets, `/reply`, `/close`, `/tickets`,
//! `/claim`, `/transfer`.

use std::sync::atomic::Ordering;

use super::texts::{self, excerpt};
use super::tickets::{self, branch_label, staff_name};
use super::{DeskError, Work, parse_command};
use crate::chat::{Incoming, Outgoing, Span};
use crate::store::{Author, Purpose, Ticket, TicketEntry, TicketStatus};

/// `staff_branch` is the branch whose staff chat this is; `None` for system-wide staff.
pub(super) fn handle(work: &mut Work<'_>, incoming: &Incoming, staff_branch: Option<String>) -> Result<(), DeskError> {
    let text = incoming.text.trim();
    let scope = Scope { branch: staff_branch };
    if let Some((command, argument)) = parse_command(text) {
        return command_from_staff(work, incoming, &scope, &command, argument);
    }
    let Some(replied) = &incoming.reply_to else {
        // Staff talking among themselves.
        return Ok(());
    };
    let linked = work.desk.store.ticket_for_staff_message(&incoming.chat, replied)?;
    let named = || incoming.reply_to_bot_text.as_deref().and_then(texts::ticket_of_post);
    let Some(ticket_id) = linked.or_else(named) else {
        if incoming.reply_to_bot_text.is_some() && !text.is_empty() {
            return tell(work, incoming, texts::REPLY_NOT_TO_A_TICKET.to_string());
        }
        return Ok(());
    };
    if text.is_empty() {
        return tell(work, incoming, "Only text can be passed on to patrons.".to_string());
    }
    answer_ticket(work, incoming, &scope, ticket_id, text)
}

/// Which tickets a staff chat may act on: its branch's, or all for system-wide staff.
struct Scope {
    branch: Option<String>,
}

impl Scope {
    fn covers(&self, ticket: &Ticket) -> bool {
        match &self.branch {
            None => true,
            Some(branch) => ticket.branch.as_ref() == Some(branch) || ticket.escalation_level >= 2,
        }
    }
}

fn command_from_staff(
    work: &mut Work<'_>,
    incoming: &Incoming,
    scope: &Scope,
    command: &str,
    argument: &str,
) -> Result<(), DeskError> {
    match command {
        "start" | "help" => tell(work, incoming, texts::staff_help()),
        "tickets" => list(work, incoming, scope),
        "reply" => {
            let (number, text) = split_number(argument);
            match number {
                Some(id) if !text.is_empty() => answer_ticket(work, incoming, scope, id, text),
                _ => tell(
                    work,
                    incoming,
                    "Usage: /reply N TEXT (for example /reply 12 Yes, we do.)".into(),
                ),
            }
        }
        "close" => match split_number(argument).0 {
            Some(id) => close(work, incoming, scope, id),
            None => tell(work, incoming, "Usage: /close N".into()),
        },
        "claim" => match split_number(argument).0 {
            Some(id) => claim(work, incoming, scope, id),
            None => tell(work, incoming, "Usage: /claim N".into()),
        },
        "transfer" => {
            let (number, branch) = split_number(argument);
            match number {
                Some(id) if !branch.is_empty() => transfer(work, incoming, scope, id, branch),
                _ => tell(work, incoming, "Usage: /transfer N BRANCH".into()),
            }
        }
        _ => tell(
            work,
            incoming,
            format!("Unknown command /{}. {}", excerpt(command, 32), texts::staff_help()),
        ),
    }
}

/// A ticket this chat may act on, or a message saying why not.
fn ticket_in_scope(
    work: &mut Work<'_>,
    incoming: &Incoming,
    scope: &Scope,
    id: u64,
) -> Result<Option<Ticket>, DeskError> {
    let Some(ticket) = work.desk.store.ticket(id)? else {
        tell(work, incoming, format!("There is no ticket #{id}."))?;
        return Ok(None);
    };
    if !scope.covers(&ticket) {
        let engine = work.desk.engine();
        let owner = branch_label(engine.knowledge(), ticket.branch.as_deref());
        tell(work, incoming, format!("Ticket #{id} belongs to {owner}'s staff."))?;
        return Ok(None);
    }
    Ok(Some(ticket))
}

fn answer_ticket(
    work: &mut Work<'_>,
    incoming: &Incoming,
    scope: &Scope,
    id: u64,
    text: &str,
) -> Result<(), DeskError> {
    let Some(mut ticket) = ticket_in_scope(work, incoming, scope, id)? else {
        return Ok(());
    };
    let engine = work.desk.engine();
    let branch = ticket.branch.as_deref().and_then(|id| engine.knowledge().branch(id));
    let signature = staff_name(branch);
    let text = excerpt(text, texts::MAX_RELAYED_CHARS);
    work.send(
        Outgoing {
            chat: ticket.patron_chat.clone(),
            body: vec![
                Span::Text(format!("Answer to your question #{}:\n", ticket.id)),
                Span::Text(text.clone()),
                Span::Text("\n— ".to_string()),
                Span::Bold(signature),
            ],
            reply_to: Some(ticket.patron_message.clone()),
        },
        Purpose::Patron {
            patron: ticket.patron.clone(),
            ticket: Some(ticket.id),
        },
    )?;
    ticket.history.push(TicketEntry {
        at: work.now,
        author: Author::Staff(incoming.display_name.clone()),
        text,
    });
    ticket.first_staff_reply_at.get_or_insert(work.now);
    if ticket.claimed_by.is_none() {
        ticket.claimed_by = Some(incoming.display_name.clone());
    }
    work.changes.put_ticket(&ticket);
    work.desk.counters.staff_replies.fetch_add(1, Ordering::Relaxed);
    tracing::info!(ticket = ticket.id, chat = %incoming.chat, "staff reply queued for the patron");
    let patron = work.desk.store.patron(&ticket.patron)?.unwrap_or_default();
    let mut note = format!("Sent to {} (ticket #{}).", excerpt(&ticket.display_name, 80), ticket.id);
    if patron.undeliverable {
        note.push_str(" Earlier messages to this patron could not be delivered; this one may fail too.");
    }
    if ticket.status == TicketStatus::Open {
        note.push_str(&format!(" /close {} when it's done.", ticket.id));
    }
    tell(work, incoming, note)
}

fn close(work: &mut Work<'_>, incoming: &Incoming, scope: &Scope, id: u64) -> Result<(), DeskError> {
    let Some(mut ticket) = ticket_in_scope(work, incoming, scope, id)? else {
        return Ok(());
    };
    if ticket.status == TicketStatus::Closed {
        return tell(work, incoming, format!("Ticket #{id} is already closed."));
    }
    ticket.status = TicketStatus::Closed;
    ticket.closed_at = Some(work.now);
    work.changes.put_ticket(&ticket);
    let mut patron = work.desk.store.patron(&ticket.patron)?.unwrap_or_default();
    if patron.open_ticket == Some(id) {
        patron.open_ticket = None;
        work.changes.put_patron(&ticket.patron, &patron);
    }
    work.send(
        Outgoing {
            chat: ticket.patron_chat.clone(),
            body: vec![Span::Text(format!(
                "Staff have closed your question #{id}. Ask me anything else any time."
            ))],
            reply_to: None,
        },
        Purpose::Patron {
            patron: ticket.patron.clone(),
            ticket: Some(id),
        },
    )?;
    tracing::info!(ticket = id, "ticket closed");
    tell(work, incoming, format!("Ticket #{id} closed."))
}

fn claim(work: &mut Work<'_>, incoming: &Incoming, scope: &Scope, id: u64) -> Result<(), DeskError> {
    let Some(mut ticket) = ticket_in_scope(work, incoming, scope, id)? else {
        return Ok(());
    };
    ticket.claimed_by = Some(incoming.display_name.clone());
    work.changes.put_ticket(&ticket);
    tell(
        work,
        incoming,
        format!("{} has ticket #{id}.", excerpt(&incoming.display_name, 80)),
    )
}

fn transfer(
    work: &mut Work<'_>,
    incoming: &Incoming,
    scope: &Scope,
    id: u64,
    branch_name: &str,
) -> Result<(), DeskError> {
    let Some(mut ticket) = ticket_in_scope(work, incoming, scope, id)? else {
        return Ok(());
    };
    let engine = work.desk.engine();
    let Some(branch) = engine.find_branch(branch_name) else {
        return tell(
            work,
            incoming,
            format!("I don't know a branch called \"{}\".", excerpt(branch_name, 60)),
        );
    };
    ticket.branch = Some(branch.id.clone());
    ticket.claimed_by = None;
    ticket.escalation_level = 0;
    let staff = work.desk.config.staff_for(Some(&branch.id)).to_vec();
    let heading = format!("Transferred by {}: ", excerpt(&incoming.display_name, 80));
    tickets::post_to_staff(work, &ticket, &staff, &heading)?;
    let when = tickets::availability(engine.knowledge(), Some(branch), work.now);
    work.send(
        Outgoing {
            chat: ticket.patron_chat.clone(),
            body: vec![Span::Text(format!(
                "Your question #{id} has been passed to {} staff. {when}",
                branch.name
            ))],
            reply_to: None,
        },
        Purpose::Patron {
            patron: ticket.patron.clone(),
            ticket: Some(id),
        },
    )?;
    work.changes.put_ticket(&ticket);
    tracing::info!(ticket = id, branch = %branch.id, "ticket transferred");
    let text = format!("Ticket #{id} passed to {} staff.", branch.name);
    tell(work, incoming, text)
}

fn list(work: &mut Work<'_>, incoming: &Incoming, scope: &Scope) -> Result<(), DeskError> {
    let engine = work.desk.engine();
    let mut lines = Vec::new();
    for ticket in work.desk.store.tickets()? {
        if ticket.status != TicketStatus::Open || !scope.covers(&ticket) {
            continue;
        }
        let claimer = ticket
            .claimed_by
            .as_deref()
            .map(|name| format!(" · {}", excerpt(name, 40)))
            .unwrap_or_else(|| " · unclaimed".to_string());
        lines.push(format!(
            "#{} · {} · {}{claimer} · {}: {}",
            ticket.id,
            branch_label(engine.knowledge(), ticket.branch.as_deref()),
            texts::format_age(ticket.opened_at, work.now),
            excerpt(&ticket.display_name, 40),
            excerpt(&ticket.question.replace('\n', " "), 80)
        ));
    }
    let text = if lines.is_empty() {
        "No open tickets.".to_string()
    } else {
        format!("Open tickets, oldest first:\n{}", lines.join("\n"))
    };
    tell(work, incoming, text)
}

/// A message back to the staff chat the command came from.
fn tell(work: &mut Work<'_>, incoming: &Incoming, text: String) -> Result<(), DeskError> {
    work.send(
        Outgoing {
            chat: incoming.chat.clone(),
            body: vec![Span::Text(text)],
            reply_to: Some(incoming.message_id.clone()),
        },
        Purpose::Staff,
    )?;
    Ok(())
}

/// "12 some text" → (Some(12), "some text"); "#12" works too.
fn split_number(argument: &str) -> (Option<u64>, &str) {
    let argument = argument.trim();
    let (first, rest) = match argument.find(char::is_whitespace) {
        Some(index) => (&argument[..index], argument[index..].trim()),
        None => (argument, ""),
    };
    (first.trim_start_matches('#').parse().ok(), rest)
}
