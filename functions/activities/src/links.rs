//! Many-to-many links (the spec's `activity_links`, `task_links`; ADR 0013): besides
//! its subject, an activity or a task may be linked to up to [`MAX`] more
//! records — a call with Bob that was also about Acme and a deal — and
//! shows in each one's timeline.
//!
//! A link is one item in the linking record's own collection
//! (`T#{t}#TASK#{id}` / `LINK#{type}#{id}`), indexed in the linked record's
//! `by_parent` partition with the same sort key its direct entries have
//! (`{created_at}#{id}#LINK`): a timeline stays one key-condition query
//! in creation order, and its link rows are swapped for the records they
//! point at with one `BatchGetItem` ([`resolve`]). A link carries its
//! record's owner and creator, so visibility filters (ADR 0013) apply to it
//! as to the record. Links are written in the record's own transaction.

use crm_kernel::fields::Input;
use crm_kernel::{EntityId, FieldError, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, Store, StoreError, Tx};
use serde::Serialize;

use crate::note::{SubjectInput, SubjectRef};

/// Most records one activity or task links to, beside its subject.
pub const MAX: usize = 10;
/// The `kind` of a link item.
pub const LINK: &str = "link";

/// The `links` of a change set: a list of `{type, id}` (`null`: none),
/// without repeats and without `subject` (already linked).
pub fn parse(input: Input<Vec<Input<SubjectInput>>>, subject: Option<&SubjectRef>) -> Result<Vec<SubjectRef>, Vec<FieldError>> {
    let list = match input {
        Input::Absent | Input::Null => return Ok(Vec::new()),
        Input::Given(a) if a.len() <= MAX => a,
        _ => return Err(vec![FieldError::new("links", format!("must be an array of at most {MAX} {{type, id}}"))]),
    };
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for (i, l) in list.into_iter().enumerate() {
        match SubjectRef::from_input(&format!("links[{i}]"), l) {
            Ok(Some(s)) if Some(&s) != subject && !out.contains(&s) => out.push(s),
            Ok(Some(_)) => {}
            Ok(None) => errors.push(FieldError::new(format!("links[{i}]"), "must be {type, id}")),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The record that links: its kind (`task`, `activity`), id, when it was
/// created (the timeline order), owner and creator.
pub struct Linker {
    pub kind: &'static str,
    pub id: EntityId,
    pub tenant: TenantId,
    pub created_at: Timestamp,
    pub owner: Option<UserId>,
    pub created_by: UserId,
}

#[derive(Serialize)]
struct LinkItem<'a> {
    link_of: &'a str,
    link_id: EntityId,
    related: &'a SubjectRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_user_id: Option<UserId>,
    created_by: UserId,
    created_at: Timestamp,
}

impl Linker {
    pub fn key(&self, to: &SubjectRef) -> Key {
        keys::link(self.tenant, &self.kind.to_ascii_uppercase(), &self.id.to_string(), &to.kind, &to.id)
    }

    fn item(&self, to: &SubjectRef) -> Result<Item, StoreError> {
        let body = LinkItem {
            link_of: self.kind,
            link_id: self.id,
            related: to,
            owner_user_id: self.owner,
            created_by: self.created_by,
            created_at: self.created_at,
        };
        Ok(item::to_item(&self.key(to), &body)?.with_str("kind", LINK).with_index(
            Index::ByParent,
            keys::by_parent_pk(self.tenant, &to.kind.to_ascii_uppercase(), &to.id),
            format!("{}#{}#LINK", self.created_at, self.id),
        ))
    }

    /// Adds to `tx` the link items of `new` (rewritten, so they follow the
    /// record's owner) and the removal of those of `old` it no longer has.
    pub fn write(&self, mut tx: Tx, old: &[SubjectRef], new: &[SubjectRef]) -> Result<Tx, StoreError> {
        for gone in old.iter().filter(|o| !new.contains(o)) {
            tx = tx.delete("link_removed", &self.key(gone), None);
        }
        for l in new {
            tx = tx.put("link", self.item(l)?);
        }
        Ok(tx)
    }
}

/// The rows of a `by_parent` page with every link replaced by the record it
/// points at (one `BatchGetItem`), each marked `true` when it came through
/// a link; a link whose record is gone is dropped.
pub async fn resolve(store: &Store, t: TenantId, rows: Vec<Item>) -> Result<Vec<(Item, bool)>, StoreError> {
    let mut wanted: Vec<Key> = Vec::new();
    for k in rows.iter().filter_map(|it| target(t, it)) {
        if !wanted.contains(&k) {
            wanted.push(k);
        }
    }
    let found: Vec<(Key, Item)> = if wanted.is_empty() {
        Vec::new()
    } else {
        wanted.iter().cloned().zip(store.get_many(&wanted).await?).filter_map(|(k, it)| it.map(|it| (k, it))).collect()
    };
    Ok(rows
        .into_iter()
        .filter_map(|it| match target(t, &it) {
            None => Some((it, false)),
            Some(k) => found.iter().find(|(fk, _)| *fk == k).map(|(_, it)| (it.clone(), true)),
        })
        .collect())
}

/// The rows of a record's partition that are `kind` (`task`, `activity`):
/// its own, and the links of others to it.
pub fn of_kind(kind: &str) -> crm_store::Filter {
    crm_store::Filter::Any(vec![crm_store::Filter::eq("kind", kind), crm_store::Filter::eq("link_of", kind)])
}

/// The key of the record a link row points at (`None`: not a link).
pub fn target(t: TenantId, it: &Item) -> Option<Key> {
    if it.str_attr("kind") != Some(LINK) {
        return None;
    }
    let kind = it.str_attr("link_of")?.to_ascii_uppercase();
    let id = EntityId::parse(it.str_attr("link_id")?).ok()?;
    Some(keys::entity(t, &kind, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }
    use serde_json::json;

    #[test]
    fn links_drop_repeats_and_the_subject_and_name_bad_entries() {
        let (a, b) = (EntityId::new().to_string(), EntityId::new().to_string());
        let subject = SubjectRef::parse("contact", &a).unwrap();
        let got = parse(
            changes(json!([{"type": "contact", "id": a}, {"type": "company", "id": b}, {"type": "company", "id": b}, {"type": "deal", "id": a}])),
            Some(&subject),
        )
        .unwrap();
        assert_eq!(got, vec![SubjectRef::parse("company", &b).unwrap(), SubjectRef::parse("deal", &a).unwrap()]);
        let err = parse(changes(json!([{"type": "planet", "id": a}, "x"])), None).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["links[0].type", "links[1]"]);
        assert!(parse(changes(json!((0..11).map(|_| json!({"type": "deal", "id": a})).collect::<Vec<_>>())), None).is_err());
    }
}
