//! The store: the DynamoDB client bound to the one table.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use crm_kernel::{AppError, Env, Limit, TenantId};
use serde::de::DeserializeOwned;

use crate::cursor::CursorCodec;
use crate::item::{from_item, Item};
use crate::keys::{self, Index, Key, PK, SK};
use crate::tx::Tx;

/// What can go wrong talking to the table.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional operation of a transaction failed; `label` names it.
    #[error("condition failed: {label}")]
    ConditionFailed { label: String },
    /// Another transaction touched the same items concurrently; safe to retry.
    #[error("transaction conflict")]
    TransactionConflict,
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("serialisation: {0}")]
    Serde(String),
    #[error("dynamodb: {0}")]
    Backend(String),
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::ConditionFailed { label } => AppError::Conflict(format!("conflict on {label}")),
            StoreError::TransactionConflict => AppError::Conflict("concurrent update; retry".into()),
            StoreError::InvalidCursor => AppError::invalid("cursor", "invalid or expired cursor"),
            other => AppError::internal(other),
        }
    }
}

fn backend<E: std::fmt::Debug>(err: E) -> StoreError {
    StoreError::Backend(format!("{err:?}"))
}

/// A page of results and the cursor to the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// A key-condition query on one partition of the table or of an index. It is
/// always scoped to a tenant: the partition must belong to it, and the cursor
/// is bound to it.
#[derive(Debug, Clone)]
pub struct Query {
    /// `None` only for the system-wide `G#` partitions ([`Query::system`]).
    tenant: Option<TenantId>,
    index: Option<Index>,
    pk: String,
    sk: SortCondition,
    forward: bool,
    limit: Limit,
    cursor: Option<String>,
    filters: Vec<Filter>,
    /// A strongly consistent read (the table only: an index cannot give one).
    consistent: bool,
}

/// A condition on the items a key condition found (DynamoDB's
/// `FilterExpression`): applied after `limit`, so a page may hold fewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// The string attribute equals the value.
    Eq(String, String),
    /// The string attribute is one of the values.
    In(String, Vec<String>),
    /// The item has no such attribute, or it is null (an `Option::None`).
    Missing(String),
    /// Any of the conditions holds.
    Any(Vec<Filter>),
    /// The number attribute is at least this (`amount >= 100`).
    AtLeast(String, i64),
    /// The number attribute is at most this.
    AtMost(String, i64),
    /// The string attribute sorts at or after this (RFC 3339 times, ISO dates).
    From(String, String),
    /// The string attribute sorts before this.
    Before(String, String),
}

/// How often [`Store::transact`] retries a transaction another one conflicted with.
pub const CONFLICT_RETRIES: u32 = 4;

impl Filter {
    pub fn eq(attr: &str, value: impl Into<String>) -> Self {
        Self::Eq(attr.into(), value.into())
    }

    /// `attr` (an ISO date or an RFC 3339 time) on or after day `from` and
    /// on or before day `to` (its whole day), each bound only when given.
    pub fn days(attr: &str, from: Option<chrono::NaiveDate>, to: Option<chrono::NaiveDate>) -> Vec<Self> {
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut out = Vec::new();
        if let Some(f) = from {
            out.push(Self::From(attr.into(), day(f)));
        }
        if let Some(t) = to.and_then(|t| t.succ_opt()) {
            out.push(Self::Before(attr.into(), day(t)));
        }
        out
    }

    /// Whether `item` passes the filter, evaluated here as DynamoDB would:
    /// for lists that gather their items by id (BatchGetItem) rather than
    /// by one query.
    pub fn matches(&self, item: &crate::Item) -> bool {
        let s = |a: &str| item.get(a).and_then(|v| v.as_s().ok()).map(String::as_str);
        let n = |a: &str| item.get(a).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<f64>().ok());
        match self {
            Filter::Eq(a, v) => s(a) == Some(v.as_str()),
            Filter::In(a, vs) => s(a).is_some_and(|x| vs.iter().any(|v| v == x)),
            Filter::Missing(a) => item.get(a).is_none_or(|v| matches!(v, AttributeValue::Null(_))),
            Filter::Any(fs) => fs.iter().any(|f| f.matches(item)),
            Filter::AtLeast(a, v) => n(a).is_some_and(|x| x >= *v as f64),
            Filter::AtMost(a, v) => n(a).is_some_and(|x| x <= *v as f64),
            Filter::From(a, v) => s(a).is_some_and(|x| x >= v.as_str()),
            Filter::Before(a, v) => s(a).is_some_and(|x| x < v.as_str()),
        }
    }

    /// Renders the condition, naming attributes `#f{n}` and values `:f{n}`.
    fn render(&self, names: &mut HashMap<String, String>, values: &mut HashMap<String, AttributeValue>) -> String {
        fn name(names: &mut HashMap<String, String>, attr: &str) -> String {
            let n = format!("#f{}", names.len());
            names.insert(n.clone(), attr.to_string());
            n
        }
        fn value(values: &mut HashMap<String, AttributeValue>, v: &str) -> String {
            let n = format!(":f{}", values.len());
            values.insert(n.clone(), AttributeValue::S(v.to_string()));
            n
        }
        match self {
            Filter::Eq(a, v) => format!("{} = {}", name(names, a), value(values, v)),
            Filter::Missing(a) => {
                let n = name(names, a);
                format!("(attribute_not_exists({n}) OR attribute_type({n}, {}))", value(values, "NULL"))
            }
            // Nothing is one of no values (every item has its partition key).
            Filter::In(_, vs) if vs.is_empty() => "attribute_not_exists(#pk)".into(),
            Filter::In(a, vs) => {
                let n = name(names, a);
                // DynamoDB takes at most 100 operands per IN.
                let parts: Vec<String> = vs
                    .chunks(100)
                    .map(|c| format!("{n} IN ({})", c.iter().map(|v| value(values, v)).collect::<Vec<_>>().join(", ")))
                    .collect();
                format!("({})", parts.join(" OR "))
            }
            Filter::Any(fs) => format!("({})", fs.iter().map(|f| f.render(names, values)).collect::<Vec<_>>().join(" OR ")),
            Filter::AtLeast(a, n) | Filter::AtMost(a, n) => {
                let op = if matches!(self, Filter::AtLeast(..)) { ">=" } else { "<=" };
                let (attr, v) = (name(names, a), format!(":f{}", values.len()));
                values.insert(v.clone(), AttributeValue::N(n.to_string()));
                format!("{attr} {op} {v}")
            }
            Filter::From(a, v) => format!("{} >= {}", name(names, a), value(values, v)),
            Filter::Before(a, v) => format!("{} < {}", name(names, a), value(values, v)),
        }
    }
}

#[derive(Debug, Clone)]
enum SortCondition {
    Any,
    BeginsWith(String),
    Between(String, String),
}

impl Query {
    /// A query on partition `pk` of the table itself.
    pub fn table(tenant: TenantId, pk: impl Into<String>) -> Self {
        Self {
            tenant: Some(tenant),
            index: None,
            pk: pk.into(),
            sk: SortCondition::Any,
            forward: true,
            limit: Limit::default(),
            cursor: None,
            filters: Vec::new(),
            consistent: false,
        }
    }

    /// A query on partition `pk` of `index`.
    pub fn index(tenant: TenantId, index: Index, pk: impl Into<String>) -> Self {
        Self { index: Some(index), ..Self::table(tenant, pk) }
    }

    /// A query on a system-wide partition of `index` (`G#…`, such as the
    /// tenant registry), for scheduled sweeps; never from a request.
    pub fn system(index: Index, pk: impl Into<String>) -> Self {
        Self {
            tenant: None,
            index: Some(index),
            pk: pk.into(),
            sk: SortCondition::Any,
            forward: true,
            limit: Limit::default(),
            cursor: None,
            filters: Vec::new(),
            consistent: false,
        }
    }

    /// Reads every write that succeeded before it (a table query only):
    /// what a check that a conditional write then relies on needs.
    pub fn consistent(mut self) -> Self {
        self.consistent = self.index.is_none();
        self
    }

    pub fn sk_begins_with(mut self, prefix: impl Into<String>) -> Self {
        self.sk = SortCondition::BeginsWith(prefix.into());
        self
    }

    pub fn sk_between(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.sk = SortCondition::Between(from.into(), to.into());
        self
    }

    /// Newest (largest sort key) first.
    pub fn descending(mut self) -> Self {
        self.forward = false;
        self
    }

    pub fn limit(mut self, limit: Limit) -> Self {
        self.limit = limit;
        self
    }

    pub fn after(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor.filter(|c| !c.is_empty());
        self
    }

    /// Keeps only items whose string attribute `attr` equals `value` (a
    /// filter after the key condition: a page may hold fewer than `limit`).
    pub fn filter_eq(mut self, attr: &str, value: impl Into<String>) -> Self {
        self.filters.push(Filter::eq(attr, value));
        self
    }

    /// Keeps only items that meet `filter` (after the key condition, like [`Query::filter_eq`]).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    fn scope(&self) -> String {
        let owner = self.tenant.map(|t| t.to_string()).unwrap_or_else(|| "G".into());
        format!("{owner}|{}|{}", self.index.map(Index::name).unwrap_or("table"), self.pk)
    }
}

/// The table. Cheap to clone; build once per Lambda execution environment.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: Arc<str>,
    cursors: CursorCodec,
}

impl Store {
    pub fn new(client: Client, table: impl Into<Arc<str>>, cursors: CursorCodec) -> Self {
        Self { client, table: table.into(), cursors }
    }

    /// From `TABLE_NAME` and `CURSOR_SECRET`.
    pub fn from_config(config: &aws_config::SdkConfig, env: &Env) -> Result<Self, StoreError> {
        let table = env.require("TABLE_NAME").map_err(StoreError::Backend)?;
        let secret = env.require("CURSOR_SECRET").map_err(StoreError::Backend)?;
        if secret.len() < 16 {
            return Err(StoreError::Backend("CURSOR_SECRET must be at least 16 bytes".into()));
        }
        Ok(Self::new(Client::new(config), table, CursorCodec::new(secret.as_bytes())))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whether the table answers (`DescribeTable`).
    pub async fn ping(&self) -> Result<String, StoreError> {
        crate::calls::record("DescribeTable");
        let out = self.client.describe_table().table_name(self.table.as_ref()).send().await.map_err(backend)?;
        Ok(out.table().and_then(|t| t.table_status()).map(|s| s.as_str().to_string()).unwrap_or_default())
    }

    /// Reads one item (strongly consistent: read-your-writes after a mutation).
    pub async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        crate::calls::record("GetItem");
        let out = self
            .client
            .get_item()
            .table_name(self.table.as_ref())
            .key(PK, AttributeValue::S(key.pk.clone()))
            .key(SK, AttributeValue::S(key.sk.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        Ok(out.item)
    }

    /// Reads several items in one `BatchGetItem` (at most 100 keys), in the
    /// order of `keys`; absent items are `None`.
    pub async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let key_maps: Vec<HashMap<String, AttributeValue>> = keys
            .iter()
            .map(|k| HashMap::from([(PK.to_string(), AttributeValue::S(k.pk.clone())), (SK.to_string(), AttributeValue::S(k.sk.clone()))]))
            .collect();
        let mut pending = KeysAndAttributes::builder().set_keys(Some(key_maps)).consistent_read(true).build().map_err(backend)?;
        let mut found: Vec<Item> = Vec::new();
        for _ in 0..5 {
            crate::calls::record("BatchGetItem");
            let out = self.client.batch_get_item().request_items(self.table.as_ref(), pending.clone()).send().await.map_err(backend)?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(self.table.as_ref()).unwrap_or_default());
            }
            match out.unprocessed_keys.and_then(|mut u| u.remove(self.table.as_ref())) {
                Some(rest) if !rest.keys().is_empty() => pending = rest,
                _ => break,
            }
        }
        Ok(keys
            .iter()
            .map(|k| {
                found
                    .iter()
                    .find(|i| i.get(PK).and_then(|v| v.as_s().ok()) == Some(&k.pk) && i.get(SK).and_then(|v| v.as_s().ok()) == Some(&k.sk))
                    .cloned()
            })
            .collect())
    }

    /// Reads and deserialises one item.
    pub async fn get_as<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, StoreError> {
        self.get(key).await?.map(from_item).transpose()
    }

    /// Runs one page of a query.
    pub async fn query(&self, q: Query) -> Result<Page<Item>, StoreError> {
        let allowed = match q.tenant {
            Some(t) => keys::belongs_to(&q.pk, t),
            None => q.pk.starts_with(keys::GLOBAL_PREFIX),
        };
        if !allowed {
            return Err(StoreError::Backend("query partition outside the tenant".into()));
        }
        let scope = q.scope();
        let (pk_attr, sk_attr) = match q.index {
            Some(i) => (i.pk_attr(), i.sk_attr()),
            None => (PK, SK),
        };
        let mut values = HashMap::from([(":pk".to_string(), AttributeValue::S(q.pk.clone()))]);
        let mut expr = "#pk = :pk".to_string();
        let mut names = HashMap::from([("#pk".to_string(), pk_attr.to_string())]);
        match &q.sk {
            SortCondition::Any => {}
            SortCondition::BeginsWith(p) => {
                expr.push_str(" AND begins_with(#sk, :sk)");
                names.insert("#sk".into(), sk_attr.into());
                values.insert(":sk".into(), AttributeValue::S(p.clone()));
            }
            SortCondition::Between(a, b) => {
                expr.push_str(" AND #sk BETWEEN :a AND :b");
                names.insert("#sk".into(), sk_attr.into());
                values.insert(":a".into(), AttributeValue::S(a.clone()));
                values.insert(":b".into(), AttributeValue::S(b.clone()));
            }
        }
        let filter: Vec<String> = q.filters.iter().map(|f| f.render(&mut names, &mut values)).collect();
        let start = q.cursor.as_deref().map(|c| self.cursors.decode(&scope, c)).transpose()?;
        crate::calls::record("Query");
        let out = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .set_index_name(q.index.map(|i| i.name().to_string()))
            .key_condition_expression(expr)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(q.forward)
            .consistent_read(q.consistent)
            .limit(q.limit.get() as i32)
            .set_exclusive_start_key(start)
            .set_filter_expression((!filter.is_empty()).then(|| filter.join(" AND ")))
            .send()
            .await
            .map_err(backend)?;
        let items = out.items.unwrap_or_default();
        let next_cursor = match out.last_evaluated_key {
            // DynamoDB stops at `limit`, at 1 MB, or after filtering: any
            // LastEvaluatedKey means there may be more.
            Some(lek) if !lek.is_empty() => Some(self.cursors.encode(&scope, &lek)?),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    /// An `UpdateItem` of `key` on the table, to be given its expressions.
    fn update(&self, key: &Key) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(self.table.as_ref())
            .key(PK, AttributeValue::S(key.pk.clone()))
            .key(SK, AttributeValue::S(key.sk.clone()))
    }

    /// Atomically adds `by` to the number `attr` of `key` (creating the item,
    /// expiring at `ttl`) and returns the new value.
    pub async fn increment(&self, key: &Key, attr: &str, by: i64, ttl: i64) -> Result<i64, StoreError> {
        crate::calls::record("UpdateItem");
        let out = self
            .update(key)
            .update_expression("ADD #n :by SET #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#n", attr)
            .expression_attribute_names("#ttl", keys::TTL)
            .expression_attribute_values(":by", AttributeValue::N(by.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N(ttl.to_string()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(backend)?;
        out.attributes
            .and_then(|a| a.get(attr).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()))
            .ok_or_else(|| StoreError::Backend("counter without value".into()))
    }

    /// Spends one of `max` attempts on `key`: atomically adds 1 to `attr`
    /// unless it already reached `max`, and returns the new count — the
    /// decision is taken on that value, so N parallel tries count N times.
    /// `Ok(None)` when no attempt is left (or the item is gone); the item
    /// must exist (a code, a challenge) so nothing is created by guessing.
    pub async fn spend(&self, key: &Key, attr: &str, max: i64) -> Result<Option<i64>, StoreError> {
        crate::calls::record("UpdateItem");
        let out = self
            .update(key)
            .update_expression("ADD #n :one")
            .condition_expression("attribute_exists(#pk) AND (attribute_not_exists(#n) OR #n < :max)")
            .expression_attribute_names("#n", attr)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(max.to_string()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        match out {
            Ok(out) => Ok(out.attributes.and_then(|a| a.get(attr).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    /// Sets the timestamp `attr` of an existing item to `now` unless it is
    /// already newer than `cutoff` (RFC 3339 strings compare in time order):
    /// "last used" bookkeeping at most once per interval. Best effort.
    pub async fn touch(&self, key: &Key, attr: &str, now: &str, cutoff: &str) {
        crate::calls::record("UpdateItem");
        let result = self
            .update(key)
            .update_expression("SET #a = :now")
            .condition_expression("attribute_exists(#pk) AND (attribute_not_exists(#a) OR attribute_type(#a, :null) OR #a < :cutoff)")
            .expression_attribute_names("#a", attr)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":now", AttributeValue::S(now.into()))
            .expression_attribute_values(":cutoff", AttributeValue::S(cutoff.into()))
            .expression_attribute_values(":null", AttributeValue::S("NULL".into()))
            .send()
            .await;
        if let Err(e) = result {
            tracing::debug!(error = ?e, "touch skipped");
        }
    }

    /// Writes one item unconditionally (projections owned by one writer).
    pub async fn put(&self, item: Item) -> Result<(), StoreError> {
        crate::calls::record("PutItem");
        self.client.put_item().table_name(self.table.as_ref()).set_item(Some(item)).send().await.map_err(backend)?;
        Ok(())
    }

    /// Commits `tx` atomically. A failed condition is reported with the label
    /// of the operation it guarded. A conflict with another transaction on a
    /// shared item (a counter, a board tally) cancels the whole transaction —
    /// nothing was written — so it is retried, up to [`CONFLICT_RETRIES`]
    /// times with a growing, jittered pause, before `TransactionConflict`.
    ///
    /// Inside an `Idempotency-Key` scope, the first transaction also writes
    /// the key's marker ([`crate::idempotency`]).
    pub async fn transact(&self, tx: Tx) -> Result<(), StoreError> {
        let result = self.transact_all(crate::idempotency::claim(tx)).await;
        crate::idempotency::settle(&result);
        result
    }

    async fn transact_all(&self, tx: Tx) -> Result<(), StoreError> {
        let (labels, items) = tx.into_items(&self.table)?;
        let mut attempt = 0;
        loop {
            match self.transact_once(&labels, items.clone()).await {
                Err(StoreError::TransactionConflict) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    let jitter = u64::from(
                        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0) % 20,
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(25 * u64::from(attempt) * u64::from(attempt) + jitter)).await;
                }
                other => return other,
            }
        }
    }

    async fn transact_once(&self, labels: &[String], items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>) -> Result<(), StoreError> {
        crate::calls::record("TransactWriteItems");
        let result = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(ctx)) => match ctx.into_err() {
                TransactWriteItemsError::TransactionCanceledException(e) => {
                    let reasons = e.cancellation_reasons();
                    // An Idempotency-Key's marker that is already there says the
                    // most: the same request committed before (crate::idempotency).
                    let failed = |i: &usize| reasons.get(*i).and_then(|r| r.code()) == Some("ConditionalCheckFailed");
                    if let Some(i) = labels.iter().position(|l| l == crate::idempotency::LABEL).filter(failed) {
                        return Err(StoreError::ConditionFailed { label: labels[i].clone() });
                    }
                    for (i, reason) in reasons.iter().enumerate() {
                        match reason.code() {
                            Some("ConditionalCheckFailed") => {
                                return Err(StoreError::ConditionFailed { label: labels.get(i).cloned().unwrap_or_default() })
                            }
                            Some("TransactionConflict") => return Err(StoreError::TransactionConflict),
                            _ => {}
                        }
                    }
                    Err(StoreError::Backend(format!("transaction cancelled: {:?}", e.message())))
                }
                other => Err(backend(other)),
            },
            Err(other) => Err(backend(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_render_with_unique_placeholders() {
        let mut names = HashMap::from([("#pk".to_string(), "pk".to_string())]);
        let mut values = HashMap::from([(":pk".to_string(), AttributeValue::S("x".into()))]);
        let owners: Vec<String> = (0..150).map(|i| format!("U{i}")).collect();
        let f = Filter::Any(vec![Filter::In("owner".into(), owners), Filter::Missing("owner".into()), Filter::eq("kind", "task")]);
        let expr = f.render(&mut names, &mut values);
        assert_eq!(values.len(), 1 + 150 + 1 + 1, "one placeholder per value");
        assert_eq!(expr.matches(" IN (").count(), 2, "IN takes at most 100 operands: {expr}");
        assert!(expr.contains("(attribute_not_exists(#f2) OR attribute_type(#f2, :f151))") && expr.ends_with("#f3 = :f152)"), "{expr}");
        assert_eq!(Filter::In("owner".into(), vec![]).render(&mut names, &mut values), "attribute_not_exists(#pk)");
        let (mut names, mut values) = (HashMap::new(), HashMap::new());
        let range =
            [Filter::AtLeast("amount".into(), 100), Filter::AtMost("amount".into(), 900), Filter::From("at".into(), "2026-01".into())];
        let rendered: Vec<String> = range.iter().map(|f| f.render(&mut names, &mut values)).collect();
        assert_eq!(rendered, vec!["#f0 >= :f0", "#f1 <= :f1", "#f2 >= :f2"]);
        assert_eq!(values[":f1"], AttributeValue::N("900".into()), "numbers compare as numbers");
    }

    #[test]
    fn filters_evaluate_on_items_as_in_a_query() {
        let item: crate::Item = HashMap::from([
            ("status".to_string(), AttributeValue::S("open".into())),
            ("amount".to_string(), AttributeValue::N("500".into())),
            ("owner".to_string(), AttributeValue::Null(true)),
            ("created_at".to_string(), AttributeValue::S("2026-11-23T10:00:00Z".into())),
        ]);
        assert!(Filter::eq("status", "open").matches(&item) && !Filter::eq("status", "won").matches(&item));
        assert!(Filter::AtLeast("amount".into(), 500).matches(&item) && !Filter::AtMost("amount".into(), 499).matches(&item));
        assert!(Filter::Missing("owner".into()).matches(&item) && Filter::Missing("nothing".into()).matches(&item));
        assert!(Filter::From("created_at".into(), "2026-11-23".into()).matches(&item));
        assert!(!Filter::Before("created_at".into(), "2026-11-23".into()).matches(&item));
        let team = Filter::Any(vec![Filter::In("owner".into(), vec!["U1".into()]), Filter::Missing("owner".into())]);
        assert!(team.matches(&item) && !Filter::In("status".into(), vec![]).matches(&item));
    }
}
