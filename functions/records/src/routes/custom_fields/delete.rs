//! `DELETE /v1/custom-fields/definitions/{id}` — remove a definition (its
//! code becomes free; values already on records stay, unchecked, until the
//! record's next write of custom fields).

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::custom_fields::Definition;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let d = super::load(app, &call).await?;
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::CUSTOM_FIELD_DELETED,
        Subject { kind: "custom_field".into(), id: d.id.to_string() },
        json!({ "entity": d.entity, "code": d.code }),
    )?;
    let tx = Tx::new()
        .delete("definition", &Definition::key(t, d.id), Some(Condition::version_is(d.version)))
        .delete("code", &Definition::code_key(t, &d.entity, &d.code), None)
        .emit_audited(&event);
    app.store.transact(tx).await?;
    Ok(Reply::no_content())
}
