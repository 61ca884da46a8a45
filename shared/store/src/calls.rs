//! DynamoDB calls per request, counted by operation — the cost model of a
//! route (`make bench-calls`). A caller opens a scope with [`counting`];
//! every store operation inside that task is recorded; outside any scope,
//! recording is a no-op (production pays one thread-local lookup).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;

/// Calls by DynamoDB operation (`GetItem`, `Query`, `TransactWriteItems`, …).
pub type Calls = BTreeMap<&'static str, u32>;

tokio::task_local! {
    static CALLS: RefCell<Calls>;
}

/// Runs `f`, answering its output and the store calls it made.
pub async fn counting<F: Future>(f: F) -> (F::Output, Calls) {
    CALLS
        .scope(RefCell::new(Calls::new()), async move {
            let out = f.await;
            (out, CALLS.with(|c| c.borrow().clone()))
        })
        .await
}

pub(crate) fn record(operation: &'static str) {
    let _ = CALLS.try_with(|c| *c.borrow_mut().entry(operation).or_default() += 1);
}

/// `GetItem=1 Query=2` — the form of the dev server's `x-local-ddb-*` headers.
pub fn render(calls: &Calls) -> String {
    calls.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_counted_inside_a_scope_only() {
        record("GetItem");
        let ((), calls) = counting(async {
            record("GetItem");
            record("Query");
            record("GetItem");
        })
        .await;
        assert_eq!(render(&calls), "GetItem=2 Query=1");
    }
}
