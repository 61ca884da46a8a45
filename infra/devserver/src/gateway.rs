//! The HttpApi as API Gateway runs it: match the route declared in
//! template.yaml, answer CORS preflights from its `CorsConfiguration`, build
//! the payload-2.0 event, run the Lambda authorizer (unless the route is
//! `Authorizer: NONE`), call the route's function and turn its response into
//! HTTP.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{to_bytes, Body as AxumBody};
use axum::extract::{Request as AxumRequest, State};
use axum::response::Response as AxumResponse;
use base64::{engine::general_purpose::STANDARD, Engine};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::model::{FunctionSpec, Trigger};
use crate::Stack;

/// API Gateway's own payload limit for HTTP APIs (10 MB); the functions
/// enforce the API's smaller limit themselves.
pub const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

/// A route declared in template.yaml.
#[derive(Debug, Clone)]
pub struct RouteEntry {
    pub method: String,
    pub path: String,
    pub public: bool,
    pub function: usize,
}

/// The route key of the API's default route: it takes what no route matches.
pub const DEFAULT_ROUTE: &str = "$default";

impl RouteEntry {
    pub fn key(&self) -> String {
        if self.path == DEFAULT_ROUTE {
            return DEFAULT_ROUTE.to_string();
        }
        format!("{} {}", self.method, self.path)
    }
}

pub fn routes(specs: &[FunctionSpec]) -> Vec<RouteEntry> {
    let mut out = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        for t in &spec.triggers {
            if let Trigger::Http { method, path, public } = t {
                out.push(RouteEntry { method: method.clone(), path: path.clone(), public: *public, function: i });
            }
        }
    }
    out
}

/// Matches a request path against a route template; returns the path
/// parameters. `{name}` takes one segment, `{name+}` the rest.
pub fn match_path(template: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut params = BTreeMap::new();
    for (i, seg) in t.iter().enumerate() {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
            if i >= p.len() || p[i..].iter().all(|s| s.is_empty()) {
                return None;
            }
            params.insert(name.to_string(), decode(&p[i..].join("/")));
            return Some(params);
        }
        let actual = p.get(i)?;
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if actual.is_empty() {
                return None;
            }
            params.insert(name.to_string(), decode(actual));
        } else if seg != actual {
            return None;
        }
    }
    (t.len() == p.len()).then_some(params)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The most specific route for a request: literal segments beat
/// parameters, a named method beats `ANY`; `$default` takes the rest.
pub fn find_route<'a>(routes: &'a [RouteEntry], method: &str, path: &str) -> Option<(&'a RouteEntry, BTreeMap<String, String>)> {
    routes
        .iter()
        .filter(|r| r.path != DEFAULT_ROUTE && (r.method == method || r.method == "ANY"))
        .filter_map(|r| match_path(&r.path, path).map(|p| (r, p)))
        .max_by_key(|(r, _)| {
            let literals = r.path.split('/').filter(|s| !s.starts_with('{')).count();
            let greedy = r.path.contains("+}");
            (!greedy, literals, r.method != "ANY")
        })
        .or_else(|| routes.iter().find(|r| r.path == DEFAULT_ROUTE).map(|r| (r, BTreeMap::new())))
}

/// CORS as the HttpApi's `CorsConfiguration` declares it.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub allow_credentials: bool,
    pub max_age: Option<i64>,
}

impl Cors {
    pub fn from_template(config: &serde_yaml::Value) -> Self {
        let list = |k: &str| -> Vec<String> {
            match config.get(k) {
                Some(serde_yaml::Value::Sequence(s)) => s.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
                Some(serde_yaml::Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
                _ => Vec::new(),
            }
        };
        Self {
            allow_origins: list("AllowOrigins"),
            allow_methods: list("AllowMethods"),
            allow_headers: list("AllowHeaders"),
            expose_headers: list("ExposeHeaders"),
            allow_credentials: config.get("AllowCredentials").and_then(serde_yaml::Value::as_bool).unwrap_or(false),
            max_age: config.get("MaxAge").and_then(serde_yaml::Value::as_i64),
        }
    }

    fn allowed(&self, origin: &str) -> bool {
        self.allow_origins.iter().any(|o| o == "*" || o == origin)
    }

    fn decorate(&self, origin: Option<&str>, headers: &mut HeaderMap) {
        let Some(origin) = origin.filter(|o| self.allowed(o)) else {
            return;
        };
        let mut set = |k: &'static str, v: String| {
            if let Ok(v) = HeaderValue::from_str(&v) {
                headers.insert(k, v);
            }
        };
        set("access-control-allow-origin", origin.to_string());
        if self.allow_credentials {
            set("access-control-allow-credentials", "true".into());
        }
        if !self.expose_headers.is_empty() {
            set("access-control-expose-headers", self.expose_headers.join(","));
        }
        set("vary", "origin".into());
    }

    fn preflight(&self, origin: Option<&str>) -> AxumResponse {
        let mut resp = AxumResponse::builder().status(StatusCode::NO_CONTENT).body(AxumBody::empty()).expect("response");
        if let Some(o) = origin.filter(|o| self.allowed(o)) {
            let h = resp.headers_mut();
            self.decorate(Some(o), h);
            let mut set = |k: &'static str, v: String| {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    h.insert(k, v);
                }
            };
            set("access-control-allow-methods", self.allow_methods.join(","));
            set("access-control-allow-headers", self.allow_headers.join(","));
            if let Some(age) = self.max_age {
                set("access-control-max-age", age.to_string());
            }
        }
        resp
    }
}

fn gateway_error(status: StatusCode, message: &str) -> AxumResponse {
    // API Gateway's own error bodies (not the API's envelope): what a client
    // sees when the gateway, not a function, answers.
    AxumResponse::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(AxumBody::from(json!({ "message": message }).to_string()))
        .expect("response")
}

struct Incoming {
    method: String,
    path: String,
    raw_query: String,
    headers: Map<String, Value>,
    cookies: Vec<String>,
    query: Map<String, Value>,
    source_ip: String,
    user_agent: String,
}

fn incoming(req: &AxumRequest) -> Incoming {
    let mut headers: Map<String, Value> = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in req.headers() {
        let v = value.to_str().unwrap_or_default().to_string();
        if name == "cookie" {
            cookies.extend(v.split(';').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()));
            continue;
        }
        match headers.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                headers.insert(name.as_str().to_string(), Value::String(v));
            }
        }
    }
    let raw_query = req.uri().query().unwrap_or_default().to_string();
    let mut query: Map<String, Value> = Map::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        match query.get_mut(k.as_ref()) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                query.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
    }
    // API Gateway reports the client's address; locally a client may stand
    // in for another through `X-Forwarded-For` (first entry), as behind a proxy.
    let source_ip = headers
        .get("x-forwarded-for")
        .and_then(Value::as_str)
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "127.0.0.1".into());
    let user_agent = headers.get("user-agent").and_then(Value::as_str).unwrap_or_default().to_string();
    Incoming {
        method: req.method().as_str().to_string(),
        path: req.uri().path().to_string(),
        raw_query,
        headers,
        cookies,
        query,
        source_ip,
        user_agent,
    }
}

fn request_context(inc: &Incoming, route_key: &str, request_id: &str) -> Value {
    let now = chrono::Utc::now();
    json!({
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": inc.headers.get("host").and_then(Value::as_str).unwrap_or("127.0.0.1"),
        "domainPrefix": "local",
        "http": { "method": inc.method, "path": inc.path, "protocol": "HTTP/1.1", "sourceIp": inc.source_ip, "userAgent": inc.user_agent },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": now.timestamp_millis(),
    })
}

/// Serves one request end to end.
pub async fn serve(State(stack): State<Arc<Stack>>, req: AxumRequest) -> AxumResponse {
    let origin = req.headers().get("origin").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut response = serve_inner(&stack, req, origin.as_deref()).await;
    stack.cors.decorate(origin.as_deref(), response.headers_mut());
    response
}

async fn serve_inner(stack: &Arc<Stack>, req: AxumRequest, origin: Option<&str>) -> AxumResponse {
    if req.uri().path().starts_with("/_local/") {
        return crate::local_api::serve(stack, req).await;
    }
    if req.method() == Method::OPTIONS && req.headers().contains_key("access-control-request-method") {
        return stack.cors.preflight(origin);
    }
    let inc = incoming(&req);
    let Some((route, params)) = find_route(&stack.routes, &inc.method, &inc.path) else {
        return gateway_error(StatusCode::NOT_FOUND, "Not Found");
    };
    let body = match to_bytes(req.into_body(), GATEWAY_MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
    };
    let request_id = ulid::Ulid::new().to_string();
    let route_key = route.key();
    let mut context = request_context(&inc, &route_key, &request_id);
    let mut authorizer_calls = None;

    if !route.public {
        let auth_event = json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": format!("arn:aws:execute-api:us-east-1:123456789012:local/$default/{}{}", inc.method, inc.path),
            "identitySource": [],
            "routeKey": route_key,
            "rawPath": inc.path,
            "rawQueryString": inc.raw_query,
            "cookies": inc.cookies,
            "headers": inc.headers,
            "queryStringParameters": inc.query,
            "requestContext": context,
            "pathParameters": params,
            "stageVariables": {},
        });
        let auth_request = match serde_json::from_value(auth_event) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the authorizer event");
                return gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
        };
        let (decision, calls) = crm_store::calls::counting(stack.functions.authorize(&auth_request)).await;
        authorizer_calls = Some(calls);
        if !decision.is_authorized {
            return gateway_error(StatusCode::FORBIDDEN, "Forbidden");
        }
        context["authorizer"] = json!({ "lambda": decision.context });
    }

    let (body_text, is_base64) = match std::str::from_utf8(&body) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (STANDARD.encode(&body), true),
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": inc.path,
        "rawQueryString": inc.raw_query,
        "cookies": inc.cookies,
        "headers": inc.headers,
        "requestContext": context,
        "isBase64Encoded": is_base64,
    });
    if !inc.query.is_empty() {
        event["queryStringParameters"] = Value::Object(inc.query.clone());
    }
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    if !body.is_empty() {
        event["body"] = Value::String(body_text);
    }
    let lambda_request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the API Gateway event");
            return gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
    };
    let spec = stack.specs[route.function].clone();
    let functions = stack.functions.clone();
    // Run like a Lambda invocation: a panic is a failed invocation (500), not a dead server.
    let result = tokio::spawn(crm_store::calls::counting(async move { functions.http(&spec, lambda_request).await })).await;
    match result {
        Ok((Ok(resp), calls)) => {
            // The request's DynamoDB calls, for the cost bench (`make bench-calls`).
            let mut out = to_axum(resp);
            let headers = out.headers_mut();
            for (name, c) in [("x-local-ddb-authorizer", authorizer_calls), ("x-local-ddb-function", Some(calls))] {
                if let Some(v) = c.and_then(|c| crm_store::calls::render(&c).parse().ok()) {
                    headers.insert(name, v);
                }
            }
            out
        }
        Ok((Err(e), _)) => {
            tracing::error!(error = %e, "function failed");
            gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Err(join) => {
            tracing::error!(error = %join, route = %route.key(), "function panicked");
            gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

fn to_axum(resp: lambda_http::Response<lambda_http::Body>) -> AxumResponse {
    let (parts, body) = resp.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    let mut out = AxumResponse::builder().status(parts.status).body(AxumBody::from(bytes)).expect("response");
    *out.headers_mut() = parts.headers;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(method: &str, path: &str) -> RouteEntry {
        RouteEntry { method: method.into(), path: path.into(), public: false, function: 0 }
    }

    #[test]
    fn matches_parameters_and_prefers_literals() {
        let routes = vec![
            entry("GET", "/v1/notes/{id}"),
            entry("GET", "/v1/notes/export"),
            entry("ANY", "/v1/files/{path+}"),
            entry("GET", "/v1/notes"),
            entry("ANY", DEFAULT_ROUTE),
        ];
        let (r, p) = find_route(&routes, "GET", "/v1/notes/01ABC").unwrap();
        assert_eq!(r.path, "/v1/notes/{id}");
        assert_eq!(p["id"], "01ABC");
        assert_eq!(find_route(&routes, "GET", "/v1/notes/export").unwrap().0.path, "/v1/notes/export");
        assert_eq!(find_route(&routes, "GET", "/v1/notes").unwrap().0.path, "/v1/notes");
        assert_eq!(find_route(&routes, "DELETE", "/v1/files/a/b").unwrap().1["path"], "a/b");
        assert_eq!(find_route(&routes, "DELETE", "/v1/notes").unwrap().0.key(), "$default");
        assert_eq!(find_route(&routes, "GET", "/nope/at/all").unwrap().0.key(), "$default");
    }

    #[test]
    fn decodes_path_parameters() {
        assert_eq!(match_path("/v1/x/{id}", "/v1/x/a%20b").unwrap()["id"], "a b");
        assert!(match_path("/v1/x/{id}", "/v1/x/").is_none());
        assert!(match_path("/v1/x", "/v1/x/y").is_none());
    }
}
