//! TOTP (RFC 6238): HMAC-SHA1, 30-second steps, 6 digits, ±1 step of clock
//! drift, issuer `M3CRM`; backup codes. Pure functions; the routes store.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use crm_auth::opaque::same_hash;

pub const ISSUER: &str = "M3CRM";
pub const STEP_SECS: i64 = 30;
pub const BACKUP_CODES: usize = 10;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// A new 160-bit secret, base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    SystemRandom::new().fill(&mut bytes).expect("system randomness");
    base32(&bytes)
}

/// The code of `secret` for time step `step`.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &(step as u64).to_be_bytes());
    let h = tag.as_ref();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin =
        (u32::from(h[offset] & 0x7f) << 24) | (u32::from(h[offset + 1]) << 16) | (u32::from(h[offset + 2]) << 8) | u32::from(h[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The step a code matches at `now` (±1 step), if any, and not at or before
/// `last_used_step` (a code works once).
pub fn verify(secret_b32: &str, code: &str, now_unix: i64, last_used_step: Option<i64>) -> Option<i64> {
    let secret = base32_decode(secret_b32)?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now_step = now_unix.div_euclid(STEP_SECS);
    (now_step - 1..=now_step + 1).filter(|s| last_used_step.is_none_or(|last| *s > last)).find(|s| same_hash(&code_at(&secret, *s), code))
}

/// `otpauth://` URI for authenticator apps.
pub fn otpauth_uri(secret_b32: &str, account: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    format!("otpauth://totp/{ISSUER}:{}?secret={secret_b32}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={STEP_SECS}", enc(account))
}

/// Ten one-time backup codes (`xxxx-xxxx`, base32 letters/digits).
pub fn new_backup_codes() -> Vec<String> {
    (0..BACKUP_CODES)
        .map(|_| {
            let mut bytes = [0u8; 5];
            SystemRandom::new().fill(&mut bytes).expect("system randomness");
            let s = base32(&bytes).to_lowercase();
            format!("{}-{}", &s[..4], &s[4..8])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 Appendix B, SHA-1 seed "12345678901234567890", last 6 digits.
        let seed = b"12345678901234567890";
        for (t, expected) in [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")] {
            assert_eq!(code_at(seed, t / STEP_SECS), expected, "t={t}");
        }
    }

    #[test]
    fn base32_round_trip_and_rfc_vector() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap(), b"foobar");
        let s = new_secret();
        assert_eq!(base32_decode(&s).unwrap().len(), 20);
    }

    #[test]
    fn verify_accepts_drift_once_and_refuses_garbage() {
        let secret = new_secret();
        let raw = base32_decode(&secret).unwrap();
        let now = 1_800_000_000;
        let prev = code_at(&raw, now / STEP_SECS - 1);
        let step = verify(&secret, &prev, now, None).unwrap();
        assert_eq!(verify(&secret, &prev, now, Some(step)), None, "replay");
        assert_eq!(verify(&secret, &code_at(&raw, now / STEP_SECS - 3), now, None), None, "too old");
        assert_eq!(verify(&secret, "12345", now, None), None);
        assert!(otpauth_uri(&secret, "a@b.c").starts_with("otpauth://totp/M3CRM:a%40b.c?secret="));
        assert_eq!(new_backup_codes().len(), 10);
    }
}
