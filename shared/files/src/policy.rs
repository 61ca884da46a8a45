//! Browser uploads by presigned `POST` (AWS "Browser-based uploads using
//! POST", Signature Version 4). The form carries a base64 policy document
//! whose conditions S3 checks before it stores anything: the exact key, the
//! content type, and `["content-length-range", 1, max]`. The policy is
//! signed with the SigV4 signing key of the function's credentials; a field
//! changed in the browser breaks the signature, a file too large or of
//! another type is refused by the storage (`EntityTooLarge`, `AccessDenied`).

use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

/// A presigned `POST`: where to send the form, its fields (sent before the
/// `file` field, in any order), and the policy's limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct UploadForm {
    pub url: String,
    pub method: &'static str,
    pub fields: BTreeMap<String, String>,
    pub max_bytes: i64,
    pub content_type: String,
    pub expires_at: String,
}

/// What the policy allows.
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub content_type: &'a str,
    pub max_bytes: i64,
    pub expires: DateTime<Utc>,
}

/// The signer's identity.
#[derive(Debug, Clone)]
pub struct Signer<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub session_token: Option<&'a str>,
    pub region: &'a str,
}

/// The form for `rules`, signed by `signer` at `now`, posted to `url`.
pub fn form(url: String, rules: &Rules<'_>, signer: &Signer<'_>, now: DateTime<Utc>) -> UploadForm {
    let date = now.format("%Y%m%d").to_string();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let credential = format!("{}/{date}/{}/s3/aws4_request", signer.access_key, signer.region);
    let mut fields = BTreeMap::from([
        ("key".to_string(), rules.key.to_string()),
        ("Content-Type".to_string(), rules.content_type.to_string()),
        ("x-amz-algorithm".to_string(), "AWS4-HMAC-SHA256".to_string()),
        ("x-amz-credential".to_string(), credential.clone()),
        ("x-amz-date".to_string(), amz_date.clone()),
    ]);
    let mut conditions = vec![
        json!({ "bucket": rules.bucket }),
        json!({ "key": rules.key }),
        json!({ "Content-Type": rules.content_type }),
        json!(["content-length-range", 1, rules.max_bytes]),
        json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }),
        json!({ "x-amz-credential": credential }),
        json!({ "x-amz-date": amz_date }),
    ];
    if let Some(token) = signer.session_token {
        fields.insert("x-amz-security-token".into(), token.to_string());
        conditions.push(json!({ "x-amz-security-token": token }));
    }
    let expires_at = rules.expires.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let policy = STANDARD.encode(json!({ "expiration": expires_at, "conditions": conditions }).to_string());
    let key = aws_sigv4::sign::v4::generate_signing_key(signer.secret_key, SystemTime::from(now), signer.region, "s3");
    let signature = aws_sigv4::sign::v4::calculate_signature(key, policy.as_bytes());
    fields.insert("policy".into(), policy);
    fields.insert("x-amz-signature".into(), signature);
    UploadForm { url, method: "POST", fields, max_bytes: rules.max_bytes, content_type: rules.content_type.to_string(), expires_at }
}

/// The policy document of a form (for checks and tests).
pub fn decoded_policy(form: &UploadForm) -> Option<Value> {
    serde_json::from_slice(&STANDARD.decode(form.fields.get("policy")?).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_policy_holds_key_type_and_size_and_is_signed_like_sigv4() {
        let rules = Rules {
            bucket: "files",
            key: "transfers/T/J/people.csv",
            content_type: "text/csv",
            max_bytes: 20_000_000,
            expires: at("2026-12-01T10:15:00Z"),
        };
        let signer = Signer {
            access_key: "AKIDEXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            session_token: None,
            region: "us-east-1",
        };
        let f = form("https://files.s3.us-east-1.amazonaws.com/".into(), &rules, &signer, at("2026-12-01T10:00:00Z"));
        let p = decoded_policy(&f).unwrap();
        assert_eq!(p["expiration"], "2026-12-01T10:15:00.000Z");
        let conditions = p["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!(["content-length-range", 1, 20_000_000])));
        assert!(conditions.contains(&json!({ "key": "transfers/T/J/people.csv" })));
        assert!(conditions.contains(&json!({ "Content-Type": "text/csv" })));
        assert_eq!(f.fields["x-amz-credential"], "AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request");
        assert_eq!(f.fields["x-amz-date"], "20261201T100000Z");
        // The signature is HMAC-SHA256 of the base64 policy with the SigV4 key chain.
        let key =
            aws_sigv4::sign::v4::generate_signing_key(signer.secret_key, SystemTime::from(at("2026-12-01T10:00:00Z")), "us-east-1", "s3");
        assert_eq!(f.fields["x-amz-signature"], aws_sigv4::sign::v4::calculate_signature(key, f.fields["policy"].as_bytes()));
        assert_eq!(f.fields["x-amz-signature"].len(), 64);
        let other = form("u".into(), &Rules { max_bytes: 21_000_000, ..rules.clone() }, &signer, at("2026-12-01T10:00:00Z"));
        assert_ne!(other.fields["x-amz-signature"], f.fields["x-amz-signature"], "the size is signed");
    }
}
