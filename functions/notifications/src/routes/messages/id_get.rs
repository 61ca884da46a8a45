//! `GET /v1/notify/messages/{id}` — one message with the rest of its
//! dispatch group (another tenant's id: 404).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Limit};
use crm_notify::messages::Message;
use crm_store::{item, keys, Index, Query};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let m: Message = app.store.get_as(&Message::key(t, id)).await?.ok_or(AppError::NotFound)?;
    let group = match m.dispatch_group_id {
        Some(g) => {
            let q = Query::index(t, Index::ByParent, keys::by_parent_pk(t, "DISPATCH", &g.to_string())).limit(Limit::max());
            app.store.query(q).await?.items.into_iter().map(item::from_item::<Message>).collect::<Result<Vec<_>, _>>()?
        }
        None => Vec::new(),
    };
    let mut view = crate::message_view::public(&m);
    view.group = Some(group.iter().filter(|g| g.id != m.id).map(crate::message_view::public).collect());
    Ok(Reply::ok(view).etag(m.version))
}
