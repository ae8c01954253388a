//! The status endpoint on 127.0.0.1: `/health` and `/metrics` (Prometheus
//! text format). Numbers only; never message text.

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::adapters::Shutdown;
use crate::daemon::counters_snapshot;
use crate::desk::Desk;
use crate::store::TicketStatus;

pub async fn serve(listener: tokio::net::TcpListener, desk: Arc<Desk>, shutdown: Shutdown) {
    let router = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .with_state(desk);
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await;
    if let Err(error) = result {
        tracing::error!(%error, "status endpoint stopped");
    }
}

async fn metrics(State(desk): State<Arc<Desk>>) -> String {
    render_metrics(&desk)
}

/// The Prometheus text exposition of the desk's counters and gauges.
pub fn render_metrics(desk: &Desk) -> String {
    let mut text = String::new();
    for (name, value) in counters_snapshot(desk) {
        let _ = writeln!(text, "# TYPE {name} counter\n{name} {value}");
    }
    let open_tickets = desk
        .store()
        .tickets()
        .map(|tickets| {
            tickets
                .iter()
                .filter(|ticket| ticket.status == TicketStatus::Open)
                .count()
        })
        .unwrap_or(0);
    let _ = writeln!(
        text,
        "# TYPE refdesk_open_tickets gauge\nrefdesk_open_tickets {open_tickets}"
    );
    let _ = writeln!(
        text,
        "# TYPE refdesk_outbox_depth gauge\nrefdesk_outbox_depth {}",
        desk.store().outbox_len()
    );
    let _ = writeln!(text, "# TYPE refdesk_last_update_seconds gauge");
    let mut last: Vec<_> = desk.last_updates().into_iter().collect();
    last.sort();
    for (platform, at) in last {
        let _ = writeln!(
            text,
            "refdesk_last_update_seconds{{platform=\"{platform}\"}} {}",
            at.timestamp()
        );
    }
    text
}
