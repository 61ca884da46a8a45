//! `DELETE /v1/contacts/{id}/channels/{channelId}` — removes a channel and
//! frees its address; when it was primary the next of its type takes over.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::Tx;
use serde_json::json;

use crate::channel;

pub async fn handle(app: &crate::App, call: Call) -> Result<Reply, AppError> {
    let current = super::load_for_change(app, &call).await?;
    let id = super::channel_of(&call, &current)?.id;
    let mut fields = current.fields.clone();
    let gone = channel::remove(&mut fields, id)?;
    let data = json!({ "channel": gone, "action": "channel_removed" });
    let next = crate::contacts::save(app, &call, &current, fields, crm_events::types::CONTACT_UPDATED, data, Tx::new()).await?;
    Ok(Reply::ok(crate::contacts::public(&next, call.principal()?)).etag(next.version))
}
