//! The store against the emulator's real DynamoDB API: conditional writes,
//! atomic transactions with labelled failures, optimistic concurrency,
//! tenant-guarded queries and cursors. Each test works in its own tenant.

use crm_kernel::{Limit, TenantId};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{keys, CursorCodec, Index, Item, Key, Query, Store, StoreError, Tx};

use crate::helpers::{sdk, stack};

async fn store() -> Store {
    Store::new(aws_sdk_dynamodb::Client::new(&sdk().await), stack().table.clone(), CursorCodec::new(b"store-tests-secret-0123456789"))
}

fn item(key: &Key) -> Item {
    Item::new().with_str(keys::PK, key.pk.clone()).with_str(keys::SK, key.sk.clone())
}

#[tokio::test]
async fn a_failed_condition_rolls_back_the_whole_transaction_and_names_the_operation() {
    let store = store().await;
    let t = TenantId::new();
    let marker = keys::unique(t, "EMAIL", "a@example.com");
    store.transact(Tx::new().put_new("email", item(&marker))).await.unwrap();

    let entity = keys::entity(t, "CONTACT", crm_kernel::EntityId::new());
    let err = store.transact(Tx::new().put_new("contact", item(&entity)).put_new("email", item(&marker))).await.unwrap_err();
    assert!(matches!(&err, StoreError::ConditionFailed { label } if label == "email"), "{err:?}");
    assert!(store.get(&entity).await.unwrap().is_none(), "the other write of the transaction did not happen");
}

#[tokio::test]
async fn versioned_writes_let_exactly_one_concurrent_writer_win() {
    let store = store().await;
    let t = TenantId::new();
    let key = keys::entity(t, "NOTE", crm_kernel::EntityId::new());
    store.transact(Tx::new().put_new("note", item(&key).with_num("version", 1))).await.unwrap();

    let attempts = (0..8).map(|i| {
        let store = store.clone();
        let key = key.clone();
        async move {
            store
                .transact(Tx::new().put_if("note", item(&key).with_num("version", 2).with_num("writer", i), Condition::version_is(1)))
                .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert!(matches!(r, Err(StoreError::ConditionFailed { .. }) | Err(StoreError::TransactionConflict)), "{r:?}");
    }
    assert_eq!(store.get(&key).await.unwrap().unwrap().num_attr("version"), Some(2));
}

#[tokio::test]
async fn index_queries_page_through_everything_exactly_once() {
    let store = store().await;
    let t = TenantId::new();
    for i in 0..7 {
        let key = keys::entity(t, "NOTE", crm_kernel::EntityId::new());
        let it = item(&key).with_index(Index::ByKind, keys::by_kind_pk(t, "NOTE"), format!("{i:03}"));
        store.transact(Tx::new().put_new("note", it)).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let q =
            Query::index(t, Index::ByKind, keys::by_kind_pk(t, "NOTE")).descending().limit(Limit::parse(Some("3")).unwrap()).after(cursor);
        let page = store.query(q).await.unwrap();
        seen.extend(page.items.iter().map(|i| i.str_attr("by_kind_sk").unwrap().to_string()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, vec!["006", "005", "004", "003", "002", "001", "000"]);
}

#[tokio::test]
async fn queries_cannot_leave_their_tenant() {
    let store = store().await;
    let (a, b) = (TenantId::new(), TenantId::new());
    let err = store.query(Query::index(a, Index::ByKind, keys::by_kind_pk(b, "NOTE"))).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)));

    let key = keys::entity(a, "NOTE", crm_kernel::EntityId::new());
    store.transact(Tx::new().put_new("n", item(&key).with_index(Index::ByKind, keys::by_kind_pk(a, "NOTE"), "1"))).await.unwrap();
    store
        .transact(Tx::new().put_new(
            "n",
            item(&keys::entity(a, "NOTE", crm_kernel::EntityId::new())).with_index(Index::ByKind, keys::by_kind_pk(a, "NOTE"), "2"),
        ))
        .await
        .unwrap();
    let page =
        store.query(Query::index(a, Index::ByKind, keys::by_kind_pk(a, "NOTE")).limit(Limit::parse(Some("1")).unwrap())).await.unwrap();
    let cursor = page.next_cursor.expect("a second page");
    let replay = store.query(Query::index(b, Index::ByKind, keys::by_kind_pk(b, "NOTE")).after(Some(cursor))).await.unwrap_err();
    assert!(matches!(replay, StoreError::InvalidCursor));
}
