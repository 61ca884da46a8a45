//! The function binaries, linked in-process. Each template function names a
//! binary (`Metadata.BuildProperties.Binary`) and a handler (`HANDLER`); the
//! local stack calls the same library entry points the binaries' `main` does.

use std::collections::HashMap;

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use crm_events::stream::StreamEvent;
use crm_events::{BatchResponse, SqsEvent};
use crm_kernel::Env;
use crm_runtime::{Function, Handler, Input, Kind, Output, Registration};
use lambda_http::{Body, Request, Response};

use crate::model::FunctionSpec;
use crate::template::{Resolver, Template};

/// Every bounded context's function crate: adding a context is one line here.
pub const REGISTRY: &[&Registration] = &[
    &platform::FUNCTION,
    &activities::FUNCTION,
    &outbox::FUNCTION,
    &identity::FUNCTION,
    &notifications::FUNCTION,
    &records::FUNCTION,
    &approvals::FUNCTION,
    &deals::FUNCTION,
    &inventory::FUNCTION,
    &maps::FUNCTION,
    &billing::FUNCTION,
];

/// The registered applications, each built once like a warm Lambda, and
/// the authorizer (which the gateway calls itself, typed).
pub struct Functions {
    authorizer: authorizer::Authorizer,
    apps: HashMap<&'static str, Box<dyn Function>>,
}

/// The registration and handler a template function runs: its binary's,
/// and the handler its `HANDLER` names (the registration's first when unset).
fn resolve(spec: &FunctionSpec) -> Option<(&'static Registration, Handler)> {
    let reg = REGISTRY.iter().copied().find(|r| r.binary == spec.binary)?;
    let handler = match &spec.handler {
        Some(h) => reg.handler(h)?,
        None => reg.handlers[0],
    };
    Some((reg, handler))
}

impl Functions {
    pub fn new(config: &aws_config::SdkConfig, env: &Env) -> Result<Self, String> {
        let mut apps = HashMap::new();
        for reg in REGISTRY {
            apps.insert(reg.binary, (reg.build)(config, env)?);
        }
        Ok(Self { authorizer: authorizer::Authorizer::from_env(config, env)?, apps })
    }

    /// Whether the template function `spec` is something this registry can run.
    pub fn supports(spec: &FunctionSpec) -> bool {
        spec.binary == authorizer::FUNCTION.binary || resolve(spec).is_some()
    }

    async fn call(&self, spec: &FunctionSpec, kind: Kind, input: Input) -> Result<Output, String> {
        let (reg, handler) = resolve(spec).ok_or_else(|| format!("{}: not in the registry", spec.logical_id))?;
        if handler.kind != kind {
            return Err(format!("{}/{} takes {:?} events, not {kind:?}", reg.binary, handler.name, handler.kind));
        }
        let app = self.apps.get(reg.binary).ok_or_else(|| format!("{} was not built", reg.binary))?;
        app.call(handler.name, input).await
    }

    pub async fn http(&self, spec: &FunctionSpec, req: Request) -> Result<Response<Body>, String> {
        match self.call(spec, Kind::Http, Input::Http(req)).await? {
            Output::Http(r) => Ok(r),
            _ => Err(format!("{} answered an HTTP request with something else", spec.logical_id)),
        }
    }

    pub async fn authorize(&self, req: &ApiGatewayV2CustomAuthorizerV2Request) -> authorizer::Response {
        self.authorizer.handle(req).await
    }

    pub async fn sqs(&self, spec: &FunctionSpec, event: SqsEvent) -> Result<BatchResponse, String> {
        batch(spec, self.call(spec, Kind::Sqs, Input::Sqs(event)).await?)
    }

    pub async fn stream(&self, spec: &FunctionSpec, event: StreamEvent) -> Result<BatchResponse, String> {
        batch(spec, self.call(spec, Kind::Stream, Input::Stream(event)).await?)
    }

    /// A direct invocation with `payload` (what EventBridge Scheduler does with a target's input).
    pub async fn invoke(&self, spec: &FunctionSpec, payload: &str) -> Result<serde_json::Value, String> {
        let event = serde_json::from_str(payload).map_err(|e| format!("{} input: {e}", spec.logical_id))?;
        self.schedule(spec, event).await
    }

    pub async fn schedule(&self, spec: &FunctionSpec, event: serde_json::Value) -> Result<serde_json::Value, String> {
        match self.call(spec, Kind::Json, Input::Json(event)).await? {
            Output::Json(v) => Ok(v),
            _ => Err(format!("{} answered a JSON event with something else", spec.logical_id)),
        }
    }
}

fn batch(spec: &FunctionSpec, out: Output) -> Result<BatchResponse, String> {
    match out {
        Output::Batch(b) => Ok(b),
        _ => Err(format!("{} answered a batch with something else", spec.logical_id)),
    }
}

/// The environment every function gets: `Globals.Function.Environment` and
/// each function's own variables, resolved. Secrets appear only as
/// references (`SECRET_REF_{NAME}`), read from Secrets Manager at start-up
/// (`crm_secrets`). `HANDLER` is per function and left out.
pub fn environment(template: &Template, specs: &[FunctionSpec], resolver: &Resolver) -> Result<Env, String> {
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut put = |name: &str, raw: &serde_yaml::Value| -> Result<(), String> {
        if name == "HANDLER" {
            return Ok(());
        }
        let value = resolver.string(raw).map_err(|e| format!("env {name}: {e}"))?;
        if value.contains("{{resolve:") {
            return Err(format!(
                "env {name} holds a dynamic reference: a secret's value would sit in the function's configuration; use SECRET_REF_{name}"
            ));
        }
        if let Some(previous) = vars.get(name) {
            if previous != &value {
                return Err(format!("env {name} differs between functions; the local stack shares one environment"));
            }
        }
        vars.insert(name.to_string(), value);
        Ok(())
    };
    for (k, v) in &template.global_env() {
        put(k.as_str().unwrap_or_default(), v)?;
    }
    for spec in specs {
        for (k, v) in &spec.env {
            put(k.as_str().unwrap_or_default(), v)?;
        }
    }
    Ok(Env::from_map(vars))
}
