//! `/v1/notes`.

pub mod get;
pub mod list;
pub mod post;

use crm_kernel::AppError;
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item};

use crate::note::{Note, KIND};

/// The stored item of a note, with its index entries: the tenant's notes
/// newest first (`by_kind`) and, when attached, the record's timeline
/// (`by_parent`).
pub(crate) fn to_item(tenant: crm_kernel::TenantId, note: &Note) -> Result<Item, AppError> {
    let sort = format!("{}#{}", note.created_at, note.id);
    let mut it = item::to_item(&keys::entity(tenant, KIND, note.id), note)?.with_str("kind", "note").with_index(
        Index::ByKind,
        keys::by_kind_pk(tenant, KIND),
        sort.clone(),
    );
    if let Some(s) = &note.subject {
        it = it.with_index(Index::ByParent, keys::by_parent_pk(tenant, &s.kind.to_ascii_uppercase(), &s.id), format!("{sort}#{KIND}"));
    }
    Ok(it)
}
