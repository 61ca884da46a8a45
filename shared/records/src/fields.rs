//! Parsing helpers the records' field types share.

use crm_kernel::FieldError;
use serde_json::Value;

/// An optional text field of a JSON body: absent, `null` or blank is none;
/// trimmed; longer than `max` characters or not a string is named in `errors`.
pub fn text(errors: &mut Vec<FieldError>, field: &str, v: Option<&Value>, max: usize) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) if s.trim().chars().count() <= max => Some(s.trim().to_string()),
        Some(Value::String(_)) => {
            errors.push(FieldError::new(field, format!("must be at most {max} characters")));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(field, "must be a string"));
            None
        }
    }
}
