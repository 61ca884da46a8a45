//! Route tables and dispatch.
//!
//! A bounded context declares its routes as a `&[Route<App>]`: the API
//! Gateway route key, who may call it, and the handler. There is no way to
//! declare a route without an [`Access`]; `dispatch` enforces it before the
//! handler runs, so a handler never sees a caller it did not ask for.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use crm_auth::Permission;
use crm_kernel::AppError;
use lambda_http::{Body, Request, Response};

use crate::{reply, Call, Reply, RequestContext};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, no authorizer (health, webhooks that verify their own signature, sign-up).
    Public,
    /// An authenticated principal holding this permission.
    Permission(Permission),
    /// An authenticated principal holding at least one of these; the
    /// handler requires the one the record at hand needs (a job of
    /// contacts takes `contact.read`, a job of units `unit.read`).
    AnyOf(&'static [Permission]),
}

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Reply, AppError>> + Send + 'a>>;
pub type Handler<S> = for<'a> fn(&'a S, Call) -> HandlerFuture<'a>;

/// One route of a bounded context: the one place it is declared. `make
/// template` deploys it from here (its function, integration, route and
/// permission in the context's stack) and the OpenAPI document describes it.
pub struct Route<S: 'static> {
    /// The API Gateway route key: `POST /v1/notes`.
    pub key: &'static str,
    /// The operation's name, in PascalCase: its function is `{name}Function`
    /// and its OpenAPI `operationId` is `{name}`.
    pub name: &'static str,
    /// One line for people: the function's description and the operation's summary.
    pub summary: &'static str,
    pub access: Access,
    pub handler: Handler<S>,
    /// Its body, query and reply types and its own error codes (`crate::contract`).
    pub contract: crate::Contract,
}

/// Builds a [`Route`] from an `async fn(&App, Call) -> Result<Reply, AppError>`:
/// `route!("GET /v1/notes", "NotesList", access, handler, "List notes")`,
/// then, in this order and each optional, its contract: `body: T`,
/// `query: Q`, `reply: R` and `errors: [401 "CODE", 422 "OTHER", …]`.
#[macro_export]
macro_rules! route {
    ($key:literal, $name:literal, $access:expr, $handler:path, $summary:literal
        $(, body: $body:ty)? $(, query: $query:ty)? $(, reply: $reply:ty)? $(, errors: [$($status:literal $code:literal),* $(,)?])? $(,)?) => {
        $crate::Route {
            key: $key,
            name: $name,
            summary: $summary,
            access: $access,
            handler: |state, call| Box::pin($handler(state, call)),
            contract: $crate::Contract {
                body: $crate::route!(@shape $($body)?),
                query: $crate::route!(@shape $($query)?),
                reply: $crate::route!(@shape $($reply)?),
                errors: &[$($(($status, $code)),*)?],
            },
        }
    };
    (@shape) => { None };
    (@shape $t:ty) => { Some($crate::contract::shape::<$t>()) };
}

fn authorize(access: Access, ctx: &RequestContext) -> Result<(), AppError> {
    let principal = || ctx.principal.as_ref().ok_or(AppError::Unauthenticated);
    match access {
        Access::Public => return Ok(()),
        Access::Permission(p) => principal()?.require(p)?,
        Access::AnyOf(any) => {
            let principal = principal()?;
            if !any.iter().any(|p| principal.require(*p).is_ok()) {
                let codes: Vec<&str> = any.iter().map(|p| p.code()).collect();
                return Err(AppError::Forbidden(format!("missing one of the permissions `{}`", codes.join("`, `"))));
            }
        }
    }
    match ctx.rate {
        Some(rate) if rate.remaining < 0 => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
            Err(AppError::RateLimited { retry_after_secs: (rate.reset - now).max(1) as u64 })
        }
        _ => Ok(()),
    }
}

/// The entry point of a route binary: finds the route by `routeKey`, checks
/// access, runs the handler and renders the envelope. Never panics on input.
pub async fn dispatch<S>(routes: &[Route<S>], state: &S, req: Request) -> Response<Body> {
    dispatch_noting_refusals(routes, state, req).await.0
}

/// A request an authenticated caller was refused for a security rule: a
/// `403`, or a `422` whose code names such a rule. The context audits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub tenant_id: crm_kernel::TenantId,
    pub user_id: crm_kernel::UserId,
    pub route: String,
    pub request_id: String,
    pub source_ip: String,
    pub code: String,
    pub message: String,
}

/// The `422` codes of security rules (their refusals are audited like `403`s).
pub const SECURITY_RULES: &[&str] =
    &["LAST_SUPER_ADMIN", "ENTITLEMENT_ABOVE_PLAN", "OTP_BUDGET_EXHAUSTED", "TEMPLATE_SECRET_EXPOSED", "ROLE_CYCLE"];

fn refusal(ctx: &RequestContext, result: &Result<crate::Reply, AppError>) -> Option<Refusal> {
    let (Err(e), Some(p)) = (result, &ctx.principal) else { return None };
    (e.status() == 403 || SECURITY_RULES.contains(&e.code())).then(|| Refusal {
        tenant_id: p.tenant_id,
        user_id: p.user_id,
        route: ctx.route_key.clone(),
        request_id: ctx.request_id.clone(),
        source_ip: ctx.source_ip.clone(),
        code: e.code().to_string(),
        message: e.public_message(),
    })
}

/// A handler's result, with a panic caught: answered as our `500 INTERNAL`
/// envelope (its cause withheld), logged with the route, and counted
/// (`HandlerPanics`, by route). One bad request never takes the execution
/// environment, or the envelope, down with it.
async fn guarded<F>(ctx: &RequestContext, handler: F) -> Result<crate::Reply, AppError>
where
    F: std::future::Future<Output = Result<crate::Reply, AppError>>,
{
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(handler).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let what =
                panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
            tracing::error!(route = %ctx.route_key, request_id = %ctx.request_id, panic = %what, "handler panicked");
            crate::metrics::emit(&[("Route", ctx.route_key.as_str())], &[("HandlerPanics", 1.0)]);
            Err(AppError::internal(format!("handler panicked: {what}")))
        }
    }
}

/// [`dispatch`], also answering the refusal (if any) for the audit log.
pub async fn dispatch_noting_refusals<S>(routes: &[Route<S>], state: &S, req: Request) -> (Response<Body>, Option<Refusal>) {
    let started = Instant::now();
    let ctx = RequestContext::from_request(&req);
    let result = match routes.iter().find(|r| r.key == ctx.route_key) {
        None => Err(AppError::RouteNotFound),
        Some(route) => match authorize(route.access, &ctx) {
            Ok(()) => {
                let (result, seen) = crate::contract::watched(guarded(&ctx, (route.handler)(state, Call::new(ctx.clone(), req)))).await;
                match crate::contract::strayed(&route.contract, &seen) {
                    Some(how) if result.is_ok() || seen.reply.is_none() => {
                        tracing::error!(route = %ctx.route_key, contract = %how, "a handler strayed from its route's contract");
                        // Debug builds (the dev server, every test) fail loudly; a deployed one answers.
                        if cfg!(debug_assertions) {
                            Err(AppError::internal(format!("contract of {}: {how}", ctx.route_key)))
                        } else {
                            result
                        }
                    }
                    _ => result,
                }
            }
            Err(e) => Err(e),
        },
    };
    let refused = refusal(&ctx, &result);
    let mut response = reply::render(&ctx, result);
    if let Some(rate) = ctx.rate {
        let h = response.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", i64::from(rate.limit)),
            ("x-ratelimit-remaining", rate.remaining.max(0)),
            ("x-ratelimit-reset", rate.reset),
        ] {
            if let Ok(v) = lambda_http::http::HeaderValue::from_str(&value.to_string()) {
                h.insert(name, v);
            }
        }
    }
    tracing::info!(
        request_id = %ctx.request_id,
        route = %ctx.route_key,
        tenant_id = ctx.principal.as_ref().map(|p| p.tenant_id.to_string()).unwrap_or_default(),
        status = response.status().as_u16(),
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    (response, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_internal_and_the_next_request_is_served() {
        let ctx = RequestContext::from_request(&Request::default());
        let panicked = guarded(&ctx, async {
            let body = serde_json::json!([]);
            // What a handler indexing a JSON array as an object does.
            let _ = &body["first_name"].as_str().expect("a first name");
            Ok(crate::Reply::no_content())
        })
        .await;
        assert!(matches!(panicked, Err(AppError::Internal(_))), "{panicked:?}");
        assert_eq!(panicked.unwrap_err().code(), "INTERNAL");
        let fine = guarded(&ctx, async { Ok(crate::Reply::no_content()) }).await;
        assert!(fine.is_ok());
    }
}
