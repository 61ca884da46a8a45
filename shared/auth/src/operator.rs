//! The SaaS operator's key (`X-Operator-Key`), for the `/v1/ops/*` and
//! `/v1/_billing/*` routes of every context: read once from `OPERATOR_KEY`
//! (Secrets Manager), compared in constant time. Without a configured key
//! those routes do not exist (`404`).

use crm_kernel::{AppError, Env};

/// The configured key, if any; one shorter than 32 characters fails the start.
pub fn key_from_env(env: &Env) -> Result<Option<String>, String> {
    let key = env.get("OPERATOR_KEY").map(str::to_string);
    if key.as_ref().is_some_and(|k| k.len() < 32) {
        return Err("OPERATOR_KEY must be at least 32 characters".into());
    }
    Ok(key)
}

/// `Ok` when `presented` (the `X-Operator-Key` header) is the configured key.
/// Both are hashed first, so the comparison takes the same time whatever
/// their lengths.
pub fn require(configured: Option<&str>, presented: Option<&str>) -> Result<(), AppError> {
    let Some(expected) = configured else { return Err(AppError::RouteNotFound) };
    let digest = |s: &str| crate::opaque::sha256_hex(s.as_bytes());
    if crate::opaque::same_hash(&digest(presented.unwrap_or_default()), &digest(expected)) {
        Ok(())
    } else {
        Err(AppError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_key_passes() {
        let key = "k".repeat(40);
        assert!(require(Some(&key), Some(&key)).is_ok());
        assert_eq!(require(Some(&key), Some("nope")).unwrap_err().status(), 401);
        assert_eq!(require(Some(&key), None).unwrap_err().status(), 401);
        assert_eq!(require(None, Some(&key)).unwrap_err().status(), 404);
    }
}
