//! Transactions: one `TransactWriteItems` per mutation (entity + markers +
//! outbox), with a label on each operation so a failed condition can be
//! reported as the business rule it protects.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};

use crate::item::Item;
use crate::keys::{Key, PK, SK};
use crate::StoreError;

/// DynamoDB's limit on operations per transaction.
pub const MAX_OPERATIONS: usize = 100;

/// A write transaction under construction.
#[derive(Debug, Default)]
pub struct Tx {
    pub(crate) ops: Vec<(String, TransactWriteItem)>,
}

/// A condition expression with its placeholders.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    pub expression: String,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl Condition {
    pub fn new(expression: impl Into<String>) -> Self {
        Self { expression: expression.into(), ..Default::default() }
    }

    pub fn name(mut self, placeholder: &str, attr: &str) -> Self {
        self.names.insert(placeholder.into(), attr.into());
        self
    }

    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.into(), value);
        self
    }

    /// The item must not exist yet (creates, uniqueness markers, idempotency).
    pub fn not_exists() -> Self {
        Self::new("attribute_not_exists(#pk)").name("#pk", PK)
    }

    /// The item must exist.
    pub fn exists() -> Self {
        Self::new("attribute_exists(#pk)").name("#pk", PK)
    }

    /// The item must exist with `version = expected` (optimistic concurrency).
    pub fn version_is(expected: u64) -> Self {
        Self::new("attribute_exists(#pk) AND #version = :expected_version")
            .name("#pk", PK)
            .name("#version", "version")
            .value(":expected_version", AttributeValue::N(expected.to_string()))
    }

    /// `attr` is absent or zero: an empty counter (a tally that may go).
    pub fn absent_or_zero(attr: &str) -> Self {
        Self::new("attribute_not_exists(#cz) OR #cz = :cz").name("#cz", attr).value(":cz", AttributeValue::N("0".into()))
    }

    /// `attr` equals `value`.
    pub fn eq(attr: &str, value: AttributeValue) -> Self {
        Self::new("#ce = :ce").name("#ce", attr).value(":ce", value)
    }

    /// `attr` is absent.
    pub fn missing(attr: &str) -> Self {
        Self::new("attribute_not_exists(#cm)").name("#cm", attr)
    }

    /// The item exists and `attr` equals `value`.
    pub fn exists_with(attr: &str, value: AttributeValue) -> Self {
        Self::new("attribute_exists(#pk) AND #ce = :ce").name("#pk", PK).name("#ce", attr).value(":ce", value)
    }

    /// The item exists and `attr` is absent or null (a contact not merged away).
    pub fn exists_without(attr: &str) -> Self {
        Self::new("attribute_exists(#pk) AND (attribute_not_exists(#cw) OR attribute_type(#cw, :cw_null))")
            .name("#pk", PK)
            .name("#cw", attr)
            .value(":cw_null", AttributeValue::S("NULL".into()))
    }

    /// The item is absent, or its TTL (epoch seconds) is before `now`: a lease free to take.
    pub fn absent_or_expired(now: i64) -> Self {
        Self::new("attribute_not_exists(#pk) OR #ttl < :now")
            .name("#pk", PK)
            .name("#ttl", crate::keys::TTL)
            .value(":now", AttributeValue::N(now.to_string()))
    }

    /// The item must not exist, or its `attr` must be at most `room` (a budget counter).
    pub fn absent_or_at_most(attr: &str, room: i64) -> Self {
        Self::new("attribute_not_exists(#ca) OR #ca <= :ca").name("#ca", attr).value(":ca", AttributeValue::N(room.to_string()))
    }

    /// No condition: the update always applies.
    pub fn always() -> Self {
        Self::default()
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

fn key_map(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([(PK.to_string(), AttributeValue::S(key.pk.clone())), (SK.to_string(), AttributeValue::S(key.sk.clone()))])
}

impl Tx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Puts `item` unconditionally.
    pub fn put(self, label: &str, item: Item) -> Self {
        self.push(label, item, None)
    }

    /// Puts `item` only if no item with its key exists.
    pub fn put_new(self, label: &str, item: Item) -> Self {
        self.push(label, item, Some(Condition::not_exists()))
    }

    /// Puts `item` only if `condition` holds on the current item.
    pub fn put_if(self, label: &str, item: Item, condition: Condition) -> Self {
        self.push(label, item, Some(condition))
    }

    /// Deletes `key`, optionally under a condition.
    pub fn delete(mut self, label: &str, key: &Key, condition: Option<Condition>) -> Self {
        let mut d = Delete::builder().set_key(Some(key_map(key)));
        if let Some(c) = condition {
            d = d.condition_expression(&c.expression).set_expression_attribute_names(c.names()).set_expression_attribute_values(c.values());
        }
        self.ops.push((label.into(), TransactWriteItem::builder().delete(d.table_name("__TABLE__").build().expect("delete")).build()));
        self
    }

    /// Updates `key` with `expression` (e.g. `ADD seats_used :one`) under
    /// `condition`; the condition's placeholders serve the expression too.
    pub fn update(mut self, label: &str, key: &Key, expression: &str, condition: Condition) -> Self {
        let u = Update::builder()
            .set_key(Some(key_map(key)))
            .update_expression(expression)
            .set_condition_expression((!condition.expression.is_empty()).then(|| condition.expression.clone()))
            .set_expression_attribute_names(condition.names())
            .set_expression_attribute_values(condition.values())
            .table_name("__TABLE__")
            .build()
            .expect("update");
        self.ops.push((label.into(), TransactWriteItem::builder().update(u).build()));
        self
    }

    /// Adds each `(attribute, n)` to the item (created if absent), under `condition`.
    pub fn add(self, label: &str, key: &Key, adds: &[(&str, i64)], condition: Condition) -> Self {
        let mut c = condition;
        let mut parts = Vec::new();
        for (i, (attr, n)) in adds.iter().enumerate() {
            c = c.name(&format!("#u{i}"), attr).value(&format!(":u{i}"), AttributeValue::N(n.to_string()));
            parts.push(format!("#u{i} :u{i}"));
        }
        self.update(label, key, &format!("ADD {}", parts.join(", ")), c)
    }

    /// Sets each `(attribute, value)` and removes each of `remove`, under `condition`.
    pub fn set(self, label: &str, key: &Key, sets: &[(&str, AttributeValue)], remove: &[&str], condition: Condition) -> Self {
        let mut c = condition;
        let mut set = Vec::new();
        for (i, (attr, v)) in sets.iter().enumerate() {
            c = c.name(&format!("#s{i}"), attr).value(&format!(":s{i}"), v.clone());
            set.push(format!("#s{i} = :s{i}"));
        }
        let mut gone = Vec::new();
        for (i, attr) in remove.iter().enumerate() {
            c = c.name(&format!("#r{i}"), attr);
            gone.push(format!("#r{i}"));
        }
        let mut expression = String::new();
        if !set.is_empty() {
            expression = format!("SET {}", set.join(", "));
        }
        if !gone.is_empty() {
            expression = format!("{expression} REMOVE {}", gone.join(", ")).trim().to_string();
        }
        self.update(label, key, &expression, c)
    }

    /// Checks a condition on another item without writing it.
    pub fn check(mut self, label: &str, key: &Key, condition: Condition) -> Self {
        let c = ConditionCheck::builder()
            .set_key(Some(key_map(key)))
            .condition_expression(&condition.expression)
            .set_expression_attribute_names(condition.names())
            .set_expression_attribute_values(condition.values())
            .table_name("__TABLE__")
            .build()
            .expect("condition check");
        self.ops.push((label.into(), TransactWriteItem::builder().condition_check(c).build()));
        self
    }

    fn push(mut self, label: &str, item: Item, condition: Option<Condition>) -> Self {
        let mut p = Put::builder().set_item(Some(item)).table_name("__TABLE__");
        if let Some(c) = condition {
            p = p.condition_expression(&c.expression).set_expression_attribute_names(c.names()).set_expression_attribute_values(c.values());
        }
        self.ops.push((label.into(), TransactWriteItem::builder().put(p.build().expect("put")).build()));
        self
    }

    /// Appends all operations of `other`.
    pub fn merge(mut self, other: Tx) -> Self {
        self.ops.extend(other.ops);
        self
    }

    /// The operations with the real table name filled in.
    pub(crate) fn into_items(self, table: &str) -> Result<(Vec<String>, Vec<TransactWriteItem>), StoreError> {
        if self.ops.is_empty() {
            return Err(StoreError::Backend("empty transaction".into()));
        }
        if self.ops.len() > MAX_OPERATIONS {
            return Err(StoreError::Backend(format!("transaction has {} operations (max {MAX_OPERATIONS})", self.ops.len())));
        }
        let mut labels = Vec::with_capacity(self.ops.len());
        let mut items = Vec::with_capacity(self.ops.len());
        for (label, mut op) in self.ops {
            if let Some(p) = op.put.as_mut() {
                p.table_name = table.to_string();
            }
            if let Some(d) = op.delete.as_mut() {
                d.table_name = table.to_string();
            }
            if let Some(c) = op.condition_check.as_mut() {
                c.table_name = table.to_string();
            }
            if let Some(u) = op.update.as_mut() {
                u.table_name = table.to_string();
            }
            labels.push(label);
            items.push(op);
        }
        Ok((labels, items))
    }
}
