//! A merged contact's timeline follows it (the spec: "merge … moves
//! links, activities and tasks"). On `contact.merged` the activity worker
//! re-points every note, task and logged activity about the source — or
//! linked to it ([`crate::links`]) — at the target: each is re-written with its new subject (and so its new
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
    if !event.is(crm_events::types::CONTACT_MERGED) {
        return Ok(0);
    }
    let id = |k: &str| event.data[k].as_str().and_then(|s| EntityId::parse(s).ok()).ok_or_else(|| ConsumerError::Unreadable(k.into()));
    let (source, target) = (id("source_id")?, id("target_id")?);
    let t = event.tenant_id;
    let to = SubjectRef { kind: "contact".into(), id: target.to_string() };
    let from = SubjectRef { kind: "contact".into(), id: source.to_string() };
    let mut moved = 0;
    loop {
        let q = Query::index(t, Index::ByParent, keys::by_parent_pk(t, "CONTACT", &source.to_string())).limit(Limit::max());
        let page = store.query(q).await?;
        if page.items.is_empty() {
            return Ok(moved);
        }
        let mut progressed = false;
        for it in page.items {
            let it = match it.str_attr("kind") {
                // A link from another record: that record is what changes.
                Some(crate::links::LINK) => match linking_record(store, t, &it).await? {
                    Some(record) => record,
                    // Its record is gone: the stray link goes too.
                    None => {
                        if let Some(key) = crm_store::Key::of(&it) {
                            store.transact(Tx::new().delete("stray_link", &key, None)).await?;
                            progressed = true;
                        }
                        continue;
                    }
                },
                _ => it,
            };
            if let Some(tx) = relinked(t, it, &from, &to)? {
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

/// The task or activity a link row belongs to (`None`: it is gone).
async fn linking_record(store: &Store, t: crm_kernel::TenantId, link: &Item) -> Result<Option<Item>, StoreError> {
    match crate::links::target(t, link) {
        Some(key) => store.get(&key).await,
        None => Ok(None),
    }
}

/// `links` with `from` replaced by `to` — dropped when `to` is the subject already.
fn swapped(links: &[SubjectRef], from: &SubjectRef, to: &SubjectRef, subject: Option<&SubjectRef>) -> Vec<SubjectRef> {
    let mut out: Vec<SubjectRef> = Vec::new();
    for l in links {
        let l = if l == from { to } else { l };
        if Some(l) != subject && !out.contains(l) {
            out.push(l.clone());
        }
    }
    out
}

/// The write that moves one timeline item from `from` to `to`: its subject
/// if that was `from`, and its links (`None`: not ours to move).
fn relinked(t: crm_kernel::TenantId, it: Item, from: &SubjectRef, to: &SubjectRef) -> Result<Option<Tx>, StoreError> {
    let now = Timestamp::now();
    let moved = |s: &Option<SubjectRef>| if s.as_ref() == Some(from) { Some(to.clone()) } else { s.clone() };
    let tx = match it.str_attr("kind") {
        Some("note") => {
            let n: Note = item::from_item(it)?;
            let next = Note { subject: moved(&n.subject), updated_at: now, version: n.version + 1, ..n.clone() };
            let item = crate::note::to_item(t, &next).map_err(|e| StoreError::Serde(e.to_string()))?;
            Tx::new().put_if("note", item, Condition::version_is(n.version))
        }
        Some("task") => {
            let task: Task = item::from_item(it)?;
            let mut next = Task { updated_at: now, version: task.version + 1, ..task.clone() };
            next.fields.related = moved(&task.fields.related);
            next.fields.links = swapped(&task.fields.links, from, to, next.fields.related.as_ref());
            let tx = Tx::new().put_if("task", next.to_item()?, Condition::version_is(task.version));
            next.linker().write(tx, &task.fields.links, &next.fields.links)?
        }
        Some("activity") => {
            let a: Activity = item::from_item(it)?;
            let mut next = Activity { updated_at: now, version: a.version + 1, ..a.clone() };
            next.fields.subject = moved(&a.fields.subject);
            next.fields.links = swapped(&a.fields.links, from, to, next.fields.subject.as_ref());
            let tx = Tx::new().put_if("activity", next.to_item()?, Condition::version_is(a.version));
            next.linker().write(tx, &a.fields.links, &next.fields.links)?
        }
        _ => return Ok(None),
    };
    Ok(Some(tx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_to_the_source_points_at_the_target_once() {
        let r = |k: &str| SubjectRef::parse(k, &EntityId::new().to_string()).unwrap();
        let (from, to, acme) = (r("contact"), r("contact"), r("company"));
        assert_eq!(swapped(&[from.clone(), acme.clone()], &from, &to, None), vec![to.clone(), acme.clone()]);
        assert_eq!(swapped(&[from.clone(), to.clone()], &from, &to, None), vec![to.clone()], "no link twice");
        assert_eq!(swapped(&[from.clone(), acme.clone()], &from, &to, Some(&to)), vec![acme], "the subject is not a link");
    }
}
