//! Who is calling, and what they may do.
//!
//! * [`token`]: EdDSA access tokens (sign, verify, key rotation by `kid`).
//! * [`principal`]: the caller as the authorizer hands it to every handler.
//! * [`rbac`]: permission codes and the default roles. Deny by default: a
//!   permission not granted is refused.
//! * [`seal`]: credentials encrypted at rest (AES-256-GCM).
//! * [`access`]: groups, role hierarchy, entitlement overrides (ADR 0011).
//! * [`code`]: one-time codes, salted and hashed.
//! * [`grant`]: who may grant which roles (one rule for every path).
//! * [`roles`]: the tenant's custom roles.
//! * [`sensitive`]: field-level permissions (fields some roles may not read).
//! * [`visibility`]: who sees which records (owner, team, admin, private).

pub mod access;
pub mod audience;
pub mod code;
pub mod entitlements;
pub mod grant;
pub mod opaque;
pub mod operator;
pub mod principal;
pub mod rate;
pub mod rbac;
pub mod roles;
pub mod seal;
pub mod sensitive;
pub mod token;
pub mod visibility;

pub use principal::{AuthMethod, Principal};
pub use rbac::Permission;
pub use token::{AccessClaims, KeySet, TokenError, TokenSigner, TokenVerifier};
