//! The authenticated caller, as the authorizer passes it to route functions.

use std::collections::{BTreeSet, HashMap};

use crm_kernel::{AppError, TenantId, UserId};
use serde_json::Value;

use crate::entitlements::Entitlements;
use crate::rbac::{self, Permission};
use crate::visibility::{Mode, Scope};

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    AccessToken,
    ApiKey,
}

impl AuthMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthMethod::AccessToken => "token",
            AuthMethod::ApiKey => "api_key",
        }
    }
}

/// Tenant, user and what they may do. Built only by the authorizer (from a
/// verified token) or from the authorizer context the gateway forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub roles: Vec<String>,
    pub permissions: BTreeSet<String>,
    pub method: AuthMethod,
    pub session_id: Option<String>,
    /// The plan's features and limits with the tenant's, the user's groups'
    /// and the user's own overrides applied (by the authorizer, per request).
    pub entitlements: Entitlements,
    /// The records beyond their own the caller sees ([`crate::visibility`]).
    pub scope: Scope,
    /// Whether the user proved their email; privileged codes wait for it
    /// ([`rbac::needs_verified_email`]). An API key's principal holds none of those.
    pub email_verified: bool,
}

impl Principal {
    /// A principal whose permissions are those of its default roles.
    pub fn with_roles(tenant_id: TenantId, user_id: UserId, roles: Vec<String>, method: AuthMethod) -> Self {
        let permissions = roles.iter().flat_map(|r| rbac::default_permissions(r)).map(|p| p.0.to_string()).collect();
        Self {
            tenant_id,
            user_id,
            roles,
            permissions,
            method,
            session_id: None,
            entitlements: Entitlements::for_plan("DevFree"),
            scope: Scope::default(),
            email_verified: true,
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission.0)
    }

    /// `Ok` if granted, `403 FORBIDDEN` otherwise; a privileged code also
    /// needs a verified email (`403 AUTH_EMAIL_UNVERIFIED`).
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if !self.can(permission) {
            return Err(AppError::Forbidden(format!("missing permission `{permission}`")));
        }
        if !self.email_verified && rbac::needs_verified_email(permission) {
            return Err(AppError::Denied {
                code: "AUTH_EMAIL_UNVERIFIED",
                message: format!("verify your email address first: `{permission}` needs a verified email"),
            });
        }
        Ok(())
    }

    /// The authorizer context (flat string values, as API Gateway forwards them).
    pub fn to_context(&self) -> HashMap<String, Value> {
        let mut ctx = HashMap::new();
        ctx.insert("tenant_id".into(), Value::String(self.tenant_id.to_string()));
        ctx.insert("user_id".into(), Value::String(self.user_id.to_string()));
        ctx.insert("roles".into(), Value::String(self.roles.join(",")));
        ctx.insert("permissions".into(), Value::String(self.permissions.iter().cloned().collect::<Vec<_>>().join(" ")));
        ctx.insert("auth_method".into(), Value::String(self.method.as_str().into()));
        if let Some(sid) = &self.session_id {
            ctx.insert("session_id".into(), Value::String(sid.clone()));
        }
        let e = &self.entitlements;
        ctx.insert("plan".into(), Value::String(e.plan.clone()));
        ctx.insert("features".into(), Value::String(e.features.join(" ")));
        ctx.insert("visibility".into(), Value::String(self.scope.mode.as_str().into()));
        ctx.insert("groups".into(), Value::String(self.scope.groups.join(" ")));
        ctx.insert("managed_roles".into(), Value::String(self.scope.managed_roles.join(",")));
        ctx.insert("email_verified".into(), Value::String(self.email_verified.to_string()));
        ctx.insert("limits".into(), Value::String(e.limits.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")));
        ctx
    }

    /// Reads the context back. Anything malformed means "not authenticated".
    pub fn from_context(ctx: &serde_json::Map<String, Value>) -> Option<Self> {
        let s = |k: &str| ctx.get(k).and_then(Value::as_str);
        let split = |k: &str, sep: char| -> Vec<String> {
            s(k).map(|v| v.split(sep).filter(|x| !x.is_empty()).map(str::to_string).collect()).unwrap_or_default()
        };
        Some(Self {
            tenant_id: TenantId::parse(s("tenant_id")?).ok()?,
            user_id: UserId::parse(s("user_id")?).ok()?,
            roles: split("roles", ','),
            permissions: split("permissions", ' ').into_iter().collect(),
            method: match s("auth_method")? {
                "token" => AuthMethod::AccessToken,
                "api_key" => AuthMethod::ApiKey,
                _ => return None,
            },
            session_id: s("session_id").map(str::to_string),
            entitlements: {
                let features = split("features", ' ');
                let limits = split("limits", ' ');
                let limits: Vec<(&str, i64)> =
                    limits.iter().filter_map(|kv| kv.split_once('=')).filter_map(|(k, v)| v.parse().ok().map(|v| (k, v))).collect();
                Entitlements::from_parts(s("plan").unwrap_or("DevFree"), &features.iter().map(String::as_str).collect::<Vec<_>>(), &limits)
            },
            scope: Scope {
                mode: s("visibility").and_then(Mode::parse).unwrap_or_default(),
                groups: split("groups", ' '),
                managed_roles: split("managed_roles", ','),
            },
            email_verified: s("email_verified") == Some("true"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_round_trip() {
        let mut p = Principal::with_roles(TenantId::new(), UserId::new(), vec!["viewer".into()], AuthMethod::AccessToken);
        p.session_id = Some("S1".into());
        p.entitlements = Entitlements::from_parts("DevPro", &["marketing.sms", "twofa.totp"], &[("contacts.max", 7), ("users.max", 25)]);
        p.scope = Scope { mode: Mode::Team, groups: vec!["G1".into(), "G2".into()], managed_roles: vec!["sales_rep".into()] };
        let ctx: serde_json::Map<_, _> = p.to_context().into_iter().collect();
        assert_eq!(Principal::from_context(&ctx), Some(p.clone()));
        assert!(p.require(rbac::NOTE_READ).is_ok());
        assert_eq!(p.require(rbac::NOTE_CREATE).unwrap_err().code(), "FORBIDDEN");
        let mut owner = Principal::with_roles(TenantId::new(), UserId::new(), vec!["super_admin".into()], AuthMethod::AccessToken);
        owner.email_verified = false;
        assert_eq!(owner.require(rbac::USER_MANAGE).unwrap_err().code(), "AUTH_EMAIL_UNVERIFIED");
        assert!(owner.require(rbac::CONTACT_CREATE).is_ok(), "everyday work does not wait for it");
    }

    #[test]
    fn malformed_context_is_no_principal() {
        let ctx: serde_json::Map<_, _> = [("tenant_id".to_string(), Value::String("x".into()))].into_iter().collect();
        assert_eq!(Principal::from_context(&ctx), None);
    }
}
