//! `PATCH /v1/admin/users/{id}` — edits the profile (`full_name`,
//! `job_title_code`, `department_code`, `locale`, `timezone`, `avatar_url`;
//! `null` clears an optional field). `If-Match` (the `ETag` of a read) makes
//! the edit conditional: `412` when someone changed the user meanwhile.
//! Audited `user.updated` with the changed fields as `{from, to}`.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::model::{Profile, User};
use crate::App;

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    full_name: Option<String>,
    #[serde(default, deserialize_with = "crm_kernel::patch::nullable")]
    job_title_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "crm_kernel::patch::nullable")]
    department_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "crm_kernel::patch::nullable")]
    locale: Option<Option<String>>,
    #[serde(default, deserialize_with = "crm_kernel::patch::nullable")]
    timezone: Option<Option<String>>,
    #[serde(default, deserialize_with = "crm_kernel::patch::nullable")]
    avatar_url: Option<Option<String>>,
}

/// The codes a user's `job_title_code` and `department_code` are taken from
/// ([`crate::dictionaries`]).
#[derive(Debug, Default)]
pub struct Codes {
    pub job_titles: Vec<crate::dictionaries::Entry>,
    pub departments: Vec<crate::dictionaries::Entry>,
}

impl Codes {
    pub async fn load(app: &App, t: crm_kernel::TenantId) -> Result<Self, AppError> {
        use crate::dictionaries::{load, DEPARTMENT_CODES, JOB_TITLE_CODES};
        let (job_titles, departments) = tokio::try_join!(load(&app.store, t, &JOB_TITLE_CODES), load(&app.store, t, &DEPARTMENT_CODES))?;
        Ok(Self { job_titles, departments })
    }
}

/// Applies a patch to a user (pure): the next user and the changed fields.
fn apply(user: &User, patch: Patch, codes: &Codes) -> Result<(User, Map<String, Value>), AppError> {
    let mut errors = Vec::new();
    let mut next = user.clone();
    if let Some(name) = patch.full_name {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 120 {
            errors.push(FieldError::new("full_name", "must be 1 to 120 characters"));
        }
        next.full_name = name;
    }
    // An active code of its dictionary; a code the user has already stays
    // even once deactivated.
    let code = |field: &str, v: &Option<String>, was: &Option<String>, of: &[crate::dictionaries::Entry], errors: &mut Vec<FieldError>| {
        if let Some(c) = v.as_ref().filter(|c| Some(*c) != was.as_ref()) {
            if let Err(why) = crate::dictionaries::check(of, c) {
                errors.push(FieldError::new(field, why));
            }
        }
    };
    let p: &mut Profile = &mut next.profile;
    if let Some(v) = patch.job_title_code {
        code("job_title_code", &v, &user.profile.job_title_code, &codes.job_titles, &mut errors);
        p.job_title_code = v;
    }
    if let Some(v) = patch.department_code {
        code("department_code", &v, &user.profile.department_code, &codes.departments, &mut errors);
        p.department_code = v;
    }
    if let Some(v) = patch.locale {
        if v.as_deref().is_some_and(|l| !crm_notify::preferences::LOCALES.contains(&l)) {
            errors.push(FieldError::new("locale", "must be `ar` or `en`"));
        }
        p.locale = v;
    }
    if let Some(v) = patch.timezone {
        if let Some(tz) = &v {
            if crm_kernel::time::parse_zone(tz).is_none() {
                errors.push(FieldError::new("timezone", "must be an IANA time zone such as Africa/Cairo"));
            }
        }
        p.timezone = v;
    }
    if let Some(v) = patch.avatar_url {
        if v.as_deref().is_some_and(|u| !u.starts_with("https://") || u.len() > 2048) {
            errors.push(FieldError::new("avatar_url", "must be an https URL"));
        }
        p.avatar_url = v;
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let (before, after) =
        (serde_json::to_value(user.public()).unwrap_or_default(), serde_json::to_value(next.public()).unwrap_or_default());
    let mut changes = Map::new();
    for f in ["full_name", "job_title_code", "department_code", "locale", "timezone", "avatar_url"] {
        if before[f] != after[f] {
            changes.insert(f.into(), json!({ "from": before[f], "to": after[f] }));
        }
    }
    Ok((next, changes))
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let patch: Patch = call.json()?;
    let user = super::target(app, &call).await?;
    if call.if_match()?.is_some_and(|v| v != user.version) {
        return Err(AppError::PreconditionFailed);
    }
    let codes = if patch.job_title_code.is_some() || patch.department_code.is_some() {
        Codes::load(app, p.tenant_id).await?
    } else {
        Codes::default()
    };
    let (mut next, changes) = apply(&user, patch, &codes)?;
    if changes.is_empty() {
        return Ok(Reply::ok(user.public()).etag(user.version));
    }
    next.version += 1;
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::USER_UPDATED,
        p.user_id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({ "changes": changes }),
    );
    match app.store.transact(Tx::new().put_if("user", next.to_item()?, Condition::version_is(user.version)).emit_audited(&event)).await {
        Ok(()) => Ok(Reply::ok(next.public()).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        serde_json::from_value(json!({
            "id": crm_kernel::UserId::new(), "tenant_id": crm_kernel::TenantId::new(), "email": "a@b.co", "full_name": "Sara",
            "roles": ["staff"], "status": "active", "is_verified": true, "created_at": "2026-11-23T10:00:00.000Z", "version": 1
        }))
        .unwrap()
    }

    #[test]
    fn changes_are_reported_and_nulls_clear() {
        let mut u = user();
        u.profile.locale = Some("en".into());
        let patch: Patch =
            serde_json::from_value(json!({ "full_name": " Sara Ahmed ", "locale": null, "timezone": "Africa/Cairo" })).unwrap();
        let (next, changes) = apply(&u, patch, &Codes::default()).unwrap();
        assert_eq!(next.full_name, "Sara Ahmed");
        assert_eq!(next.profile.locale, None);
        assert_eq!(next.profile.timezone.as_deref(), Some("Africa/Cairo"));
        assert_eq!(changes.keys().cloned().collect::<Vec<_>>(), ["full_name", "locale", "timezone"]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let patch: Patch = serde_json::from_value(
            json!({ "full_name": "", "locale": "fr", "timezone": "Mars/Base", "avatar_url": "http://x", "job_title_code": "a b" }),
        )
        .unwrap();
        let AppError::Validation { details, .. } = apply(&user(), patch, &Codes::default()).unwrap_err() else { panic!() };
        let fields: Vec<_> = details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["full_name", "job_title_code", "locale", "timezone", "avatar_url"]);
    }
}
