//! The search index of records: one item per term (`crm_kernel::search::terms`)
//! per record, `pk = T#{t}#SEARCH#{KIND}#{first char}`, `sk = {term}#{id}`,
//! written in the record's own transaction (terms that went away deleted,
//! new ones put). A query takes its longest word to the index (a
//! `begins_with` on one shard), then keeps the records whose terms match
//! every other word by prefix.

use crm_kernel::{search, AppError, EntityId, Limit, TenantId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Query, Store, Tx};
use serde_json::json;

/// At most this many terms per record (names, emails, phones, city…).
pub const MAX_TERMS: usize = 24;

/// Adds the index changes from `old` terms to `new` ones to `tx`.
pub fn write(mut tx: Tx, tenant: TenantId, kind: &str, id: EntityId, old: &[String], new: &[String]) -> Result<Tx, AppError> {
    let new: Vec<&String> = new.iter().take(MAX_TERMS).collect();
    for t in old.iter().take(MAX_TERMS).filter(|t| !new.contains(t)) {
        tx = tx.delete("search_term", &keys::search_term(tenant, kind, t, &id.to_string()), None);
    }
    for t in new.iter().filter(|t| !old.iter().take(MAX_TERMS).any(|o| o == **t)) {
        let key = keys::search_term(tenant, kind, t, &id.to_string());
        tx = tx.put("search_term", item::to_item(&key, &json!({ "id": id, "term": t }))?.with_str("kind", "search_term"));
    }
    Ok(tx)
}

/// A parsed query: the word sent to the index and all words to match.
pub struct Parsed {
    pub lead: String,
    pub words: Vec<String>,
}

pub fn parse(q: &str) -> Result<Parsed, AppError> {
    let words = search::query(q);
    let lead = words.iter().max_by_key(|w| w.chars().count()).cloned().unwrap_or_default();
    if lead.is_empty() || q.chars().count() > 100 {
        return Err(AppError::invalid("search", "must hold a word, a name, an email or a phone (at most 100 characters)"));
    }
    Ok(Parsed { lead, words })
}

/// The ids whose terms start with the query's lead word (one page).
pub async fn candidates(
    store: &Store,
    tenant: TenantId,
    kind: &str,
    parsed: &Parsed,
    limit: Limit,
    cursor: Option<String>,
) -> Result<(Vec<EntityId>, Option<String>), AppError> {
    let q =
        Query::table(tenant, keys::search_pk(tenant, kind, &parsed.lead)).sk_begins_with(parsed.lead.clone()).limit(limit).after(cursor);
    let page = store.query(q).await?;
    let mut ids: Vec<EntityId> = Vec::new();
    for it in &page.items {
        if let Some(id) = it.str_attr("id").and_then(|i| EntityId::parse(i).ok()) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok((ids, page.next_cursor))
}

/// One page of search: the records (of item key `key`) whose terms start
/// with the query's lead word, the query's words for [`matches`], the cursor.
pub async fn search<T: serde::de::DeserializeOwned>(
    store: &Store,
    tenant: TenantId,
    kind: &str,
    q: &str,
    limit: Limit,
    cursor: Option<String>,
    key: impl Fn(EntityId) -> crm_store::Key,
) -> Result<(Vec<T>, Vec<String>, Option<String>), AppError> {
    let parsed = parse(q)?;
    let (ids, next) = candidates(store, tenant, kind, &parsed, limit, cursor).await?;
    let keys: Vec<_> = ids.into_iter().map(key).collect();
    let found = store.get_many(&keys).await?.into_iter().flatten().map(item::from_item::<T>).collect::<Result<Vec<_>, _>>()?;
    Ok((found, parsed.words, next))
}

/// Whether a record with `terms` matches every word of the query by prefix.
pub fn matches(terms: &[String], words: &[String]) -> bool {
    words.iter().all(|w| terms.iter().any(|t| t.starts_with(w.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_must_prefix_a_term() {
        let phone = crm_kernel::Phone::parse("+20223456789").unwrap();
        let terms = search::terms(&["Acme Corporation", "Cairo"], &[], &[&phone]);
        assert!(matches(&terms, &search::query("acme corp")));
        assert!(matches(&terms, &search::query("CAIRO")));
        assert!(!matches(&terms, &search::query("acme globex")));
        let p = parse("  Acme Corporation ").unwrap();
        assert_eq!(p.lead, "corporation");
        assert!(parse("  ").is_err());
    }
}
