//! Items: serde structs stored as DynamoDB maps, plus their key attributes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{de::DeserializeOwned, Serialize};

use crate::keys::{Index, Key, PK, SK, TTL};
use crate::StoreError;

/// A raw DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Serialises `value` and adds the primary key.
pub fn to_item<T: Serialize>(key: &Key, value: &T) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(|e| StoreError::Serde(e.to_string()))?;
    item.insert(PK.into(), AttributeValue::S(key.pk.clone()));
    item.insert(SK.into(), AttributeValue::S(key.sk.clone()));
    Ok(item)
}

/// Deserialises an item (key and index attributes are ignored).
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Serde(e.to_string()))
}

/// Builder-style helpers on an item.
pub trait ItemExt {
    /// Puts the item at `key` (its `pk` and `sk`).
    fn at(self, key: &Key) -> Self;
    fn with_str(self, name: &str, value: impl Into<String>) -> Self;
    fn with_num(self, name: &str, value: i64) -> Self;
    /// Places the item in a secondary index partition, sorted by `sk`.
    fn with_index(self, index: Index, pk: impl Into<String>, sk: impl Into<String>) -> Self;
    /// Makes the item expire (DynamoDB TTL) at `epoch_seconds`.
    fn with_ttl(self, epoch_seconds: i64) -> Self;
    fn str_attr(&self, name: &str) -> Option<&str>;
    fn num_attr(&self, name: &str) -> Option<i64>;
}

impl ItemExt for Item {
    fn at(self, key: &Key) -> Self {
        self.with_str(crate::keys::PK, key.pk.clone()).with_str(crate::keys::SK, key.sk.clone())
    }

    fn with_str(mut self, name: &str, value: impl Into<String>) -> Self {
        self.insert(name.into(), AttributeValue::S(value.into()));
        self
    }

    fn with_num(mut self, name: &str, value: i64) -> Self {
        self.insert(name.into(), AttributeValue::N(value.to_string()));
        self
    }

    fn with_index(self, index: Index, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.with_str(index.pk_attr(), pk).with_str(index.sk_attr(), sk)
    }

    fn with_ttl(self, epoch_seconds: i64) -> Self {
        self.with_num(TTL, epoch_seconds)
    }

    fn str_attr(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
    }

    fn num_attr(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Note {
        body: String,
        version: u32,
    }

    #[test]
    fn round_trips_and_carries_keys() {
        let key = Key { pk: "T#x#NOTE#1".into(), sk: "META".into() };
        let note = Note { body: "hi".into(), version: 3 };
        let item = to_item(&key, &note).unwrap().with_index(Index::ByKind, "T#x#NOTE", "2026").with_ttl(10);
        assert_eq!(item.str_attr("pk"), Some("T#x#NOTE#1"));
        assert_eq!(item.str_attr("by_kind_pk"), Some("T#x#NOTE"));
        assert_eq!(item.num_attr("ttl"), Some(10));
        assert_eq!(from_item::<Note>(item).unwrap(), note);
    }
}
