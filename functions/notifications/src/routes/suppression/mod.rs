//! The suppression list: `GET|POST|DELETE /v1/notify/suppression`.

pub mod delete;
pub mod get;
pub mod post;

use crm_kernel::{AppError, FieldError};
use crm_notify::messages::Channel;

/// `channel` and `address` (normalised) from a body or query.
pub(crate) fn parse_entry(channel: Option<&str>, address: Option<&str>) -> Result<(Channel, String), AppError> {
    let channel = match channel {
        Some("email") => Channel::Email,
        Some("sms") => Channel::Sms,
        Some("whatsapp") => Channel::Whatsapp,
        _ => return Err(AppError::invalid("channel", "must be email, sms or whatsapp")),
    };
    let address = crm_notify::consent::normalise("address", &channel, address.unwrap_or_default())
        .map_err(|e: FieldError| AppError::invalid_fields(vec![e]))?;
    Ok((channel, address))
}
