//! Refresh tokens: opaque, high-entropy, stored only as a SHA-256 hash.
//!
//! Wire form `{tenant_id}.{session_id}.{secret}`: the ids only *locate* the
//! session (a forged id finds nothing), the 256-bit secret authenticates.
//! A session is a token family: every refresh rotates the secret, and a
//! secret that was already rotated out proves theft — the family is revoked.

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use crm_kernel::{EntityId, TenantId, Timestamp};

/// Refresh tokens (and sessions) live 30 days.
pub const REFRESH_TTL_SECS: i64 = 30 * 24 * 3600;
/// How many rotated-out hashes a session remembers for reuse detection.
pub const REMEMBERED_HASHES: usize = 64;

#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub tenant_id: TenantId,
    pub session_id: EntityId,
    secret: String,
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RefreshToken({}, {}, ***)", self.tenant_id, self.session_id)
    }
}

impl RefreshToken {
    pub fn generate(tenant_id: TenantId, session_id: EntityId) -> Self {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).expect("system randomness");
        Self { tenant_id, session_id, secret: URL_SAFE_NO_PAD.encode(bytes) }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.trim().splitn(3, '.');
        let tenant_id = TenantId::parse(parts.next()?).ok()?;
        let session_id = EntityId::parse(parts.next()?).ok()?;
        let secret = parts.next()?;
        (secret.len() == 43 && URL_SAFE_NO_PAD.decode(secret).is_ok()).then(|| Self { tenant_id, session_id, secret: secret.to_string() })
    }

    pub fn to_wire(&self) -> String {
        format!("{}.{}.{}", self.tenant_id, self.session_id, self.secret)
    }

    /// Hex SHA-256 of the secret: what the session stores.
    pub fn hash(&self) -> String {
        digest(&SHA256, self.secret.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What presenting a refresh token to a session means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The current secret: rotate.
    Rotate,
    /// A secret already rotated out: theft; revoke the family.
    Reused,
    /// The session is revoked or expired.
    Dead,
    /// Not a secret of this session at all.
    Unknown,
}

fn same(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// The pure rule behind `POST /v1/auth/refresh`.
pub fn decide(
    current_hash: &str,
    previous: &[String],
    revoked: bool,
    expires_at: Timestamp,
    presented_hash: &str,
    now: Timestamp,
) -> Decision {
    if previous.iter().any(|h| same(h, presented_hash)) {
        return Decision::Reused;
    }
    if !same(current_hash, presented_hash) {
        return Decision::Unknown;
    }
    if revoked || expires_at <= now {
        return Decision::Dead;
    }
    Decision::Rotate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let t = RefreshToken::generate(TenantId::new(), EntityId::new());
        assert_eq!(RefreshToken::parse(&t.to_wire()), Some(t.clone()));
        assert_eq!(t.hash().len(), 64);
        for bad in ["", "a.b.c", &format!("{}.{}.short", TenantId::new(), EntityId::new())] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn rotation_reuse_and_death() {
        let now = Timestamp::now();
        let later = now.plus_seconds(60);
        let old = "a".repeat(64);
        let cur = "b".repeat(64);
        let prev = vec![old.clone()];
        assert_eq!(decide(&cur, &prev, false, later, &cur, now), Decision::Rotate);
        assert_eq!(decide(&cur, &prev, false, later, &old, now), Decision::Reused);
        assert_eq!(decide(&cur, &prev, true, later, &old, now), Decision::Reused, "reuse is reported even on a dead family");
        assert_eq!(decide(&cur, &prev, true, later, &cur, now), Decision::Dead);
        assert_eq!(decide(&cur, &prev, false, now, &cur, later), Decision::Dead);
        assert_eq!(decide(&cur, &prev, false, later, &"c".repeat(64), now), Decision::Unknown);
    }
}
