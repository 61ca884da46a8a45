//! One-time codes a person types back (phone verification, sign-in codes,
//! a contact's channel verification): six uniformly random digits, stored
//! only as a salted SHA-256 and compared in constant time.

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Six uniformly random digits (rejection sampling: no modulo bias).
pub fn new_code() -> String {
    let rng = SystemRandom::new();
    loop {
        let mut b = [0u8; 4];
        rng.fill(&mut b).expect("system randomness");
        let n = u32::from_le_bytes(b);
        // 4_294_000_000 is the largest multiple of 1_000_000 below 2^32.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// A fresh random salt, hex.
pub fn new_salt() -> String {
    let mut b = [0u8; 16];
    SystemRandom::new().fill(&mut b).expect("system randomness");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The stored form of `code`.
pub fn hash(salt: &str, code: &str) -> String {
    digest(&SHA256, format!("{salt}:{code}").as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `code` (as typed: surrounding spaces ignored) is the one stored
/// as `stored` with `salt`, in constant time.
pub fn matches(salt: &str, stored: &str, code: &str) -> bool {
    crate::opaque::same_hash(&hash(salt, code.trim()), stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_match_only_themselves() {
        let code = new_code();
        assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()));
        let salt = new_salt();
        let stored = hash(&salt, &code);
        assert!(matches(&salt, &stored, &format!(" {code} ")));
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        assert!(!matches(&salt, &stored, &wrong));
        assert_ne!(hash(&new_salt(), &code), stored, "the salt changes the stored form");
    }
}
