//! Opaque, tamper-evident page cursors.
//!
//! A cursor is `base64url(json(LastEvaluatedKey)) . base64url(HMAC-SHA256)`,
//! where the MAC also covers a *scope* (tenant, index and partition of the
//! query). A cursor edited by hand, or replayed by another tenant or against
//! another query, fails verification.

use std::collections::{BTreeMap, HashMap};

use aws_lc_rs::hmac;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::StoreError;

/// Encodes and verifies cursors with one secret.
#[derive(Clone)]
pub struct CursorCodec {
    key: hmac::Key,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

impl CursorCodec {
    pub fn new(secret: &[u8]) -> Self {
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, secret) }
    }

    pub fn encode(&self, scope: &str, last_key: &HashMap<String, AttributeValue>) -> Result<String, StoreError> {
        let mut plain = BTreeMap::new();
        for (name, value) in last_key {
            match value {
                AttributeValue::S(s) => plain.insert(name.clone(), s.clone()),
                _ => return Err(StoreError::Backend(format!("non-string key attribute {name}"))),
            };
        }
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&plain).map_err(|e| StoreError::Serde(e.to_string()))?);
        let tag = self.tag(scope, &payload);
        Ok(format!("{payload}.{tag}"))
    }

    pub fn decode(&self, scope: &str, cursor: &str) -> Result<HashMap<String, AttributeValue>, StoreError> {
        let (payload, tag) = cursor.split_once('.').ok_or(StoreError::InvalidCursor)?;
        let expected = URL_SAFE_NO_PAD.decode(tag).map_err(|_| StoreError::InvalidCursor)?;
        hmac::verify(&self.key, &Self::message(scope, payload), &expected).map_err(|_| StoreError::InvalidCursor)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| StoreError::InvalidCursor)?;
        let plain: BTreeMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
        Ok(plain.into_iter().map(|(k, v)| (k, AttributeValue::S(v))).collect())
    }

    fn message(scope: &str, payload: &str) -> Vec<u8> {
        let mut msg = Vec::with_capacity(scope.len() + payload.len() + 1);
        msg.extend_from_slice(scope.as_bytes());
        msg.push(0);
        msg.extend_from_slice(payload.as_bytes());
        msg
    }

    fn tag(&self, scope: &str, payload: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, &Self::message(scope, payload)).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lek() -> HashMap<String, AttributeValue> {
        HashMap::from([("pk".to_string(), AttributeValue::S("T#a#NOTE#1".into())), ("sk".to_string(), AttributeValue::S("META".into()))])
    }

    #[test]
    fn round_trips_within_its_scope() {
        let codec = CursorCodec::new(b"secret");
        let c = codec.encode("tenant-a|by_kind|T#a#NOTE", &lek()).unwrap();
        assert_eq!(codec.decode("tenant-a|by_kind|T#a#NOTE", &c).unwrap(), lek());
    }

    #[test]
    fn rejects_other_scope_tampering_and_other_secret() {
        let codec = CursorCodec::new(b"secret");
        let c = codec.encode("a", &lek()).unwrap();
        assert!(codec.decode("b", &c).is_err(), "another tenant/query");
        let (payload, tag) = c.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"pk":"T#b#NOTE#1","sk":"META"}"#);
        assert!(codec.decode("a", &format!("{forged_payload}.{tag}")).is_err(), "edited payload");
        assert!(CursorCodec::new(b"other").decode("a", &c).is_err(), "other secret");
        assert!(codec.decode("a", payload).is_err(), "no tag");
        assert!(codec.decode("a", "garbage").is_err());
    }
}
