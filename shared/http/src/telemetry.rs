//! Structured JSON logs (`tracing`), one line per event, with the function
//! name on every line. Secrets and tokens are never logged.

/// Installs the JSON subscriber; `RUST_LOG` filters (default `info`).
pub fn init(function: &'static str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(false).with_target(false).without_time().try_init();
    tracing::debug!(function, "telemetry ready");
}
