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
