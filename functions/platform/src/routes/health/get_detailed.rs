//! `GET /v1/health` — readiness: can we reach the table, the bus and every
//! queue? `200` when all are reachable, `503` otherwise, with the detail.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use serde_json::json;

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
    let queue_report: Vec<_> = queues
        .into_iter()
        .map(|q| match q {
            Ok(depth) => json!({ "name": depth.name, "reachable": true, "visible": depth.visible, "in_flight": depth.in_flight, "dead_letter": depth.dead_letter }),
            Err((name, _)) => json!({ "name": name, "reachable": false }),
        })
        .collect();
    let healthy = table_ok && bus_ok && queues_ok;
    let report = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "table": { "name": app.store.table(), "reachable": table_ok },
        "bus": { "name": app.bus_name, "reachable": bus_ok },
        "queues": queue_report,
    });
    Ok(Reply::with_status(if healthy { 200 } else { 503 }, report))
}
