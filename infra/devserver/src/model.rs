//! The functions template.yaml and its nested stacks declare, and what
//! triggers each one.

use serde_yaml::{Mapping, Value};

use crate::template::{in_root_terms, Template};

/// What invokes a function.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// An HTTP API route (an `ApiGatewayV2::Route`, or a SAM `HttpApi`
    /// event); `public` when no authorizer runs. The default route is
    /// method `ANY`, path `$default`.
    Http { method: String, path: String, public: bool },
    /// An SQS event source (`Queue` unresolved).
    Sqs { queue: Value, batch_size: i32 },
    /// A DynamoDB stream event source with its filter patterns (JSON).
    Stream { filters: Vec<serde_json::Value>, batch_size: i32, max_retries: u32, on_failure: Option<Value> },
    /// A schedule (`rate(...)` or `cron(...)`).
    Schedule { expression: String },
}

/// One `AWS::Serverless::Function`.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the crate binary that runs it.
    pub binary: String,
    /// `Environment.Variables.HANDLER`; unset runs the binary's first
    /// registered handler, as the Lambda bootstrap does.
    pub handler: Option<String>,
    pub description: String,
    /// Function-level environment, a nested stack's globals included
    /// (unresolved, in the root's terms).
    pub env: serde_yaml::Mapping,
    pub triggers: Vec<Trigger>,
}

impl Trigger {
    /// The route key of an HTTP trigger (`GET /v1/notes/{id}`, `$default`).
    pub fn route_key(&self) -> Option<String> {
        match self {
            Trigger::Http { path, .. } if path == "$default" => Some(path.clone()),
            Trigger::Http { method, path, .. } => Some(format!("{method} {path}")),
            _ => None,
        }
    }
}

impl FunctionSpec {
    /// The route keys of its HTTP triggers.
    pub fn route_keys(&self) -> Vec<String> {
        self.triggers.iter().filter_map(Trigger::route_key).collect()
    }
}

fn int(v: Option<&Value>, default: i64) -> i64 {
    v.and_then(Value::as_i64).unwrap_or(default)
}

/// All functions of the template and of its nested stacks.
pub fn functions(template: &Template) -> Result<Vec<FunctionSpec>, String> {
    let mut out = functions_of(template, None)?;
    for nested in template.nested()? {
        out.extend(functions_of(&nested.template, Some(&nested.parameters)).map_err(|e| format!("{}: {e}", nested.logical_id))?);
    }
    out.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    Ok(out)
}

/// The functions of one template; those of a nested stack (`parameters`
/// given) carry its globals' environment and read in the root's terms.
fn functions_of(template: &Template, parameters: Option<&Mapping>) -> Result<Vec<FunctionSpec>, String> {
    let root_terms = |v: &Value| match parameters {
        Some(p) => in_root_terms(v, p),
        None => Ok(v.clone()),
    };
    let mut out = Vec::new();
    for r in template.of_type("AWS::Serverless::Function") {
        let binary = r
            .metadata
            .get("BuildProperties")
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{}: Metadata.BuildProperties.Binary is required", r.logical_id))?
            .to_string();
        let mut env = if parameters.is_some() { template.global_env() } else { Mapping::new() };
        if let Some(vars) = r.properties.get("Environment").and_then(|e| e.get("Variables")).and_then(Value::as_mapping) {
            env.extend(vars.clone());
        }
        let env = match root_terms(&Value::Mapping(env))? {
            Value::Mapping(m) => m,
            _ => Mapping::new(),
        };
        let handler = env.get("HANDLER").and_then(Value::as_str).map(str::to_string);
        let mut triggers = Vec::new();
        if let Some(events) = r.properties.get("Events").and_then(Value::as_mapping) {
            for (name, ev) in events {
                let p = ev.get("Properties").cloned().unwrap_or(Value::Null);
                let kind = ev.get("Type").and_then(Value::as_str).unwrap_or_default();
                let trigger = match kind {
                    "HttpApi" => Trigger::Http {
                        method: p.get("Method").and_then(Value::as_str).unwrap_or("ANY").to_ascii_uppercase(),
                        path: p
                            .get("Path")
                            .and_then(Value::as_str)
                            .ok_or_else(|| format!("{}: HttpApi event without Path", r.logical_id))?
                            .to_string(),
                        public: p.get("Auth").and_then(|a| a.get("Authorizer")).and_then(Value::as_str) == Some("NONE"),
                    },
                    "SQS" => Trigger::Sqs {
                        queue: p.get("Queue").cloned().unwrap_or(Value::Null),
                        batch_size: int(p.get("BatchSize"), 10) as i32,
                    },
                    "DynamoDB" => {
                        let filters = p
                            .get("FilterCriteria")
                            .and_then(|f| f.get("Filters"))
                            .and_then(Value::as_sequence)
                            .map(|seq| {
                                seq.iter()
                                    .filter_map(|f| f.get("Pattern").and_then(Value::as_str))
                                    .map(|s| serde_json::from_str(s).map_err(|e| format!("{}: bad filter pattern: {e}", r.logical_id)))
                                    .collect::<Result<Vec<_>, _>>()
                            })
                            .transpose()?
                            .unwrap_or_default();
                        Trigger::Stream {
                            filters,
                            batch_size: int(p.get("BatchSize"), 100) as i32,
                            max_retries: int(p.get("MaximumRetryAttempts"), 3) as u32,
                            on_failure: p
                                .get("DestinationConfig")
                                .and_then(|d| d.get("OnFailure"))
                                .and_then(|o| o.get("Destination"))
                                .cloned(),
                        }
                    }
                    "Schedule" | "ScheduleV2" => Trigger::Schedule {
                        expression: p
                            .get("Schedule")
                            .or_else(|| p.get("ScheduleExpression"))
                            .and_then(Value::as_str)
                            .ok_or_else(|| format!("{}: schedule without expression", r.logical_id))?
                            .to_string(),
                    },
                    other => return Err(format!("{}: event {name:?} of type {other} is not supported locally", r.logical_id)),
                };
                triggers.push(trigger);
            }
        }
        out.push(FunctionSpec {
            logical_id: r.logical_id.to_string(),
            binary,
            handler,
            description: r.properties.get("Description").and_then(Value::as_str).unwrap_or_default().to_string(),
            env,
            triggers,
        });
    }
    for (function, trigger) in api_routes(template)? {
        let spec = out
            .iter_mut()
            .find(|s| s.logical_id == function)
            .ok_or_else(|| format!("a route integrates {function}, not a function here"))?;
        spec.triggers.push(trigger);
    }
    Ok(out)
}

/// `(function, trigger)` of each `AWS::ApiGatewayV2::Route`: its target
/// integration's `IntegrationUri: !GetAtt {function}.Arn`.
fn api_routes(template: &Template) -> Result<Vec<(String, Trigger)>, String> {
    let integrations = template.of_type("AWS::ApiGatewayV2::Integration");
    let mut out = Vec::new();
    for r in template.of_type("AWS::ApiGatewayV2::Route") {
        let key = r.properties.get("RouteKey").and_then(Value::as_str).ok_or_else(|| format!("{}: RouteKey", r.logical_id))?;
        let target = tagged_str(r.properties.get("Target"), "Sub")
            .ok_or_else(|| format!("{}: Target must be !Sub integrations/${{…}}", r.logical_id))?;
        let integration = target
            .strip_prefix("integrations/${")
            .and_then(|t| t.strip_suffix('}'))
            .ok_or_else(|| format!("{}: Target {target}", r.logical_id))?;
        let function = integrations
            .iter()
            .find(|i| i.logical_id == integration)
            .and_then(|i| tagged_str(i.properties.get("IntegrationUri"), "GetAtt"))
            .and_then(|arn| arn.strip_suffix(".Arn"))
            .ok_or_else(|| format!("{}: integration {integration} with IntegrationUri: !GetAtt {{function}}.Arn", r.logical_id))?;
        let (method, path) = key.split_once(' ').unwrap_or(("ANY", key));
        let public = r.properties.get("AuthorizationType").and_then(Value::as_str).unwrap_or("NONE") == "NONE";
        out.push((function.to_string(), Trigger::Http { method: method.to_string(), path: path.to_string(), public }));
    }
    Ok(out)
}

fn tagged_str<'a>(v: Option<&'a Value>, tag: &str) -> Option<&'a str> {
    match v? {
        Value::Tagged(t) if t.tag.to_string().trim_start_matches('!') == tag => t.value.as_str(),
        _ => None,
    }
}

/// Parses `rate(5 minutes)` into seconds. `cron(...)` schedules return
/// `None`: the local stack fires them only on demand.
pub fn rate_seconds(expression: &str) -> Option<u64> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: u64 = n.parse().ok()?;
    let mult = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    Some(n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(rate_seconds("rate(5 minutes)"), Some(300));
        assert_eq!(rate_seconds("rate(1 day)"), Some(86_400));
        assert_eq!(rate_seconds("cron(0 7 * * ? *)"), None);
    }
}
