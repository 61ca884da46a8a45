//! The OpenAPI 3.1 document, generated from the contexts' route tables: each
//! route's key, name, summary and access, and, where it declares them, the
//! JSON Schemas of its body, query and reply (schemars, from the types the
//! handler parses and answers; `crm_http::contract`) and its own error
//! codes. Written to docs/openapi.json and served by `GET /v1/openapi.json`.

use std::collections::BTreeSet;

use crm_http::contract::schemars::generate::SchemaSettings;
use crm_http::Access;
use serde_json::{json, Map, Value};

use crate::catalogue::{self, RouteInfo};

/// `(route key, access)` of every route table linked in.
pub fn declared_access() -> Vec<(&'static str, Access)> {
    catalogue::routes().into_iter().map(|r| (r.key, r.access)).collect()
}

/// `(status, code)` of the errors a route can answer: those of every route
/// of its kind (the envelope's codes and statuses, `crm_kernel::AppError`), and its own.
pub fn error_codes(route: &RouteInfo) -> BTreeSet<(u16, &'static str)> {
    let status_of = |code: &str| match code {
        "VALIDATION_ERROR" => 400,
        "UNAUTHENTICATED" => 401,
        "FORBIDDEN" => 403,
        "NOT_FOUND" => 404,
        "CONFLICT" => 409,
        "PAYLOAD_TOO_LARGE" => 413,
        "RATE_LIMIT_EXCEEDED" => 429,
        "INTERNAL" => 500,
        _ => 422,
    };
    let mut codes = BTreeSet::from(["INTERNAL"]);
    let has_path_params = route.path().contains('{');
    let takes_input = has_path_params || route.contract.body.is_some() || route.contract.query.is_some() || route.method() != "GET";
    if takes_input {
        codes.insert("VALIDATION_ERROR");
    }
    if route.method() != "GET" && route.method() != "DELETE" {
        codes.insert("PAYLOAD_TOO_LARGE");
    }
    if has_path_params {
        codes.insert("NOT_FOUND");
    }
    if !route.public() {
        codes.extend(["UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMIT_EXCEEDED"]);
        if route.method() == "POST" {
            codes.extend(["IDEMPOTENCY_KEY_REUSED", "CONFLICT"]);
        }
    }
    let mut out: BTreeSet<(u16, &'static str)> = codes.into_iter().map(|c| (status_of(c), c)).collect();
    out.extend(route.contract.errors.iter().copied());
    out
}

/// Shared responses, by name (`components/responses`).
type Responses = std::collections::BTreeMap<String, Value>;

fn operation(route: &RouteInfo, generator: &mut crm_http::contract::schemars::SchemaGenerator, shared: &mut Responses) -> Value {
    let mut op = json!({
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.path().trim_start_matches("/v1/").split('/').next().unwrap_or_default()],
    });
    match route.access {
        Access::Permission(p) => {
            op["security"] = json!([{ "bearer": [] }]);
            op["x-permission"] = json!(p.code());
        }
        Access::AnyOf(any) => {
            op["security"] = json!([{ "bearer": [] }]);
            op["x-permission-any-of"] = json!(any.iter().map(|p| p.code()).collect::<Vec<_>>());
        }
        Access::Public => op["security"] = json!([]),
    }
    let mut params: Vec<Value> = route
        .path()
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": path_schema(name) }))
        .collect();
    if let Some(query) = route.contract.query {
        let schema = Value::from((query.inline)(generator));
        let required: BTreeSet<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let mut p = json!({ "name": name, "in": "query", "required": required.contains(name.as_str()), "schema": not_null(property) });
            if let Some(d) = property.get("description") {
                p["description"] = d.clone();
            }
            params.push(p);
        }
    }
    if route.method() == "POST" && !route.public() {
        params.push(json!({ "$ref": "#/components/parameters/IdempotencyKey" }));
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    if let Some(body) = route.contract.body {
        op["requestBody"] =
            json!({ "required": true, "content": { "application/json": { "schema": Value::from((body.schema)(generator)) } } });
    }
    let success = match route.contract.reply {
        Some(reply) if crm_http::contract::NoContent::is(&reply) => json!({ "description": "No Content" }),
        Some(reply) if crm_http::contract::document_type(&reply).is_some() => {
            let kind = crm_http::contract::document_type(&reply).unwrap_or("text/plain");
            json!({ "description": "Success", "content": { kind: { "schema": { "type": "string" } } } })
        }
        Some(reply) => json!({
            "description": "Success",
            "content": { "application/json": { "schema": { "allOf": [
                { "$ref": "#/components/schemas/Envelope" },
                { "type": "object", "required": ["data"], "properties": { "data": Value::from((reply.schema)(generator)) } },
            ] } } },
        }),
        None => {
            shared.entry("Success".into()).or_insert_with(|| {
                json!({ "description": "Success", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Envelope" } } } })
            });
            json!({ "$ref": "#/components/responses/Success" })
        }
    };
    let mut responses = Map::new();
    let no_content = route.contract.reply.is_some_and(|r| crm_http::contract::NoContent::is(&r));
    responses.insert(if no_content { "204" } else { "2XX" }.into(), success);
    let codes = error_codes(route);
    let mut by_status: std::collections::BTreeMap<u16, Vec<&str>> = Default::default();
    for (status, code) in &codes {
        by_status.entry(*status).or_default().push(code);
    }
    for (status, codes) in by_status {
        let name = format!("E{status}_{}", codes.join("_"));
        shared.entry(name.clone()).or_insert_with(|| {
            json!({
                "description": codes.join(", "),
                "content": { "application/json": { "schema": { "allOf": [
                    { "$ref": "#/components/schemas/Error" },
                    { "type": "object", "properties": { "error": { "type": "object", "properties": { "code": { "enum": codes } } } } },
                ] } } },
            })
        });
        responses.insert(status.to_string(), json!({ "$ref": format!("#/components/responses/{name}") }));
    }
    op["responses"] = Value::Object(responses);
    op["x-error-codes"] = json!(codes.iter().map(|(_, c)| c).collect::<BTreeSet<_>>());
    op
}

pub fn document() -> Result<Value, String> {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let mut paths: Map<String, Value> = Map::new();
    let mut shared = Responses::new();
    for route in catalogue::routes() {
        if route.path() == "$default" {
            continue; // the default route is not an operation
        }
        let entry = paths.entry(route.path().to_string()).or_insert_with(|| json!({}));
        entry[route.method().to_ascii_lowercase()] = operation(&route, &mut generator, &mut shared);
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "Envelope".into(),
        json!({
            "type": "object",
            "required": ["success", "data", "meta"],
            "properties": {
                "success": { "const": true },
                "data": {},
                "meta": { "type": "object", "properties": { "requestId": { "type": "string" }, "timestamp": { "type": "string", "format": "date-time" } } },
                "pagination": { "type": "object", "properties": { "limit": { "type": "integer" }, "nextCursor": { "type": ["string", "null"] }, "hasNext": { "type": "boolean" } } },
            },
        }),
    );
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["success", "error", "meta"],
            "properties": {
                "success": { "const": false },
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": { "type": "string" },
                        "message": { "type": "string" },
                        "details": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } },
                    },
                },
                "meta": { "type": "object" },
            },
        }),
    );
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "CRM API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Multi-tenant sales and real-estate CRM. JSON in snake_case; every answer is an envelope; lists use cursor pagination. Creates accept an Idempotency-Key.",
        },
        "servers": [{ "url": "http://127.0.0.1:3000", "description": "local stack (make dev)" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA)" } },
            "schemas": schemas,
            "responses": shared,
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key", "in": "header", "required": false,
                    "description": "Retry-safe create: the same key with the same body within 24 h answers the first response (Idempotent-Replayed: true); with another body, 422 IDEMPOTENCY_KEY_REUSED.",
                    "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$" },
                },
            },
        },
    }))
}

/// A query parameter's schema without its `null`: an absent parameter is
/// the Rust `None`, and a query string has no null.
fn not_null(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Some(types) = s.get("type").and_then(Value::as_array) {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        s["type"] = if kept.len() == 1 { kept[0].clone() } else { Value::Array(kept) };
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
        let kept: Vec<Value> = any.iter().filter(|t| t.get("type") != Some(&json!("null"))).cloned().collect();
        if kept.len() == 1 {
            let description = s.get("description").cloned();
            s = kept[0].clone();
            if let Some(d) = description {
                s["description"] = d;
            }
        }
    }
    s
}

/// A path parameter's schema: a record's id (`id`, `stageId`, …) is a ULID.
fn path_schema(name: &str) -> Value {
    match name {
        "id" => Value::from(crm_kernel::schema::ulid()),
        n if n.ends_with("Id") => Value::from(crm_kernel::schema::ulid()),
        // `/v1/auth/twofa/{channel}/…`: the second factors.
        "channel" => json!({ "type": "string", "enum": ["sms", "whatsapp"] }),
        // `/v1/admin/entitlements/overrides/{scope}`.
        "scope" => json!({ "type": "string", "enum": ["tenant", "group", "user"] }),
        _ => json!({ "type": "string", "minLength": 1 }),
    }
}
