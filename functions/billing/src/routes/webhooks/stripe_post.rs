//! `POST /v1/webhooks/stripe` — Stripe's events, verified by
//! `Stripe-Signature` over the raw body, applied once each
//! ([`crate::stripe_events`]). A bad signature is `400` and changes nothing
//! but the refusal's own log entry (`status_code`, `error_message`).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let now = Timestamp::now();
    let raw = call.body_bytes()?;
    let event = match crate::stripe_events::verify(app, call.header("stripe-signature"), raw, now) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(code = e.code(), reason = %e, "Stripe webhook refused");
            crate::stripe_events::log_refusal(app, raw, &e, now).await;
            return Err(e);
        }
    };
    Ok(Reply::ok(crate::stripe_events::apply(app, &event, raw, now).await?))
}
