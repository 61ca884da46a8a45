//! One registration per function crate, read by both places that run it.
//!
//! A function crate exports a [`Registration`]: its binary's name (as
//! template.yaml's `Metadata.BuildProperties.Binary` names it), its
//! handlers (the values of the `HANDLER` variable, each with the kind of
//! event it takes) and how its application is built. Then
//!
//! * its `main.rs` is one line, [`run`]`(&FUNCTION)`: the Lambda bootstrap
//!   picks the handler `HANDLER` names and runs the matching runtime loop;
//! * the dev server lists the registrations and routes each template
//!   function to [`Function::call`] — a new context is one line there.
//!
//! ```ignore
//! crm_runtime::function! {
//!     binary: "deals",
//!     app: App,
//!     build: App::new,
//!     handlers: { http "api" => App::handle, sqs "deal_relink" => App::handle_relink_batch },
//! }
//! ```
//!
//! The macro writes the `FUNCTION` registration and the [`Function`]
//! impl that routes each handler name to its method: `http` methods take a
//! `Request` and answer a `Response`, `sqs` and `stream` ones take their
//! batch and answer a `BatchResponse`, `json` ones take the event's JSON
//! and answer JSON (or `Result<JSON, String>`).

use aws_config::SdkConfig;
use crm_events::stream::StreamEvent;
use crm_events::{BatchResponse, SqsEvent};
use crm_kernel::Env;
pub use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

/// The event a handler takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// API Gateway HTTP API requests.
    Http,
    /// An SQS event source mapping's batches.
    Sqs,
    /// A DynamoDB stream's batches.
    Stream,
    /// Any JSON: a schedule's event, a direct invocation's payload.
    Json,
}

/// One value of `HANDLER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handler {
    pub name: &'static str,
    pub kind: Kind,
}

impl Handler {
    pub const fn http(name: &'static str) -> Self {
        Self { name, kind: Kind::Http }
    }
    pub const fn sqs(name: &'static str) -> Self {
        Self { name, kind: Kind::Sqs }
    }
    pub const fn stream(name: &'static str) -> Self {
        Self { name, kind: Kind::Stream }
    }
    pub const fn json(name: &'static str) -> Self {
        Self { name, kind: Kind::Json }
    }
}

/// What a handler is given (one per invocation, moved straight into the
/// handler: the size difference between variants costs nothing).
#[allow(clippy::large_enum_variant)]
pub enum Input {
    Http(Request),
    Sqs(SqsEvent),
    Stream(StreamEvent),
    Json(Value),
}

/// What a handler answers.
pub enum Output {
    Http(Response<Body>),
    Batch(BatchResponse),
    Json(Value),
}

/// A built application: one execution environment's warm state.
pub trait Function: Send + Sync {
    /// Runs `handler` on `input`; `Err` for a handler this function does
    /// not have, or an input of the wrong kind ([`mismatch`]).
    fn call<'a>(&'a self, handler: &'a str, input: Input) -> BoxFuture<'a, Result<Output, String>>;
}

/// How a registration builds its application from the configuration.
pub type Build = fn(&SdkConfig, &Env) -> Result<Box<dyn Function>, String>;

/// A function crate's entry in the registry.
pub struct Registration {
    pub binary: &'static str,
    /// The first one is the default when `HANDLER` is unset.
    pub handlers: &'static [Handler],
    pub build: Build,
}

impl Registration {
    pub fn handler(&self, name: &str) -> Option<Handler> {
        self.handlers.iter().find(|h| h.name == name).copied()
    }
}

/// What a `json` handler may answer.
pub trait JsonOutcome {
    fn into_json(self) -> Result<Value, String>;
}

impl JsonOutcome for Value {
    fn into_json(self) -> Result<Value, String> {
        Ok(self)
    }
}

impl JsonOutcome for Result<Value, String> {
    fn into_json(self) -> Result<Value, String> {
        self
    }
}

/// Writes a crate's `FUNCTION` registration and its [`Function`] impl (see the crate docs).
#[macro_export]
macro_rules! function {
    (binary: $binary:literal, app: $app:ty, build: $build:path, handlers: { $($kind:ident $name:literal => $method:path),+ $(,)? } $(,)?) => {
        /// This function's handlers, for its `main.rs` and the dev server.
        pub const FUNCTION: $crate::Registration = $crate::Registration {
            binary: $binary,
            handlers: &[$($crate::Handler::$kind($name)),+],
            build: |config, env| Ok(Box::new($build(config, env)?)),
        };

        impl $crate::Function for $app {
            fn call<'a>(&'a self, handler: &'a str, input: $crate::Input) -> $crate::BoxFuture<'a, Result<$crate::Output, String>> {
                Box::pin(async move {
                    match handler {
                        $($name => $crate::__dispatch!($kind, self, handler, input, $method),)+
                        other => Err(format!("{} has no handler {other}", $binary)),
                    }
                })
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __dispatch {
    (http, $app:expr, $h:expr, $input:expr, $method:path) => {
        match $input {
            $crate::Input::Http(req) => Ok($crate::Output::Http($method($app, req).await)),
            other => Err($crate::mismatch($h, &other)),
        }
    };
    (sqs, $app:expr, $h:expr, $input:expr, $method:path) => {
        match $input {
            $crate::Input::Sqs(event) => Ok($crate::Output::Batch($method($app, event).await)),
            other => Err($crate::mismatch($h, &other)),
        }
    };
    (stream, $app:expr, $h:expr, $input:expr, $method:path) => {
        match $input {
            $crate::Input::Stream(event) => Ok($crate::Output::Batch($method($app, event).await)),
            other => Err($crate::mismatch($h, &other)),
        }
    };
    (json, $app:expr, $h:expr, $input:expr, $method:path) => {
        match $input {
            $crate::Input::Json(event) => $crate::JsonOutcome::into_json($method($app, event).await).map($crate::Output::Json),
            other => Err($crate::mismatch($h, &other)),
        }
    };
}

/// The error for an input a handler does not take.
pub fn mismatch(handler: &str, input: &Input) -> String {
    let kind = match input {
        Input::Http(_) => "an HTTP request",
        Input::Sqs(_) => "an SQS batch",
        Input::Stream(_) => "a stream batch",
        Input::Json(_) => "a JSON event",
    };
    format!("handler {handler} does not take {kind}")
}

/// Decodes a JSON event into the type a handler takes.
pub fn decode<T: serde::de::DeserializeOwned>(handler: &str, value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("{handler} input: {e}"))
}

/// The Lambda bootstrap: loads the configuration (secrets from Secrets
/// Manager), builds the application once, and serves the handler that
/// `HANDLER` names.
pub async fn run(registration: &'static Registration) -> Result<(), Error> {
    crm_http::telemetry::init(registration.binary);
    let (config, env) = crm_secrets::load().await?;
    let app: &'static dyn Function = Box::leak((registration.build)(&config, &env)?);
    let name = std::env::var("HANDLER").ok();
    let handler = match name.as_deref() {
        None => registration.handlers[0],
        Some(n) => registration.handler(n).ok_or_else(|| format!("unknown HANDLER {n} for {}", registration.binary))?,
    };
    let h = handler.name;
    match handler.kind {
        Kind::Http => {
            lambda_http::run(lambda_http::service_fn(move |req| async move {
                match app.call(h, Input::Http(req)).await? {
                    Output::Http(response) => Ok::<_, Error>(response),
                    _ => Err(Error::from(format!("{h} answered an HTTP request with something else"))),
                }
            }))
            .await
        }
        Kind::Sqs => {
            lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move { json(app.call(h, Input::Sqs(e.payload)).await) }))
                .await
        }
        Kind::Stream => {
            lambda_runtime::run(service_fn(
                move |e: LambdaEvent<StreamEvent>| async move { json(app.call(h, Input::Stream(e.payload)).await) },
            ))
            .await
        }
        Kind::Json => {
            lambda_runtime::run(service_fn(move |e: LambdaEvent<Value>| async move { json(app.call(h, Input::Json(e.payload)).await) }))
                .await
        }
    }
}

fn json(out: Result<Output, String>) -> Result<Value, Error> {
    match out? {
        Output::Batch(b) => serde_json::to_value(b).map_err(|e| Error::from(e.to_string())),
        Output::Json(v) => Ok(v),
        Output::Http(_) => Err(Error::from("an HTTP response to a non-HTTP event")),
    }
}
