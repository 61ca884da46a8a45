//! Responses: the envelope (`{success, data | error, meta}`, as the README shows), errors with stable codes, and the
//! headers every response carries.

use crm_kernel::{AppError, Limit, Timestamp};
use lambda_http::http::{HeaderName, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::{json, Value};

use crate::RequestContext;

/// A successful answer, before it is wrapped in the envelope.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    data: Option<Value>,
    pagination: Option<Value>,
    headers: Vec<(String, String)>,
    /// Sent as is, without the envelope (OpenAPI document).
    bare: bool,
    /// A text body with its content type (the API reference page, a plan's SVG).
    text: Option<(&'static str, std::borrow::Cow<'static, str>)>,
}

impl Reply {
    pub fn ok(data: impl Serialize) -> Self {
        Self::with_status(200, data)
    }

    /// `201 Created` with `Location`.
    pub fn created(location: impl Into<String>, data: impl Serialize) -> Self {
        Self::with_status(201, data).header("location", location)
    }

    pub fn no_content() -> Self {
        crate::contract::saw_reply(std::any::type_name::<crate::contract::NoContent>());
        Self { status: 204, data: None, pagination: None, headers: Vec::new(), bare: false, text: None }
    }

    /// A page of a list, with cursor pagination.
    pub fn list(items: impl Serialize, limit: Limit, next_cursor: Option<String>) -> Self {
        let mut r = Self::ok(items);
        r.pagination = Some(json!({ "limit": limit.get(), "nextCursor": next_cursor, "hasNext": next_cursor.is_some() }));
        r
    }

    /// A static text document (`text/html`, `text/javascript`), without the envelope.
    pub fn text(content_type: &'static str, body: &'static str) -> Self {
        Self { status: 200, data: None, pagination: None, headers: Vec::new(), bare: true, text: Some((content_type, body.into())) }
    }

    /// A document made for this request: an SVG image (`reply: SvgDocument`).
    pub fn svg(body: String) -> Self {
        crate::contract::saw_reply(std::any::type_name::<crate::contract::SvgDocument>());
        Self { text: Some(("image/svg+xml; charset=utf-8", body.into())), ..Self::text("image/svg+xml", "") }
    }

    /// A document made for this request: an HTML page (`reply: HtmlDocument`).
    pub fn html(body: String) -> Self {
        crate::contract::saw_reply(std::any::type_name::<crate::contract::HtmlDocument>());
        Self { text: Some(("text/html; charset=utf-8", body.into())), ..Self::text("text/html", "") }
    }

    /// A JSON document without the envelope.
    pub fn bare(data: impl Serialize) -> Self {
        Self { bare: true, ..Self::ok(data) }
    }

    pub fn with_status<T: Serialize>(status: u16, data: T) -> Self {
        crate::contract::saw_reply(std::any::type_name::<T>());
        let data = serde_json::to_value(data).expect("response data serialises");
        Self { status, data: Some(data), pagination: None, headers: Vec::new(), bare: false, text: None }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// `ETag` of a versioned entity.
    pub fn etag(self, version: u64) -> Self {
        self.header("etag", format!("\"{version}\""))
    }

    pub fn status(&self) -> u16 {
        self.status
    }
}

fn meta(ctx: &RequestContext) -> Value {
    json!({ "requestId": ctx.request_id, "timestamp": Timestamp::now().to_string() })
}

/// The headers every API response carries.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("cache-control", "no-store"),
];

fn response(ctx: &RequestContext, status: u16, body: Option<Value>, extra: &[(String, String)]) -> Response<Body> {
    match body {
        Some(v) => respond(ctx, status, Some("application/json"), Body::Text(v.to_string()), extra),
        None => respond(ctx, status, None, Body::Empty, extra),
    }
}

fn respond(ctx: &RequestContext, status: u16, content_type: Option<&str>, body: Body, extra: &[(String, String)]) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = Response::builder().status(status).body(body).expect("valid response");
    let headers = resp.headers_mut();
    let mut set = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(n, v);
        }
    };
    for (k, v) in SECURITY_HEADERS {
        set(k, v);
    }
    set("x-request-id", &ctx.request_id);
    if let Some(ct) = content_type {
        set("content-type", ct);
    }
    // Handler headers come last and replace defaults (e.g. a cacheable document).
    for (k, v) in extra {
        set(k, v);
    }
    resp
}

/// Renders a handler's result.
pub fn render(ctx: &RequestContext, result: Result<Reply, AppError>) -> Response<Body> {
    match result {
        Ok(reply) if reply.status == 204 => response(ctx, 204, None, &reply.headers),
        Ok(Reply { status, text: Some((content_type, text)), headers, .. }) => {
            respond(ctx, status, Some(content_type), Body::Text(text.into_owned()), &headers)
        }
        Ok(reply) if reply.bare => response(ctx, reply.status, reply.data, &reply.headers),
        Ok(reply) => {
            let mut body = json!({ "success": reply.status < 400, "data": reply.data, "meta": meta(ctx) });
            if let Some(p) = reply.pagination {
                body["pagination"] = p;
            }
            response(ctx, reply.status, Some(body), &reply.headers)
        }
        Err(err) => render_error(ctx, &err),
    }
}

/// Renders an error in the envelope, with the headers its code calls for.
pub fn render_error(ctx: &RequestContext, err: &AppError) -> Response<Body> {
    if let AppError::Internal(cause) = err {
        tracing::error!(request_id = %ctx.request_id, %cause, "internal error");
    }
    let mut error = json!({ "code": err.code(), "message": err.public_message() });
    if !err.details().is_empty() {
        error["details"] = serde_json::to_value(err.details()).expect("details serialise");
    }
    match err {
        AppError::PlanRequired { feature } => error["feature"] = json!(feature),
        AppError::LimitReached { key, limit } | AppError::CapReached { key, limit } => {
            error["key"] = json!(key);
            error["limit"] = json!(limit);
        }
        _ => {}
    }
    let mut headers = Vec::new();
    if let AppError::RateLimited { retry_after_secs } = err {
        headers.push(("retry-after".to_string(), retry_after_secs.to_string()));
    }
    let body = json!({ "success": false, "error": error, "meta": meta(ctx) });
    response(ctx, err.status(), Some(body), &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> RequestContext {
        RequestContext {
            request_id: "req-1".into(),
            route_key: "GET /x".into(),
            principal: None,
            source_ip: String::new(),
            user_agent: String::new(),
            rate: None,
        }
    }

    fn body(resp: &Response<Body>) -> Value {
        match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            _ => Value::Null,
        }
    }

    #[test]
    fn success_envelope_with_pagination() {
        let resp = render(&ctx(), Ok(Reply::list(vec![1, 2], Limit::default(), Some("c".into()))));
        let b = body(&resp);
        assert_eq!(b["success"], true);
        assert_eq!(b["data"], json!([1, 2]));
        assert_eq!(b["meta"]["requestId"], "req-1");
        assert_eq!(b["pagination"], json!({"limit": 25, "nextCursor": "c", "hasNext": true}));
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        assert_eq!(resp.headers()["x-request-id"], "req-1");
    }

    #[test]
    fn error_envelope_with_details_and_headers() {
        let resp = render(&ctx(), Err(AppError::invalid("title", "required")));
        assert_eq!(resp.status(), 400);
        let b = body(&resp);
        assert_eq!(b["success"], false);
        assert_eq!(b["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(b["error"]["details"][0]["field"], "title");

        let resp = render(&ctx(), Err(AppError::RateLimited { retry_after_secs: 7 }));
        assert_eq!(resp.headers()["retry-after"], "7");
        let resp = render(&ctx(), Err(AppError::LimitReached { key: "users.max".into(), limit: 3 }));
        assert_eq!(body(&resp)["error"]["key"], "users.max");
    }

    #[test]
    fn no_content_has_no_body() {
        let resp = render(&ctx(), Ok(Reply::no_content()));
        assert_eq!(resp.status(), 204);
        assert!(matches!(resp.body(), Body::Empty));
    }
}
