//! Stripe's webhook signature scheme, as its libraries verify it
//! (stripe-node `Webhooks.ts`, stripe-python `_webhook.py`, stripe-go
//! `webhook/client.go`):
//!
//! * the header is `Stripe-Signature: t={unix seconds},v1={hex},v1={hex},v0=…`;
//! * each `v1` is `hex(HMAC-SHA256(secret, "{t}.{raw body}"))`, the secret
//!   used whole (`whsec_…` as UTF-8 bytes, not decoded); `v0` and other
//!   schemes are ignored (no downgrade);
//! * any `v1` may match any of the endpoint's secrets (a secret being
//!   rolled has two), compared in constant time;
//! * a timestamp older than the tolerance (300 s) is refused; a future one
//!   is not, as in every Stripe library.
//!
//! The body is the raw bytes received, never JSON parsed and written again.

use aws_lc_rs::hmac;

/// Stripe's default tolerance.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused (the messages are stripe-python's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No `Stripe-Signature` header.
    Missing,
    /// No `t=` or it is not a number.
    Unparsable,
    /// No `v1=` signature.
    NoV1,
    /// No `v1` matches any secret.
    NoMatch,
    /// `t` is older than the tolerance.
    Stale,
}

impl SignatureError {
    pub fn message(self) -> &'static str {
        match self {
            SignatureError::Missing => "No Stripe-Signature header value was provided",
            SignatureError::Unparsable => "Unable to extract timestamp and signatures from header",
            SignatureError::NoV1 => "No signatures found with expected scheme v1",
            SignatureError::NoMatch => "No signatures found matching the expected signature for payload",
            SignatureError::Stale => "Timestamp outside the tolerance zone",
        }
    }
}

/// The `v1` signature of `payload` at `t` with `secret`, in lower-case hex.
pub fn compute(secret: &str, t: i64, payload: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(t.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(payload);
    hex(ctx.sign().as_ref())
}

/// A header as Stripe (or its libraries' `generateTestHeaderString`) makes it.
pub fn header(secret: &str, t: i64, payload: &[u8]) -> String {
    format!("t={t},v1={}", compute(secret, t, payload))
}

/// Verifies `header` over the raw `payload` against `secrets` at `now`;
/// `Ok(t)` is the signed timestamp.
pub fn verify(header: Option<&str>, payload: &[u8], secrets: &[&str], now: i64, tolerance: i64) -> Result<i64, SignatureError> {
    let header = header.filter(|h| !h.trim().is_empty()).ok_or(SignatureError::Missing)?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else { continue };
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Unparsable)?),
            "v1" => v1.push(v),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Unparsable)?;
    if v1.is_empty() {
        return Err(SignatureError::NoV1);
    }
    let matched = secrets.iter().any(|secret| {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
        let mut message = Vec::with_capacity(payload.len() + 12);
        message.extend_from_slice(t.to_string().as_bytes());
        message.push(b'.');
        message.extend_from_slice(payload);
        // `hmac::verify` compares in constant time.
        v1.iter().filter_map(|s| unhex(s)).any(|tag| hmac::verify(&key, &message, &tag).is_ok())
    });
    if !matched {
        return Err(SignatureError::NoMatch);
    }
    if tolerance > 0 && t < now - tolerance {
        return Err(SignatureError::Stale);
    }
    Ok(t)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const NOW: i64 = 1_764_600_000;

    #[test]
    fn the_scheme_matches_stripes_own_vector() {
        // HMAC-SHA256 over "{t}.{payload}", the secret used whole, as
        // stripe-python's `generate_signature_header` computes it (checked
        // with Python's hmac module: hmac.new(b"whsec_test_secret",
        // b'1764600000.{"id":"evt_1"}', sha256).hexdigest()).
        let payload = br#"{"id":"evt_1"}"#;
        let got = compute(SECRET, NOW, payload);
        assert_eq!(got, "605883b626754fb0f6d0c76f2e0f2aa06840afdb2ecb7a4b12ec8ada76d6936a");
        assert_eq!(header(SECRET, NOW, payload), format!("t={NOW},v1={got}"));
        assert_eq!(verify(Some(&header(SECRET, NOW, payload)), payload, &[SECRET], NOW, TOLERANCE_SECS), Ok(NOW));
    }

    #[test]
    fn refuses_what_stripe_refuses() {
        let payload = br#"{"id":"evt_1","object":"event"}"#;
        let good = header(SECRET, NOW, payload);
        assert_eq!(verify(None, payload, &[SECRET], NOW, 300), Err(SignatureError::Missing));
        assert_eq!(verify(Some(""), payload, &[SECRET], NOW, 300), Err(SignatureError::Missing));
        assert_eq!(verify(Some(&good), payload, &["whsec_other"], NOW, 300), Err(SignatureError::NoMatch));
        let mut changed = payload.to_vec();
        changed[8] ^= 1;
        assert_eq!(verify(Some(&good), &changed, &[SECRET], NOW, 300), Err(SignatureError::NoMatch));
        assert_eq!(verify(Some(&good), payload, &[SECRET], NOW + 301, 300), Err(SignatureError::Stale));
        assert_eq!(verify(Some(&good), payload, &[SECRET], NOW + 300, 300), Ok(NOW));
        // A future timestamp passes, as in Stripe's libraries.
        assert_eq!(verify(Some(&good), payload, &[SECRET], NOW - 3_600, 300), Ok(NOW));
        assert_eq!(verify(Some("v1=abc"), payload, &[SECRET], NOW, 300), Err(SignatureError::Unparsable));
        assert_eq!(verify(Some("t=x,v1=abc"), payload, &[SECRET], NOW, 300), Err(SignatureError::Unparsable));
        // Only v0: no downgrade.
        let v0 = good.replace("v1=", "v0=");
        assert_eq!(verify(Some(&v0), payload, &[SECRET], NOW, 300), Err(SignatureError::NoV1));
    }

    #[test]
    fn several_signatures_and_secrets_while_a_secret_rolls() {
        let payload = b"{}";
        let new = compute("whsec_new", NOW, payload);
        let header = format!("t={NOW},v1=deadbeef,v1={new},v0=ignored");
        assert_eq!(verify(Some(&header), payload, &["whsec_old", "whsec_new"], NOW, 300), Ok(NOW));
        assert_eq!(verify(Some(&header), payload, &["whsec_old"], NOW, 300), Err(SignatureError::NoMatch));
    }
}
