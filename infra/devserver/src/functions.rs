//! The function binaries, linked in-process. Each template function names a
//! binary (`Metadata.BuildProperties.Binary`) and a handler (`HANDLER`); the
//! local stack calls the same library entry points the binaries' `main` does.

use std::collections::HashMap;

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use crm_events::stream::StreamEvent;
use crm_events::{BatchResponse, SqsEvent};
use crm_kernel::Env;
use lambda_http::{Body, Request, Response};

use crate::model::FunctionSpec;
use crate::template::{Resolver, Template};

/// Every bounded context's application, built once like a warm Lambda.
pub struct Functions {
    pub authorizer: authorizer::Authorizer,
    pub platform: platform::App,
    pub activities: activities::App,
    pub outbox: outbox::Publisher,
    pub identity: identity::App,
    pub notifications: notifications::App,
    pub records: records::App,
    pub approvals: approvals::App,
    pub deals: deals::App,
}

impl Functions {
    pub fn new(config: &aws_config::SdkConfig, env: &Env) -> Result<Self, String> {
        Ok(Self {
            authorizer: authorizer::Authorizer::from_env(config, env)?,
            platform: platform::App::new(config, env)?,
            activities: activities::App::new(config, env)?,
            outbox: outbox::Publisher::new(config, env)?,
            identity: identity::App::new(config, env)?,
            notifications: notifications::App::new(config, env)?,
            records: records::App::new(config, env)?,
            approvals: approvals::App::new(config, env)?,
            deals: deals::App::new(config, env)?,
        })
    }

    /// Whether `binary`/`handler` is something this registry can run.
    pub fn supports(spec: &FunctionSpec) -> bool {
        matches!(
            (spec.binary.as_str(), spec.handler.as_str()),
            ("authorizer", _)
                | ("platform", "api" | "queue_monitor")
                | ("activities", "api" | "activity_feed" | "reminder")
                | ("outbox", _)
                | ("identity", "api" | "invitations")
                | ("notifications", "api" | "notifications" | "digest")
                | ("records", "api" | "jobs")
                | ("approvals", "api")
                | ("deals", "api")
        )
    }

    pub async fn http(&self, spec: &FunctionSpec, req: Request) -> Result<Response<Body>, String> {
        match spec.binary.as_str() {
            "platform" => Ok(self.platform.handle(req).await),
            "activities" => Ok(self.activities.handle(req).await),
            "identity" => Ok(self.identity.handle(req).await),
            "notifications" => Ok(self.notifications.handle(req).await),
            "records" => Ok(self.records.handle(req).await),
            "approvals" => Ok(self.approvals.handle(req).await),
            "deals" => Ok(self.deals.handle(req).await),
            other => Err(format!("{other} serves no HTTP routes")),
        }
    }

    pub async fn authorize(&self, req: &ApiGatewayV2CustomAuthorizerV2Request) -> authorizer::Response {
        self.authorizer.handle(req).await
    }

    pub async fn sqs(&self, spec: &FunctionSpec, event: SqsEvent) -> Result<BatchResponse, String> {
        match (spec.binary.as_str(), spec.handler.as_str()) {
            ("activities", "activity_feed") => Ok(self.activities.handle_feed_batch(event).await),
            ("notifications", "notifications") => Ok(self.notifications.handle_batch(event).await),
            ("records", "jobs") => Ok(self.records.handle_jobs_batch(event).await),
            (b, h) => Err(format!("{b}/{h} is not an SQS handler")),
        }
    }

    pub async fn stream(&self, spec: &FunctionSpec, event: StreamEvent) -> Result<BatchResponse, String> {
        match spec.binary.as_str() {
            "outbox" => Ok(self.outbox.handle(event).await),
            other => Err(format!("{other} is not a stream handler")),
        }
    }

    /// A direct invocation with `payload` (what EventBridge Scheduler does with a target's input).
    pub async fn invoke(&self, spec: &FunctionSpec, payload: &str) -> Result<serde_json::Value, String> {
        match (spec.binary.as_str(), spec.handler.as_str()) {
            ("activities", "reminder") => {
                let fire = serde_json::from_str(payload).map_err(|e| format!("reminder input: {e}"))?;
                self.activities.handle_reminder(fire).await.map_err(|e| e.to_string())
            }
            (b, h) => Err(format!("{b}/{h} cannot be invoked directly")),
        }
    }

    pub async fn schedule(&self, spec: &FunctionSpec, event: serde_json::Value) -> Result<serde_json::Value, String> {
        match (spec.binary.as_str(), spec.handler.as_str()) {
            ("platform", "queue_monitor") => Ok(platform::queues::monitor(&self.platform).await),
            ("notifications", "digest") => Ok(self.notifications.run_digest(event).await),
            ("identity", "invitations") => Ok(self.identity.run_invitation_expiry(event).await),
            (b, h) => Err(format!("{b}/{h} is not a scheduled handler")),
        }
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
