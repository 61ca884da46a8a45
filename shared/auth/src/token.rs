//! Access tokens: short-lived EdDSA (Ed25519) JWTs.
//!
//! Only `EdDSA` is accepted (so `alg: none` and HMAC confusion are refused),
//! the key is chosen by `kid` (rotation: publish the new public key, start
//! signing with it, retire the old one after the token lifetime), and `iss`,
//! `aud` and `exp` are always checked.

use std::collections::HashMap;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::{engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "crm";
pub const AUDIENCE: &str = "crm-api";
/// Access tokens live 15 minutes.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("key material: {0}")]
    Keys(String),
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The tenant id.
    pub tid: String,
    pub roles: Vec<String>,
    /// The session (refresh-token family) the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

impl AccessClaims {
    pub fn new(tenant: &str, user: &str, roles: Vec<String>, now_unix: i64) -> Self {
        Self {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user.into(),
            tid: tenant.into(),
            roles,
            sid: None,
            iat: now_unix,
            exp: now_unix + ACCESS_TOKEN_TTL_SECS,
            jti: ulid::Ulid::new().to_string(),
        }
    }
}

/// One Ed25519 key: `kid`, PKCS#8 private key (standard base64) and raw
/// public key (base64url, as a JWK `x`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyMaterial {
    pub kid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_pkcs8: Option<String>,
    pub public_x: String,
}

/// The signing keys: which one signs, and all that still verify.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeySet {
    pub active_kid: String,
    pub keys: Vec<KeyMaterial>,
}

impl KeySet {
    /// A fresh key set with one key (local stack and tests).
    pub fn generate(kid: &str) -> Result<Self, TokenError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|e| TokenError::Keys(e.to_string()))?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| TokenError::Keys(e.to_string()))?;
        Ok(Self {
            active_kid: kid.into(),
            keys: vec![KeyMaterial {
                kid: kid.into(),
                private_pkcs8: Some(STANDARD.encode(pkcs8.as_ref())),
                public_x: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            }],
        })
    }

    pub fn from_json(json: &str) -> Result<Self, TokenError> {
        serde_json::from_str(json).map_err(|e| TokenError::Keys(e.to_string()))
    }

    /// The public half only: `{kid: x}`, safe to put in configuration.
    pub fn public_keys_json(&self) -> String {
        let map: HashMap<&str, &str> = self.keys.iter().map(|k| (k.kid.as_str(), k.public_x.as_str())).collect();
        serde_json::to_string(&map).expect("map serialises")
    }

    pub fn signer(&self) -> Result<TokenSigner, TokenError> {
        let key = self.keys.iter().find(|k| k.kid == self.active_kid).ok_or(TokenError::UnknownKey)?;
        let der = STANDARD
            .decode(key.private_pkcs8.as_deref().ok_or_else(|| TokenError::Keys("active key has no private half".into()))?)
            .map_err(|e| TokenError::Keys(e.to_string()))?;
        Ok(TokenSigner { kid: key.kid.clone(), key: EncodingKey::from_ed_der(&der) })
    }

    pub fn verifier(&self) -> Result<TokenVerifier, TokenError> {
        TokenVerifier::from_public_keys_json(&self.public_keys_json())
    }
}

/// Signs access tokens with the active key.
#[derive(Clone)]
pub struct TokenSigner {
    kid: String,
    key: EncodingKey,
}

impl TokenSigner {
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| TokenError::Keys(e.to_string()))
    }
}

/// Verifies access tokens against the published public keys.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl TokenVerifier {
    /// From `{"kid": "base64url-x", ...}` (the `JWT_PUBLIC_KEYS` setting).
    pub fn from_public_keys_json(json: &str) -> Result<Self, TokenError> {
        let raw: HashMap<String, String> = serde_json::from_str(json).map_err(|e| TokenError::Keys(e.to_string()))?;
        if raw.is_empty() {
            return Err(TokenError::Keys("no public keys".into()));
        }
        let mut keys = HashMap::new();
        for (kid, x) in raw {
            let key = DecodingKey::from_ed_components(&x).map_err(|e| TokenError::Keys(e.to_string()))?;
            keys.insert(kid, key);
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Ok(Self { keys, validation })
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid("algorithm not allowed".into()));
        }
        let key = header.kid.as_deref().and_then(|kid| self.keys.get(kid)).ok_or(TokenError::UnknownKey)?;
        jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
    }

    fn claims() -> AccessClaims {
        AccessClaims::new("01JTENANT0000000000000000A", "01JUSER00000000000000000AA", vec!["admin".into()], now())
    }

    #[test]
    fn signs_and_verifies() {
        let keys = KeySet::generate("k1").unwrap();
        let token = keys.signer().unwrap().sign(&claims()).unwrap();
        let got = keys.verifier().unwrap().verify(&token).unwrap();
        assert_eq!(got.tid, "01JTENANT0000000000000000A");
    }

    #[test]
    fn rejects_wrong_key_expired_tampered_and_alg_none() {
        let keys = KeySet::generate("k1").unwrap();
        let other = KeySet::generate("k1").unwrap();
        let verifier = keys.verifier().unwrap();

        let forged = other.signer().unwrap().sign(&claims()).unwrap();
        assert!(verifier.verify(&forged).is_err(), "wrong key, same kid");

        let mut old = claims();
        old.iat -= 3600;
        old.exp = now() - 120;
        let expired = keys.signer().unwrap().sign(&old).unwrap();
        assert!(verifier.verify(&expired).is_err(), "expired");

        let token = keys.signer().unwrap().sign(&claims()).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        let mut body: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        body["tid"] = "01JOTHERTENANT000000000000".into();
        parts[1] = URL_SAFE_NO_PAD.encode(body.to_string());
        assert!(verifier.verify(&parts.join(".")).is_err(), "tampered payload");

        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        assert!(verifier.verify(&format!("{none_header}.{}.", parts[1])).is_err(), "alg none");
        assert!(verifier.verify("not-a-token").is_err());
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_while_the_old_key_is_published() {
        let old = KeySet::generate("k1").unwrap();
        let token = old.signer().unwrap().sign(&claims()).unwrap();
        let mut rotated = KeySet::generate("k2").unwrap();
        rotated.keys.extend(old.keys.iter().cloned());
        assert!(rotated.verifier().unwrap().verify(&token).is_ok());
        let fresh = rotated.signer().unwrap().sign(&claims()).unwrap();
        assert!(fresh.starts_with(&URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"EdDSA","kid":"k2"}"#)[..10]));
        assert!(rotated.verifier().unwrap().verify(&fresh).is_ok());
    }
}
