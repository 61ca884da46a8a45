//! `POST /v1/activities` — log a call, email, meeting or note (owner
//! defaults to the caller); `activity.logged`, audited.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::activity::{Activity, ActivityChanges, ActivityFields};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let changes: ActivityChanges = call.json()?;
    let owner_given = changes.owner_user_id.is_present();
    let now = Timestamp::now();
    let mut fields = ActivityFields::apply(&ActivityFields::blank(now), changes)?;
    if !owner_given {
        fields.owner_user_id = Some(p.user_id);
    }
    if let Some(u) = fields.owner_user_id {
        crate::assignee::owner(app, p.tenant_id, u).await?;
    }
    let a = Activity {
        id: EntityId::new(),
        tenant_id: p.tenant_id,
        fields,
        created_by: p.user_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let event = super::event(
        &call,
        crm_events::types::ACTIVITY_LOGGED,
        &a,
        json!({ "type": a.fields.kind, "title": a.fields.title, "subject": a.fields.subject }),
    )?;
    let tx = a.linker().write(Tx::new().put_new("activity", a.to_item()?).emit_audited(&event), &[], &a.fields.links)?;
    app.store.transact(tx).await?;
    Ok(Reply::created(format!("/v1/activities/{}", a.id), &a).etag(a.version))
}
