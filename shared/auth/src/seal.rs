//! Secrets we must keep but never show — a mailbox's OAuth tokens — sealed
//! at rest with AES-256-GCM. The key is the SHA-256 of a deploy-time secret
//! (`TOKEN_ENCRYPTION_KEY`, Secrets Manager); every seal has a fresh random
//! nonce and is bound to its record by the associated data (a sealed token
//! copied onto another record does not open). Format: `v1.{nonce}.{ciphertext}`
//! in base64url.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

pub struct Sealer {
    key: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

impl Sealer {
    /// From the configured secret (at least 32 characters).
    pub fn from_secret(secret: &str) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("TOKEN_ENCRYPTION_KEY must be at least 32 characters".into());
        }
        let key = digest(&SHA256, secret.as_bytes());
        let unbound = UnboundKey::new(&AES_256_GCM, key.as_ref()).map_err(|_| "bad key".to_string())?;
        Ok(Self { key: LessSafeKey::new(unbound) })
    }

    /// Seals `plain` for the record named by `context`.
    pub fn seal(&self, plain: &str, context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).expect("system randomness");
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut data)
            .expect("sealing cannot fail for in-memory data");
        format!("v1.{}.{}", URL_SAFE_NO_PAD.encode(nonce), URL_SAFE_NO_PAD.encode(data))
    }

    /// Opens a sealed value of the record `context`; `None` if it was
    /// altered, sealed with another key or for another record.
    pub fn open(&self, sealed: &str, context: &str) -> Option<String> {
        let mut parts = sealed.split('.');
        let (Some("v1"), Some(n), Some(c), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return None };
        let nonce: [u8; NONCE_LEN] = URL_SAFE_NO_PAD.decode(n).ok()?.try_into().ok()?;
        let mut data = URL_SAFE_NO_PAD.decode(c).ok()?;
        let plain = self.key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut data).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_with_the_same_key_and_record() {
        let s = Sealer::from_secret("a-deploy-time-secret-of-32-chars-or-more").unwrap();
        let sealed = s.seal("ya29.token", "tenant/account-1");
        assert!(!sealed.contains("ya29"));
        assert_ne!(sealed, s.seal("ya29.token", "tenant/account-1"), "a fresh nonce each time");
        assert_eq!(s.open(&sealed, "tenant/account-1").as_deref(), Some("ya29.token"));
        assert_eq!(s.open(&sealed, "tenant/account-2"), None, "bound to its record");
        let other = Sealer::from_secret("another-deploy-time-secret-of-32-chars!").unwrap();
        assert_eq!(other.open(&sealed, "tenant/account-1"), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(s.open(&tampered, "tenant/account-1"), None);
        assert!(Sealer::from_secret("short").is_err());
    }
}
