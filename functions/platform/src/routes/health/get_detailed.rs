//! `GET /v1/health` — readiness: can we reach the table, the bus and every
//! queue? `200` when all are reachable, `503` otherwise, with the detail.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::{queues, App};

pub async fn handle(app: &App, _call: Call) -> Result<Reply, AppError> {
    let (table, bus, queues) =
        futures::join!(app.store.ping(), app.events.describe_event_bus().name(&app.bus_name).send(), queues::all(app));
    let table_ok = table.is_ok();
    let bus_ok = bus.is_ok();
    if let Err(e) = &table {
        tracing::error!(error = %e, "table unreachable");
    }
    if let Err(e) = &bus {
        tracing::error!(error = ?e, "event bus unreachable");
    }
    let queues_ok = queues.iter().all(Result::is_ok);
    let queue_report: Vec<Queue> = queues
        .into_iter()
        .map(|q| match q {
            Ok(d) => Queue {
                name: d.name,
                reachable: true,
                visible: Some(d.visible),
                in_flight: Some(d.in_flight),
                dead_letter: Some(d.dead_letter),
            },
            Err((name, _)) => Queue { name, reachable: false, visible: None, in_flight: None, dead_letter: None },
        })
        .collect();
    let healthy = table_ok && bus_ok && queues_ok;
    let report = Readiness {
        status: if healthy { "ok" } else { "degraded" },
        table: Part { name: app.store.table().to_string(), reachable: table_ok },
        bus: Part { name: app.bus_name.clone(), reachable: bus_ok },
        queues: queue_report,
    };
    Ok(Reply::with_status(if healthy { 200 } else { 503 }, report))
}

/// Whether the table, the bus and every queue can be reached.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Readiness {
    /// `ok` or `degraded` (`503`).
    pub status: &'static str,
    pub table: Part,
    pub bus: Part,
    pub queues: Vec<Queue>,
}

/// A resource and whether it answered.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Part {
    pub name: String,
    pub reachable: bool,
}

/// A queue: reachable, and its depth.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Queue {
    pub name: String,
    pub reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<bool>,
}
