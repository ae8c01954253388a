//! Tickets: opening one, posting it to the right staff, reminders counted in
//! open hours, purging old ones, and what a failed delivery means.

use std::time::Duration;

use chrono::{DateTime, Days, Duration as TimeDelta, NaiveDateTime, Utc};

use super::texts::{self, excerpt};
use super::{DeskError, Work};
use crate::chat::{ChatKind, ChatRef, Incoming, Outgoing, SendError, Span};
use crate::engine::hours::{format_date, format_time, next_opening};
use crate::knowledge::{Branch, Knowledge};
use crate::store::{Author, OutboxEntry, Patron, Purpose, Ticket, TicketEntry, TicketStatus};

/// Retries stop growing their wait here.
const MAX_BACKOFF_SECONDS: i64 = 300;

/// Opens ticket #N for a patron's question, posts it to the branch's staff and
/// tells the patron who will answer and when. Returns the ticket number.
pub(super) fn open(
    work: &mut Work<'_>,
    incoming: &Incoming,
    patron: &mut Patron,
    branch: Option<String>,
    guess: Option<String>,
) -> Result<u64, DeskError> {
    let desk = work.desk;
    let engine = desk.engine();
    let knowledge = engine.knowledge();
    let id = desk.store.next_ticket_id()?;
    let question = excerpt(incoming.text.trim(), texts::MAX_RELAYED_CHARS);
    let ticket = Ticket {
        id,
        branch: branch.clone(),
        patron: incoming.sender.clone(),
        patron_chat: incoming.chat.clone(),
        patron_message: incoming.message_id.clone(),
        display_name: incoming.display_name.clone(),
        question: question.clone(),
        guess,
        opened_at: work.now,
        status: TicketStatus::Open,
        claimed_by: None,
        first_staff_reply_at: None,
        closed_at: None,
        escalation_level: 0,
        history: vec![TicketEntry {
            at: work.now,
            author: Author::Patron,
            text: question.clone(),
        }],
    };
    let branch_ref = branch.as_deref().and_then(|id| knowledge.branch(id));
    let staff = desk.config.staff_for(branch.as_deref()).to_vec();
    let staff_name = staff_name(branch_ref);
    let reply_to = (incoming.chat_kind == ChatKind::Group).then(|| incoming.message_id.clone());
    if staff.is_empty() {
        // No staff destination configured at all: say so rather than promise an answer.
        let contact = knowledge
            .library
            .phone
            .as_deref()
            .map(|phone| format!(" Please call {phone}."))
            .unwrap_or_default();
        let text = format!("I'm not sure about that one, and no staff are reachable through chat right now.{contact}");
        work.send(
            Outgoing {
                chat: incoming.chat.clone(),
                body: vec![Span::Text(text)],
                reply_to,
            },
            Purpose::Patron {
                patron: incoming.sender.clone(),
                ticket: None,
            },
        )?;
        log_unanswered(work, &ticket, None)?;
        return Ok(id);
    }
    post_to_staff(work, &ticket, &staff, "")?;
    let when = availability(knowledge, branch_ref, work.now);
    let text = format!(
        "I'm not sure about that one, so I've passed it to {staff_name} (question #{id}). {when} Their answer will come to you here; anything else you send meanwhile is added to your question."
    );
    work.send(
        Outgoing {
            chat: incoming.chat.clone(),
            body: vec![Span::Text(text)],
            reply_to,
        },
        Purpose::Patron {
            patron: incoming.sender.clone(),
            ticket: Some(id),
        },
    )?;
    patron.open_ticket = Some(id);
    work.changes.put_patron(&incoming.sender, patron);
    work.changes.put_ticket(&ticket);
    log_unanswered(work, &ticket, Some(id))?;
    tracing::info!(ticket = id, branch = ?branch, chat = %incoming.chat, "ticket opened");
    Ok(id)
}

fn log_unanswered(work: &mut Work<'_>, ticket: &Ticket, id: Option<u64>) -> Result<(), DeskError> {
    let record_id = work.desk.store.next_id()?;
    work.changes.log_unanswered(
        record_id,
        &crate::store::Unanswered {
            at: work.now,
            branch: ticket.branch.clone(),
            patron: ticket.patron.clone(),
            question: ticket.question.clone(),
            ticket: id,
        },
    );
    Ok(())
}

/// Posts a ticket to staff chats; replies to the posted message find the ticket.
pub(super) fn post_to_staff(
    work: &mut Work<'_>,
    ticket: &Ticket,
    staff: &[ChatRef],
    heading: &str,
) -> Result<(), DeskError> {
    let engine = work.desk.engine();
    let branch_name = branch_label(engine.knowledge(), ticket.branch.as_deref());
    for chat in staff {
        work.send(
            Outgoing {
                chat: chat.clone(),
                body: texts::ticket_post(ticket, &branch_name, heading),
                reply_to: None,
            },
            Purpose::TicketToStaff { ticket: ticket.id },
        )?;
    }
    Ok(())
}

/// "Eastside Branch staff", or "library staff" without a branch.
pub(super) fn staff_name(branch: Option<&Branch>) -> String {
    match branch {
        Some(branch) => format!("{} staff", branch.name),
        None => "library staff".to_string(),
    }
}

/// The branch's name for staff messages, or "system-wide".
pub(super) fn branch_label(knowledge: &Knowledge, branch: Option<&str>) -> String {
    match branch.and_then(|id| knowledge.branch(id)) {
        Some(branch) => branch.name.clone(),
        None => "no branch".to_string(),
    }
}

/// When the patron can expect a person, from the branch's hours.
pub(super) fn availability(knowledge: &Knowledge, branch: Option<&Branch>, now: DateTime<Utc>) -> String {
    let Some(branch) = branch else {
        return "Staff answer during library opening hours.".to_string();
    };
    let local = now.with_timezone(&knowledge.library.timezone).naive_local();
    let (hours, _) = knowledge.hours_on(branch, local.date());
    if let Some(range) = hours.range_at(local.time()) {
        return format!(
            "{} is open now (until {}), so staff should answer soon.",
            branch.name,
            format_time(range.close)
        );
    }
    match next_opening(knowledge, branch, local) {
        Some(next) => format!(
            "{} staff are back {} at {}.",
            branch.name,
            format_date(next.date(), local.date()),
            format_time(next.time())
        ),
        None => format!(
            "{} has no opening scheduled soon; staff will answer when they can.",
            branch.name
        ),
    }
}

/// How long `branch` was open between two instants; wall time without a branch.
pub fn open_time_between(
    knowledge: &Knowledge,
    branch: Option<&Branch>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Duration {
    if to <= from {
        return Duration::ZERO;
    }
    let Some(branch) = branch else {
        return (to - from).to_std().unwrap_or_default();
    };
    let zone = knowledge.library.timezone;
    let start: NaiveDateTime = from.with_timezone(&zone).naive_local();
    let end: NaiveDateTime = to.with_timezone(&zone).naive_local();
    let mut total = TimeDelta::zero();
    let mut day = start.date();
    // A ticket waits weeks at most before someone notices; 400 days bounds the loop.
    for _ in 0..400 {
        if day > end.date() {
            break;
        }
        let (hours, _) = knowledge.hours_on(branch, day);
        for range in &hours.ranges {
            let open = day.and_time(range.open).max(start);
            let close = day.and_time(range.close).min(end);
            if close > open {
                total += close - open;
            }
        }
        match day.checked_add_days(Days::new(1)) {
            Some(next) => day = next,
            None => break,
        }
    }
    total.to_std().unwrap_or_default()
}

/// Posts waiting tickets again to their staff, then to the system-wide staff.
pub(super) fn remind(work: &mut Work<'_>) -> Result<(), DeskError> {
    let desk = work.desk;
    let engine = desk.engine();
    let knowledge = engine.knowledge();
    for mut ticket in desk.store.tickets()? {
        if ticket.status != TicketStatus::Open || ticket.first_staff_reply_at.is_some() || ticket.escalation_level >= 2
        {
            continue;
        }
        let branch = ticket.branch.as_deref().and_then(|id| knowledge.branch(id));
        let waited = open_time_between(knowledge, branch, ticket.opened_at, work.now);
        let minutes = (waited.as_secs() / 60) as i64;
        if ticket.escalation_level == 0 && waited >= desk.config.remind_after {
            let staff = desk.config.staff_for(ticket.branch.as_deref()).to_vec();
            let heading = format!("Reminder, waiting {} of open time: ", texts::format_minutes(minutes));
            post_to_staff(work, &ticket, &staff, &heading)?;
            ticket.escalation_level = 1;
            tracing::info!(ticket = ticket.id, "reminder posted");
        }
        if ticket.escalation_level == 1 && waited >= desk.config.fallback_after {
            let branch_staff = desk.config.staff_for(ticket.branch.as_deref()).to_vec();
            let system: Vec<ChatRef> = desk
                .config
                .system_staff
                .iter()
                .filter(|chat| !branch_staff.contains(chat))
                .cloned()
                .collect();
            let heading = format!("Unanswered for {} of open time: ", texts::format_minutes(minutes));
            post_to_staff(work, &ticket, &system, &heading)?;
            ticket.escalation_level = 2;
            tracing::info!(ticket = ticket.id, "ticket sent to system-wide staff");
        }
        work.changes.put_ticket(&ticket);
    }
    Ok(())
}

/// Removes closed tickets older than the retention period, with their links.
pub(super) fn purge(work: &mut Work<'_>) -> Result<(), DeskError> {
    let desk = work.desk;
    let cutoff = work.now - TimeDelta::days(i64::from(desk.config.retention_days));
    for ticket in desk.store.tickets()? {
        if ticket.status == TicketStatus::Closed && ticket.closed_at.is_some_and(|closed| closed < cutoff) {
            work.changes.remove_ticket(ticket.id);
            for key in desk.store.staff_message_keys(ticket.id)? {
                work.changes.unlink_staff_message(key);
            }
            tracing::info!(ticket = ticket.id, "closed ticket purged");
        }
    }
    for (id, record) in desk.store.unanswered()? {
        if record.at < cutoff {
            work.changes.remove_unanswered(id);
        }
    }
    Ok(())
}

/// Decides what a failed send means: wait and retry, follow a moved chat, or give up.
pub(super) fn send_failed(work: &mut Work<'_>, mut entry: OutboxEntry, error: SendError) -> Result<(), DeskError> {
    entry.attempts += 1;
    match error {
        SendError::RetryAfter(wait) => {
            entry.not_before = work.now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::seconds(1));
            tracing::info!(outbox = entry.id, wait_ms = wait.as_millis() as u64, "rate limited");
            work.changes.put_outbox(&entry);
        }
        SendError::Transient(reason) => {
            let exponent = entry.attempts.min(9);
            let seconds = (1_i64 << exponent).min(MAX_BACKOFF_SECONDS);
            // Jitter from the entry id spreads retries of a burst without a random source.
            let jitter_ms = (entry.id % 500) as i64;
            entry.not_before = work.now + TimeDelta::seconds(seconds) + TimeDelta::milliseconds(jitter_ms);
            tracing::warn!(outbox = entry.id, attempts = entry.attempts, %reason, "send failed; will retry");
            work.changes.put_outbox(&entry);
        }
        SendError::ChatMigrated(new_id) => {
            let new_chat = ChatRef::new(entry.message.chat.platform, new_id);
            tracing::info!(from = %entry.message.chat, to = %new_chat, "chat moved; resending there");
            work.changes.move_chat(&entry.message.chat, &new_chat);
            work.changes.remove_outbox(&entry);
            entry.message.chat = new_chat;
            entry.not_before = work.now;
            work.changes.put_outbox(&entry);
        }
        SendError::Permanent(reason) => {
            tracing::warn!(outbox = entry.id, chat = %entry.message.chat, %reason, "undeliverable; dropped");
            work.changes.remove_outbox(&entry);
            if let Purpose::Patron { patron, ticket } = &entry.purpose {
                let mut record = work.desk.store.patron(patron)?.unwrap_or_default();
                record.undeliverable = true;
                work.changes.put_patron(patron, &record);
                if let Some(ticket) = ticket.and_then(|id| work.desk.store.ticket(id).ok().flatten()) {
                    let text = format!(
                        "Ticket #{}: the message to {} could not be delivered ({reason}). They may have blocked the bot; reach them another way if you can.",
                        ticket.id, ticket.display_name
                    );
                    for chat in work.desk.config.staff_for(ticket.branch.as_deref()).to_vec() {
                        work.send(Outgoing::text(chat, text.clone()), Purpose::Staff)?;
                    }
                }
            }
        }
    }
    Ok(())
}
