//! Local-stack state that must survive a restart (`infra/.state/`): signing
//! keys, the cursor secret, stream checkpoints. Tests run without a state
//! directory and get fresh values.

use std::collections::HashMap;
use std::path::Path;

use crm_auth::KeySet;

fn read(dir: Option<&Path>, name: &str) -> Option<String> {
    std::fs::read_to_string(dir?.join(name)).ok()
}

fn write(dir: Option<&Path>, name: &str, content: &str) {
    if let Some(dir) = dir {
        let _ = std::fs::create_dir_all(dir);
        let tmp = dir.join(format!("{name}.tmp"));
        if std::fs::write(&tmp, content).is_ok() {
            let _ = std::fs::rename(tmp, dir.join(name));
        }
    }
}

/// The local token-signing keys (generated once).
pub fn signing_keys(dir: Option<&Path>) -> Result<KeySet, String> {
    if let Some(json) = read(dir, "jwt-keys.json") {
        if let Ok(keys) = KeySet::from_json(&json) {
            return Ok(keys);
        }
    }
    let keys = KeySet::generate("local-1").map_err(|e| e.to_string())?;
    write(dir, "jwt-keys.json", &serde_json::to_string_pretty(&keys).map_err(|e| e.to_string())?);
    Ok(keys)
}

/// The local cursor-signing secret (generated once).
pub fn cursor_secret(dir: Option<&Path>) -> String {
    generated(dir, "cursor-secret", || format!("{}{}", ulid::Ulid::new(), ulid::Ulid::new()))
}

/// A local secret of at least 32 characters kept in `name` (made once by `make`).
fn generated(dir: Option<&Path>, name: &str, make: impl FnOnce() -> String) -> String {
    if let Some(s) = read(dir, name).filter(|s| s.len() >= 32) {
        return s;
    }
    let secret = make();
    write(dir, name, &secret);
    secret
}

/// The local operator key for `/v1/ops/*` (generated once).
pub fn operator_key(dir: Option<&Path>) -> String {
    generated(dir, "operator-key", || format!("op{}{}", ulid::Ulid::new(), ulid::Ulid::new()).to_lowercase())
}

/// The local key that seals mailbox OAuth tokens (generated once).
pub fn token_encryption_key(dir: Option<&Path>) -> String {
    generated(dir, "token-encryption-key", || format!("tek{}{}", ulid::Ulid::new(), ulid::Ulid::new()))
}

pub fn load_checkpoints(dir: Option<&Path>, prefix: &str) -> HashMap<String, String> {
    read(dir, &format!("{prefix}-stream.json")).and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

pub fn save_checkpoints(dir: Option<&Path>, prefix: &str, checkpoints: &HashMap<String, String>) {
    write(dir, &format!("{prefix}-stream.json"), &serde_json::to_string(checkpoints).unwrap_or_default());
}

/// The demo site plan's public viewer path (the seed writes it once: the
/// link's secret is shown only when it is made).
pub fn demo_map_view(dir: Option<&Path>) -> Option<String> {
    read(dir, "demo-map-view")
}

pub fn remember_demo_map_view(dir: Option<&Path>, path: &str) {
    write(dir, "demo-map-view", path);
}
