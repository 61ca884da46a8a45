//! The one error type of the API: each variant one stable `code` and one HTTP status, answered as
//! `{"success":false,"error":{"code","message","details"},"meta":…}` (the README's "Response envelope").

use serde::Serialize;

/// One field-level problem inside a `VALIDATION_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Every failure a handler can answer with. Each variant has one stable `code`
/// and one HTTP status; the message is safe to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Validation { message: String, details: Vec<FieldError> },
    #[error("authentication required")]
    Unauthenticated,
    /// A failed authentication step with the spec's own code
    /// (`AUTH_INVALID_CREDENTIALS`, `AUTH_TOKEN_REUSED`, `AUTH_2FA_REQUIRED`…): 401.
    #[error("{message}")]
    Auth { code: &'static str, message: String },
    #[error("feature `{feature}` is not included in the plan")]
    PlanRequired { feature: String },
    #[error("plan limit `{key}` reached ({limit})")]
    LimitReached { key: String, limit: i64 },
    /// A metered allowance of the plan is used up for the period
    /// (`sms.monthlyCap`): 402 `PLAN_REQUIRED`, upgrading lifts it.
    #[error("`{key}` of the plan is used up ({limit}); upgrade the plan or wait for the next period")]
    CapReached { key: String, limit: i64 },
    #[error("{0}")]
    Forbidden(String),
    /// Refused for a reason with its own code (`AUTH_EMAIL_UNVERIFIED`): 403.
    #[error("{message}")]
    Denied { code: &'static str, message: String },
    #[error("resource not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A state rule refused the change, with the rule's own code
    /// (`SOLD_IS_FINAL`, `UNIT_NOT_AVAILABLE`): 409, the resource is in a
    /// state that does not allow it.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// A domain rule refused a well-formed request, with the rule's own code
    /// (`OTP_INVALID`, `OTP_EXPIRED`, …): 422.
    #[error("{message}")]
    Rule { code: &'static str, message: String },
    #[error("the resource was changed by someone else; reload and retry")]
    PreconditionFailed,
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("rate limit exceeded")]
    RateLimited { retry_after_secs: u64 },
    #[error("route not found")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A dependency (a scheduler, a provider) cannot take the request now:
    /// 503, retry later. The message is the caller's.
    #[error("{0}")]
    Unavailable(String),
    /// The message is logged, never sent: the caller only sees a generic text.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A validation error about one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let detail = FieldError::new(field, message);
        AppError::Validation { message: format!("{}: {}", detail.field, detail.message), details: vec![detail] }
    }

    /// A validation error with several field problems.
    pub fn invalid_fields(details: Vec<FieldError>) -> Self {
        AppError::Validation { message: "request validation failed".into(), details }
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        AppError::Internal(err.to_string())
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "VALIDATION_ERROR",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Auth { code, .. } => code,
            AppError::PlanRequired { .. } | AppError::CapReached { .. } => "PLAN_REQUIRED",
            AppError::LimitReached { .. } => "LIMIT_REACHED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::Denied { code, .. } => code,
            AppError::NotFound | AppError::RouteNotFound => "NOT_FOUND",
            AppError::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Refused { code, .. } => code,
            AppError::Rule { code, .. } => code,
            AppError::PreconditionFailed => "PRECONDITION_FAILED",
            AppError::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            AppError::RateLimited { .. } => "RATE_LIMIT_EXCEEDED",
            AppError::Unavailable(_) => "SERVICE_UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation { .. } => 400,
            AppError::Unauthenticated | AppError::Auth { .. } => 401,
            AppError::PlanRequired { .. } | AppError::CapReached { .. } => 402,
            AppError::Forbidden(_) | AppError::Denied { .. } => 403,
            AppError::NotFound | AppError::RouteNotFound => 404,
            AppError::MethodNotAllowed => 405,
            AppError::Conflict(_) | AppError::Refused { .. } => 409,
            AppError::PreconditionFailed => 412,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::LimitReached { .. } | AppError::Rule { .. } => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Internal(_) => 500,
            AppError::Unavailable(_) => 503,
        }
    }

    /// The message shown to the caller (internal details are withheld).
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "an internal error occurred".into(),
            other => other.to_string(),
        }
    }

    pub fn details(&self) -> &[FieldError] {
        match self {
            AppError::Validation { details, .. } => details,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_the_design_table() {
        let cases = [
            (AppError::invalid("x", "bad"), "VALIDATION_ERROR", 400),
            (AppError::Unauthenticated, "UNAUTHENTICATED", 401),
            (AppError::Auth { code: "AUTH_TOKEN_REUSED", message: "x".into() }, "AUTH_TOKEN_REUSED", 401),
            (AppError::PlanRequired { feature: "f".into() }, "PLAN_REQUIRED", 402),
            (AppError::CapReached { key: "sms.monthlyCap".into(), limit: 500 }, "PLAN_REQUIRED", 402),
            (AppError::LimitReached { key: "users.max".into(), limit: 3 }, "LIMIT_REACHED", 422),
            (AppError::Rule { code: "OTP_EXPIRED", message: "expired".into() }, "OTP_EXPIRED", 422),
            (AppError::Forbidden("no".into()), "FORBIDDEN", 403),
            (AppError::Denied { code: "AUTH_EMAIL_UNVERIFIED", message: "verify".into() }, "AUTH_EMAIL_UNVERIFIED", 403),
            (AppError::NotFound, "NOT_FOUND", 404),
            (AppError::Conflict("dup".into()), "CONFLICT", 409),
            (AppError::Refused { code: "SOLD_IS_FINAL", message: "x".into() }, "SOLD_IS_FINAL", 409),
            (AppError::PreconditionFailed, "PRECONDITION_FAILED", 412),
            (AppError::PayloadTooLarge { limit: 1 }, "PAYLOAD_TOO_LARGE", 413),
            (AppError::RateLimited { retry_after_secs: 1 }, "RATE_LIMIT_EXCEEDED", 429),
            (AppError::Internal("db down".into()), "INTERNAL", 500),
        ];
        for (err, code, status) in cases {
            assert_eq!(err.code(), code);
            assert_eq!(err.status(), status);
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let err = AppError::internal("connection refused to 10.0.0.1");
        assert!(!err.public_message().contains("10.0.0.1"));
    }
}
