//! `POST /v1/notes` — create a note. One transaction: the note, its outbox
//! event `note.created` and its audit entry.

use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::note::{CreateNoteRequest, NewNote, Note};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let principal = call.principal()?;
    let new = NewNote::parse(call.json::<CreateNoteRequest>()?)?;
    let note = Note::create(new, principal.user_id, Timestamp::now());

    let event = DomainEvent::new(
        principal.tenant_id,
        crm_events::types::NOTE_CREATED,
        Actor::user(principal.user_id),
        Subject { kind: "note".into(), id: note.id.to_string() },
        json!({ "subject": note.subject, "length": note.body.as_str().chars().count() }),
    )
    .with_request_id(call.request_id());

    let tx = Tx::new().put_new("note", crate::note::to_item(principal.tenant_id, &note)?).emit_audited(&event);
    app.store.transact(tx).await?;

    Ok(Reply::created(format!("/v1/notes/{}", note.id), &note).etag(note.version))
}
