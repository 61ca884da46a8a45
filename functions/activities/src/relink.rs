//! A merged contact's timeline follows it (M3CoreCRM §3.6 "merge … moves
//! links, activities and tasks"). On `contact.merged` the activity worker
//! re-points every note, task and logged activity about the source at the
//! target: each is re-written with its new subject (and so its new
//! `by_parent` entry) under the version it was read at. It is idempotent —
//! a moved item is no longer in the source's partition — so a failed or
//! repeated delivery simply runs again over what is left.

use crm_events::consumer::ConsumerError;
use crm_events::DomainEvent;
use crm_kernel::{EntityId, Limit, Timestamp};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, Index, Item, Query, Store, StoreError, Tx};

use crate::activity::Activity;
use crate::note::{Note, SubjectRef};
use crate::task::Task;

/// Moves the source's timeline to the target; other events pass untouched.
pub async fn on_merged(store: &Store, event: &DomainEvent) -> Result<usize, ConsumerError> {
    if event.event_type != "contact.merged" {
        return Ok(0);
    }
    let id = |k: &str| event.data[k].as_str().and_then(|s| EntityId::parse(s).ok()).ok_or_else(|| ConsumerError::Unreadable(k.into()));
    let (source, target) = (id("source_id")?, id("target_id")?);
    let t = event.tenant_id;
    let to = SubjectRef { kind: "contact".into(), id: target.to_string() };
    let mut moved = 0;
    loop {
        let q = Query::index(t, Index::ByParent, keys::by_parent_pk(t, "CONTACT", &source.to_string())).limit(Limit::max());
        let page = store.query(q).await?;
        if page.items.is_empty() {
            return Ok(moved);
        }
        let mut progressed = false;
        for it in page.items {
            if let Some(tx) = relinked(t, it, &to)? {
                match store.transact(tx).await {
                    Ok(()) => {
                        moved += 1;
                        progressed = true;
                    }
                    // Changed meanwhile: the next pass reads it again.
                    Err(StoreError::ConditionFailed { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if !progressed {
            return Err(ConsumerError::Failed(format!("timeline of {source} could not be moved; retrying")));
        }
    }
}

/// The write that points one timeline item at `to` (`None`: not ours to move).
fn relinked(t: crm_kernel::TenantId, it: Item, to: &SubjectRef) -> Result<Option<Tx>, StoreError> {
    let now = Timestamp::now();
    let tx = match it.str_attr("kind") {
        Some("note") => {
            let n: Note = item::from_item(it)?;
            let next = Note { subject: Some(to.clone()), updated_at: now, version: n.version + 1, ..n.clone() };
            let item = crate::routes::notes::to_item(t, &next).map_err(|e| StoreError::Serde(e.to_string()))?;
            Tx::new().put_if("note", item, Condition::version_is(n.version))
        }
        Some("task") => {
            let task: Task = item::from_item(it)?;
            let mut next = Task { updated_at: now, version: task.version + 1, ..task.clone() };
            next.fields.related = Some(to.clone());
            Tx::new().put_if("task", next.to_item()?, Condition::version_is(task.version))
        }
        Some("activity") => {
            let a: Activity = item::from_item(it)?;
            let mut next = Activity { updated_at: now, version: a.version + 1, ..a.clone() };
            next.fields.subject = Some(to.clone());
            Tx::new().put_if("activity", next.to_item()?, Condition::version_is(a.version))
        }
        _ => return Ok(None),
    };
    Ok(Some(tx))
}
