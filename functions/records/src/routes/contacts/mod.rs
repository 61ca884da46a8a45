//! Contacts: `POST|GET /v1/contacts`, `GET|PATCH|DELETE /v1/contacts/{id}`,
//! dedupe and merge, and a contact's channels: `POST /v1/contacts/{id}/channels`,
//! `DELETE …/channels/{channelId}`, `POST …/channels/{channelId}/verify/start|confirm`,
//! `POST /v1/contacts/{id}/opt-in|opt-out`.

pub mod channel_delete;
pub mod channels_post;
pub mod consent_post;
pub mod dedupe_check_post;
pub mod delete;
pub mod export_post;
pub mod get;
pub mod id_get;
pub mod import_post;
pub mod merge_post;
pub mod patch;
pub mod post;
pub mod verify;

use crm_http::Call;
use crm_kernel::{AppError, EntityId};

use crate::contact::Contact;
use crate::App;

/// The contact `{id}`, if the caller may see it (else `404`).
pub(crate) async fn load(app: &App, call: &Call) -> Result<Contact, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let c: Contact = app.store.get_as(&Contact::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    crm_auth::audience::require_visible(&app.store, p, c.fields.owner_user_id, c.fields.private).await?;
    Ok(c)
}

/// A live contact the caller may change, at the version `If-Match` names.
pub(crate) async fn load_for_change(app: &App, call: &Call) -> Result<Contact, AppError> {
    let current = crate::contacts::live(load(app, call).await?)?;
    super::require_edit(call.principal()?, current.fields.owner_user_id)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    Ok(current)
}

/// The channel `{channelId}` of `c`, or `404`.
pub(crate) fn channel_of<'a>(call: &Call, c: &'a Contact) -> Result<&'a crate::channel::ContactChannel, AppError> {
    let id = EntityId::parse(&call.path("channelId")?).map_err(|_| AppError::NotFound)?;
    c.fields.channels.iter().find(|ch| ch.id == id).ok_or(AppError::NotFound)
}
