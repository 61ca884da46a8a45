//! What the gateway tells a function about the request.

use crm_auth::Principal;
use lambda_http::request::RequestContext as LambdaContext;
use lambda_http::{Request, RequestExt};

/// Request id, route key and — for authenticated routes — the principal the
/// authorizer resolved. The tenant comes only from here.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub route_key: String,
    pub principal: Option<Principal>,
    /// The caller's address as the gateway saw it.
    pub source_ip: String,
    pub user_agent: String,
}

impl RequestContext {
    pub fn from_request(req: &Request) -> Self {
        match req.request_context_ref() {
            Some(LambdaContext::ApiGatewayV2(ctx)) => {
                let principal = ctx.authorizer.as_ref().and_then(|a| {
                    let fields: serde_json::Map<String, serde_json::Value> = a.fields.clone().into_iter().collect();
                    Principal::from_context(&fields)
                });
                Self {
                    request_id: ctx.request_id.clone().unwrap_or_else(new_request_id),
                    route_key: ctx.route_key.clone().unwrap_or_default(),
                    principal,
                    source_ip: ctx.http.source_ip.clone().unwrap_or_default(),
                    user_agent: ctx.http.user_agent.clone().unwrap_or_default(),
                }
            }
            _ => Self {
                request_id: new_request_id(),
                route_key: String::new(),
                principal: None,
                source_ip: String::new(),
                user_agent: String::new(),
            },
        }
    }
}

fn new_request_id() -> String {
    ulid::Ulid::new().to_string()
}
