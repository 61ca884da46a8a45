//! What the gateway tells a function about the request.

use crm_auth::rate::RateState;
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
    /// The tenant's rate-limit window, as the authorizer counted it.
    pub rate: Option<RateState>,
}

impl RequestContext {
    pub fn from_request(req: &Request) -> Self {
        match req.request_context_ref() {
            Some(LambdaContext::ApiGatewayV2(ctx)) => {
                let fields: serde_json::Map<String, serde_json::Value> =
                    ctx.authorizer.as_ref().map(|a| a.fields.clone().into_iter().collect()).unwrap_or_default();
                let principal = Principal::from_context(&fields);
                let num = |k: &str| fields.get(k).and_then(|v| v.as_str()).and_then(|v| v.parse::<i64>().ok());
                let rate = match (num("rate_limit"), num("rate_remaining"), num("rate_reset")) {
                    (Some(limit), Some(remaining), Some(reset)) => Some(RateState { limit: limit as u32, remaining, reset }),
                    _ => None,
                };
                Self {
                    request_id: ctx.request_id.clone().unwrap_or_else(new_request_id),
                    route_key: ctx.route_key.clone().unwrap_or_default(),
                    principal,
                    source_ip: ctx.http.source_ip.clone().unwrap_or_default(),
                    user_agent: ctx.http.user_agent.clone().unwrap_or_default(),
                    rate,
                }
            }
            _ => Self {
                request_id: new_request_id(),
                route_key: String::new(),
                principal: None,
                source_ip: String::new(),
                user_agent: String::new(),
                rate: None,
            },
        }
    }
}

fn new_request_id() -> String {
    ulid::Ulid::new().to_string()
}
