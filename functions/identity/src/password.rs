//! Passwords: the policy (`Password::parse`) and Argon2id hashing.
//!
//! Parameters: Argon2id, 19 MiB, 2 passes, 1 lane — OWASP's minimum for
//! Argon2id, sized for a 256 MB Lambda; `make bench` reports the time per hash
//! (target ≤ 100 ms on one Lambda vCPU share). Unknown emails are checked
//! against a fixed dummy hash so that they cost the same as a wrong password.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use crm_kernel::FieldError;
use std::sync::OnceLock;

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

/// A password that meets the policy: 8–128 characters, at least one letter
/// and one digit, not the email itself.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(raw: &str, email: &str) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        let err = |m: &str| FieldError::new("password", m);
        if n < MIN_CHARS {
            return Err(err("must be at least 8 characters"));
        }
        if n > MAX_CHARS {
            return Err(err("must be at most 128 characters"));
        }
        if !raw.chars().any(char::is_alphabetic) || !raw.chars().any(|c| c.is_ascii_digit()) {
            return Err(err("must contain a letter and a digit"));
        }
        if raw.eq_ignore_ascii_case(email) {
            return Err(err("must not be the email address"));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// PHC string of the password.
pub fn hash(password: &Password) -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).expect("system randomness");
    let salt = SaltString::encode_b64(&bytes).expect("16-byte salt");
    hasher().hash_password(password.as_str().as_bytes(), &salt).expect("argon2 hashing").to_string()
}

/// Whether `candidate` matches the PHC string `stored` (constant time inside argon2).
pub fn verify(candidate: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher().verify_password(candidate.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Burns the same work as a real verification (unknown email).
pub fn verify_dummy(candidate: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash(&Password("dummy-password-1".into())));
    let _ = verify(candidate, stored);
}

/// The one answer to a wrong email or password (which of the two is never said).
pub fn invalid_credentials() -> crm_kernel::AppError {
    crm_kernel::AppError::Auth { code: "AUTH_INVALID_CREDENTIALS", message: "invalid email or password".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(Password::parse("demo123!", "admin@demo.salesos.dev").is_ok());
        for bad in ["short1", "allletters", "12345678", &"a1".repeat(65)] {
            assert!(Password::parse(bad, "x@y.z").is_err(), "{bad}");
        }
        assert!(Password::parse("Me@Mail.com1", "me@mail.com1").is_err());
    }

    #[test]
    fn hashes_verify_and_salt() {
        let p = Password::parse("demo123!", "a@b.c").unwrap();
        let h1 = hash(&p);
        let h2 = hash(&p);
        assert!(h1.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(h1, h2, "salted");
        assert!(verify("demo123!", &h1));
        assert!(!verify("demo123?", &h1));
        assert!(!verify("demo123!", "not a hash"));
    }
}
