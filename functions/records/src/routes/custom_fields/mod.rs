//! Custom-field definitions: `GET|POST /v1/custom-fields/definitions?entity=`,
//! `PATCH|DELETE /v1/custom-fields/definitions/{id}`.

pub mod delete;
pub mod get;
pub mod patch;
pub mod post;

use crm_http::Call;
use crm_kernel::{AppError, EntityId, FieldError};

use crate::custom_fields::{Definition, FieldType};
use crate::App;

pub(crate) async fn load(app: &App, call: &Call) -> Result<Definition, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store.get_as(&Definition::key(t, id)).await?.ok_or(AppError::NotFound)
}

/// Options are needed by (and only by) select fields: 1-100 distinct labels.
pub(crate) fn check_options(t: FieldType, options: &[String], errors: &mut Vec<FieldError>) {
    let select = matches!(t, FieldType::Select | FieldType::Multiselect);
    let mut seen = std::collections::HashSet::new();
    if select && (options.is_empty() || options.len() > 100) {
        errors.push(FieldError::new("options", "a select field needs 1-100 options"));
    } else if !select && !options.is_empty() {
        errors.push(FieldError::new("options", "only select and multiselect fields have options"));
    } else if options.iter().any(|o| o.trim().is_empty() || o.chars().count() > 100 || !seen.insert(o.as_str())) {
        errors.push(FieldError::new("options", "must be distinct, non-empty, at most 100 characters each"));
    }
}
