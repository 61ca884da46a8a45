//! Refresh tokens: opaque, high-entropy, stored only as a SHA-256 hash.
//!
//! Wire form `{tenant_id}.{session_id}.{secret}`: the ids only *locate* the
//! session (a forged id finds nothing), the 256-bit secret authenticates.
//! A session is a token family: every refresh rotates the secret, and a
//! secret that was already rotated out proves theft — the family is revoked.

use crm_auth::opaque::{same_hash, OpaqueToken};
use crm_kernel::{EntityId, TenantId, Timestamp};

/// Refresh tokens (and sessions) live 30 days.
pub const REFRESH_TTL_SECS: i64 = 30 * 24 * 3600;
/// How many rotated-out hashes a session remembers for reuse detection.
pub const REMEMBERED_HASHES: usize = 64;

/// A refresh token: an opaque token without prefix whose id is the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken(OpaqueToken);

impl RefreshToken {
    pub fn generate(tenant_id: TenantId, session_id: EntityId) -> Self {
        Self(OpaqueToken::generate(None, tenant_id, session_id))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        OpaqueToken::parse(None, raw).map(Self)
    }

    pub fn tenant_id(&self) -> TenantId {
        self.0.tenant_id
    }

    pub fn session_id(&self) -> EntityId {
        self.0.id
    }

    pub fn to_wire(&self) -> String {
        self.0.to_wire()
    }

    pub fn hash(&self) -> String {
        self.0.hash()
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

/// The pure rule behind `POST /v1/auth/refresh`.
pub fn decide(
    current_hash: &str,
    previous: &[String],
    revoked: bool,
    expires_at: Timestamp,
    presented_hash: &str,
    now: Timestamp,
) -> Decision {
    if previous.iter().any(|h| same_hash(h, presented_hash)) {
        return Decision::Reused;
    }
    if !same_hash(current_hash, presented_hash) {
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
