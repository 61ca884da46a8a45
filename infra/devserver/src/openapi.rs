//! The OpenAPI 3.1 document, generated from template.yaml (routes,
//! descriptions, public or not) and the contexts' route tables (permission
//! codes). Written to docs/openapi.json and served by `GET /v1/openapi.json`.

use crm_http::Access;
use serde_json::{json, Map, Value};

use crate::model::{self, Trigger};
use crate::template::Template;

/// `(route key, access)` of every route table linked in.
pub fn declared_access() -> Vec<(&'static str, Access)> {
    crate::catalogue::routes().into_iter().map(|r| (r.key, r.access)).collect()
}

pub fn document(template: &Template) -> Result<Value, String> {
    let routes = crate::catalogue::routes();
    let mut paths: Map<String, Value> = Map::new();
    for spec in model::functions(template)? {
        for t in &spec.triggers {
            let Trigger::Http { method, path, public } = t else {
                continue;
            };
            if path == "$default" {
                continue; // the default route is not an operation
            }
            let key = format!("{method} {path}");
            let route = routes.iter().find(|r| r.key == key);
            let declared = route.map(|r| r.access);
            let mut op = json!({
                "operationId": spec.logical_id.trim_end_matches("Function"),
                "summary": route.map_or(spec.description.as_str(), |r| r.summary),
                "responses": {
                    "default": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                },
            });
            match declared {
                Some(Access::Permission(p)) if !public => {
                    op["security"] = json!([{ "bearer": [] }]);
                    op["x-permission"] = json!(p.code());
                }
                _ => op["security"] = json!([]),
            }
            let params: Vec<Value> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(|name| json!({ "name": name.trim_end_matches('+'), "in": "path", "required": true, "schema": { "type": "string" } }))
                .collect();
            let mut params = params;
            if method == "POST" && !public {
                params.push(json!({
                    "name": "Idempotency-Key", "in": "header", "required": false,
                    "description": "Retry-safe create: the same key with the same body within 24 h answers the first response (Idempotent-Replayed: true); with another body, 422 IDEMPOTENCY_KEY_REUSED.",
                    "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$" },
                }));
            }
            if !params.is_empty() {
                op["parameters"] = Value::Array(params);
            }
            op["responses"]["200"] = json!({ "description": "Success", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Envelope" } } } });
            let entry = paths.entry(path.clone()).or_insert_with(|| json!({}));
            entry[method.to_ascii_lowercase()] = op;
        }
    }
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "CRM API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Multi-tenant sales and real-estate CRM. JSON in snake_case; every answer is an envelope; lists use cursor pagination.",
        },
        "servers": [{ "url": "http://127.0.0.1:3000", "description": "local stack (make dev)" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA)" } },
            "schemas": {
                "Envelope": {
                    "type": "object",
                    "required": ["success", "data", "meta"],
                    "properties": {
                        "success": { "type": "boolean" },
                        "data": {},
                        "meta": { "type": "object", "properties": { "requestId": { "type": "string" }, "timestamp": { "type": "string", "format": "date-time" } } },
                        "pagination": { "type": "object", "properties": { "limit": { "type": "integer" }, "nextCursor": { "type": ["string", "null"] }, "hasNext": { "type": "boolean" } } },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["success", "error", "meta"],
                    "properties": {
                        "success": { "const": false },
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": { "enum": ["VALIDATION_ERROR", "UNAUTHENTICATED", "PLAN_REQUIRED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "PRECONDITION_FAILED", "PAYLOAD_TOO_LARGE", "LIMIT_REACHED", "RATE_LIMIT_EXCEEDED", "INTERNAL"] },
                                "message": { "type": "string" },
                                "details": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } },
                            },
                        },
                        "meta": { "type": "object" },
                    },
                },
            },
        },
    }))
}
