//! Templates: `POST|GET /v1/notify/templates`, `PATCH /v1/notify/templates/{id}`,
//! `POST /v1/notify/templates/{id}/approve`, `POST /v1/notify/templates/preview`.

pub mod approve_post;
pub mod get;
pub mod patch;
pub mod post;
pub mod preview_post;

use crm_kernel::{AppError, FieldError};
use crm_notify::messages::Channel;
use crm_notify::template;

pub(crate) const MAX_BODY_CHARS: usize = 20_000;

/// Checks the texts a tenant saves for a channel.
pub(crate) fn check_texts(channel: &Channel, subject: &str, body: &str, errors: &mut Vec<FieldError>) {
    if body.trim().is_empty() || body.chars().count() > MAX_BODY_CHARS {
        errors.push(FieldError::new("body", format!("must be 1-{MAX_BODY_CHARS} characters")));
    }
    if subject.chars().count() > 300 {
        errors.push(FieldError::new("subject", "must be at most 300 characters"));
    }
    if matches!(channel, Channel::Email | Channel::Inbox) && subject.trim().is_empty() {
        errors.push(FieldError::new("subject", "an email or inbox template needs a subject (the title)"));
    }
    for (field, text) in [("subject", subject), ("body", body)] {
        if let Err(e) = template::check_text(field, text) {
            errors.push(e);
        }
    }
}

pub(crate) fn fail(errors: Vec<FieldError>) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(errors))
    }
}
