//! Opaque credentials: `[{prefix}.]{tenant_id}.{id}.{secret}`.
//!
//! The ids only *locate* the record (a forged id finds nothing); the 256-bit
//! secret authenticates and is stored only as its SHA-256. Used by refresh
//! tokens (no prefix) and API keys (`crmk`).

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use crm_kernel::{EntityId, TenantId};

/// API keys are `crmk.{tenant}.{id}.{secret}`, sent as `X-API-Key`.
pub const API_KEY_PREFIX: &str = "crmk";

#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueToken {
    pub prefix: Option<&'static str>,
    pub tenant_id: TenantId,
    pub id: EntityId,
    secret: String,
}

impl std::fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpaqueToken({:?}, {}, {}, ***)", self.prefix, self.tenant_id, self.id)
    }
}

impl OpaqueToken {
    pub fn generate(prefix: Option<&'static str>, tenant_id: TenantId, id: EntityId) -> Self {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).expect("system randomness");
        Self { prefix, tenant_id, id, secret: URL_SAFE_NO_PAD.encode(bytes) }
    }

    pub fn parse(prefix: Option<&'static str>, raw: &str) -> Option<Self> {
        let mut rest = raw.trim();
        if let Some(p) = prefix {
            rest = rest.strip_prefix(p)?.strip_prefix('.')?;
        }
        let mut parts = rest.splitn(3, '.');
        let tenant_id = TenantId::parse(parts.next()?).ok()?;
        let id = EntityId::parse(parts.next()?).ok()?;
        let secret = parts.next()?;
        (secret.len() == 43 && URL_SAFE_NO_PAD.decode(secret).is_ok()).then(|| Self { prefix, tenant_id, id, secret: secret.to_string() })
    }

    pub fn to_wire(&self) -> String {
        match self.prefix {
            Some(p) => format!("{p}.{}.{}.{}", self.tenant_id, self.id, self.secret),
            None => format!("{}.{}.{}", self.tenant_id, self.id, self.secret),
        }
    }

    /// Hex SHA-256 of the secret: what the record stores.
    pub fn hash(&self) -> String {
        sha256_hex(self.secret.as_bytes())
    }

    /// The first characters of the secret, to tell keys apart in a list.
    pub fn hint(&self) -> String {
        self.secret.chars().take(6).collect()
    }
}

/// Hex SHA-256 of `bytes` (stored hashes, idempotency keys, payload digests).
pub fn sha256_hex(bytes: &[u8]) -> String {
    digest(&SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two stored hashes (or shared secrets).
pub fn same_hash(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_and_without_prefix() {
        for prefix in [None, Some("crmk")] {
            let t = OpaqueToken::generate(prefix, TenantId::new(), EntityId::new());
            assert_eq!(OpaqueToken::parse(prefix, &t.to_wire()), Some(t.clone()));
            assert_eq!(t.hash().len(), 64);
        }
        let key = OpaqueToken::generate(Some("crmk"), TenantId::new(), EntityId::new());
        assert!(OpaqueToken::parse(None, &key.to_wire()).is_none());
        for bad in ["", "a.b.c", &format!("{}.{}.short", TenantId::new(), EntityId::new())] {
            assert!(OpaqueToken::parse(None, bad).is_none(), "{bad}");
        }
    }
}
