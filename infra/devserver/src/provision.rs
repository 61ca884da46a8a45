//! Creates, in the emulator, what template.yaml declares: tables (keys,
//! GSIs, TTL, stream), event buses, queues with their redrive policies, rules
//! with their targets, buckets. Idempotent: what exists is kept.
//!
//! Physical names are `{prefix}-{LogicalId}`, so several stacks (the dev
//! stack, each test run) share one emulator without seeing each other.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_yaml::Value;

use crate::template::{Resolver, Template};
use crate::Clients;

/// A queue of the stack.
#[derive(Debug, Clone)]
pub struct QueueInfo {
    pub url: String,
    pub arn: String,
}

/// What provisioning produced.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub prefix: String,
    pub resolver: Resolver,
    /// Logical id → physical table name.
    pub tables: BTreeMap<String, String>,
    /// Logical id → queue.
    pub queues: BTreeMap<String, QueueInfo>,
    /// EventBridge Scheduler groups (their one-time schedules are fired by the dev server).
    pub schedule_groups: Vec<String>,
}

impl Provisioned {
    /// The queue whose ARN is `arn`.
    pub fn queue_by_arn(&self, arn: &str) -> Option<(&String, &QueueInfo)> {
        self.queues.iter().find(|(_, q)| q.arn == arn)
    }
}

/// Knobs of the local stack.
#[derive(Debug, Clone, Default)]
pub struct ProvisionOptions {
    /// Parameter values that replace the template defaults.
    pub parameters: HashMap<String, String>,
    /// Replaces every queue's `VisibilityTimeout` (tests use a short one so
    /// retries and redrive happen in seconds) — except for queues whose
    /// template gives more than [`LONG_VISIBILITY`] seconds (workers that run
    /// for minutes, like the jobs worker): a short timeout would hand a
    /// message that is still being worked on to a second worker.
    pub visibility_timeout: Option<i64>,
    /// What those long-running queues get instead (tests: seconds, so a
    /// crashed job is retried soon).
    pub long_visibility_timeout: Option<i64>,
}

/// Template visibility timeouts above this mark a long-running worker's queue.
pub const LONG_VISIBILITY: i64 = 300;

fn physical(prefix: &str, logical: &str) -> String {
    format!("{prefix}-{logical}")
}

fn err<E: std::fmt::Debug>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e:?}")
}

pub async fn provision(template: &Template, clients: &Clients, prefix: &str, options: &ProvisionOptions) -> Result<Provisioned, String> {
    let mut resolver = Resolver { params: template.parameter_defaults(), ..Default::default() };
    resolver.params.extend(options.parameters.clone());
    resolver.params.insert("AWS::StackName".into(), prefix.into());

    // Names every resource will have, known up front so references resolve
    // in any order.
    for r in template.resources() {
        let name = physical(prefix, r.logical_id);
        resolver.refs.insert(r.logical_id.to_string(), name.clone());
        resolver.attrs.insert(format!("{}.Arn", r.logical_id), format!("arn:aws:local:us-east-1:123456789012:{name}"));
    }

    let mut tables = BTreeMap::new();
    for r in template.of_type("AWS::DynamoDB::Table") {
        let name = physical(prefix, r.logical_id);
        let props = resolver.resolve(r.properties)?;
        let (arn, stream_arn) = create_table(clients, &name, &props).await?;
        resolver.attrs.insert(format!("{}.Arn", r.logical_id), arn);
        if let Some(s) = stream_arn {
            resolver.attrs.insert(format!("{}.StreamArn", r.logical_id), s);
        }
        tables.insert(r.logical_id.to_string(), name);
    }

    for r in template.of_type("AWS::Events::EventBus") {
        let name = physical(prefix, r.logical_id);
        let arn = match clients.events.create_event_bus().name(&name).send().await {
            Ok(out) => out.event_bus_arn.unwrap_or_default(),
            Err(_) => {
                clients.events.describe_event_bus().name(&name).send().await.map_err(err("DescribeEventBus"))?.arn.unwrap_or_default()
            }
        };
        resolver.attrs.insert(format!("{}.Arn", r.logical_id), arn);
    }

    for r in template.of_type("AWS::S3::Bucket") {
        let name = physical(prefix, r.logical_id).to_ascii_lowercase();
        if clients.s3.head_bucket().bucket(&name).send().await.is_err() {
            clients.s3.create_bucket().bucket(&name).send().await.map_err(err("CreateBucket"))?;
        }
        // Versioned as the template says: a job reads the version it pinned.
        let versioned =
            r.properties.get("VersioningConfiguration").and_then(|v| v.get("Status")).and_then(|s| s.as_str()) == Some("Enabled");
        if versioned {
            let on =
                aws_sdk_s3::types::VersioningConfiguration::builder().status(aws_sdk_s3::types::BucketVersioningStatus::Enabled).build();
            clients
                .s3
                .put_bucket_versioning()
                .bucket(&name)
                .versioning_configuration(on)
                .send()
                .await
                .map_err(err("PutBucketVersioning"))?;
        }
        resolver.refs.insert(r.logical_id.to_string(), name.clone());
        resolver.attrs.insert(format!("{}.Arn", r.logical_id), format!("arn:aws:s3:::{name}"));
    }

    // Secrets: created empty; their values are stored once the functions'
    // references are known (`store_secrets`). The signing key set's secret is
    // a parameter (a name the deployer chose): created here too.
    let mut secret_names: Vec<(Option<&str>, String)> =
        template.of_type("AWS::SecretsManager::Secret").iter().map(|r| (Some(r.logical_id), physical(prefix, r.logical_id))).collect();
    if let Some(jwt) = resolver.params.get("JwtSigningKeysSecret") {
        secret_names.push((None, jwt.clone()));
    }
    for (logical, name) in secret_names {
        let arn = match clients.secrets.describe_secret().secret_id(&name).send().await {
            Ok(d) => d.arn.unwrap_or_default(),
            Err(_) => clients
                .secrets
                .create_secret()
                .name(&name)
                .secret_string("{}")
                .send()
                .await
                .map_err(err("CreateSecret"))?
                .arn
                .unwrap_or_default(),
        };
        if let Some(l) = logical {
            resolver.refs.insert(l.to_string(), arn.clone());
            resolver.attrs.insert(format!("{l}.Arn"), arn);
        }
    }

    // Queues: dead-letter queues first (a redrive policy needs its target's ARN).
    let mut queues = BTreeMap::new();
    let mut pending: Vec<_> = template.of_type("AWS::SQS::Queue");
    pending.sort_by_key(|r| r.properties.get("RedrivePolicy").is_some());
    for r in pending {
        let name = physical(prefix, r.logical_id);
        let props = resolver.resolve(r.properties)?;
        let template_timeout = props.get("VisibilityTimeout").and_then(|v| v.as_i64());
        let visibility = if template_timeout.is_some_and(|t| t > LONG_VISIBILITY) {
            options.long_visibility_timeout
        } else {
            options.visibility_timeout
        };
        let info = create_queue(clients, &name, &props, visibility).await?;
        resolver.refs.insert(r.logical_id.to_string(), info.url.clone());
        resolver.attrs.insert(format!("{}.Arn", r.logical_id), info.arn.clone());
        resolver.attrs.insert(format!("{}.QueueName", r.logical_id), name.clone());
        queues.insert(r.logical_id.to_string(), info);
    }

    for r in template.of_type("AWS::Events::Rule") {
        let name = physical(prefix, r.logical_id);
        let props = resolver.resolve(r.properties)?;
        put_rule(clients, &name, &props).await?;
    }

    // Scheduler groups: the emulator stores their schedules but never fires
    // them; the dev server watches them (`sources::run_scheduler`).
    let mut schedule_groups = Vec::new();
    for r in template.of_type("AWS::Scheduler::ScheduleGroup") {
        let name = physical(prefix, r.logical_id);
        if let Err(e) = clients.scheduler.create_schedule_group().name(&name).send().await {
            if !e.as_service_error().is_some_and(|s| s.is_conflict_exception()) {
                return Err(format!("CreateScheduleGroup: {e:?}"));
            }
        }
        schedule_groups.push(name);
    }

    Ok(Provisioned { prefix: prefix.to_string(), resolver, tables, queues, schedule_groups })
}

fn str_of<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v.get(key).and_then(Value::as_str).ok_or_else(|| format!("missing {key}"))
}

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>, String> {
    v.as_sequence()
        .ok_or("KeySchema must be a list")?
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(str_of(k, "AttributeName")?)
                .key_type(KeyType::from(str_of(k, "KeyType")?))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

async fn create_table(clients: &Clients, name: &str, props: &Value) -> Result<(String, Option<String>), String> {
    let exists = clients.ddb.describe_table().table_name(name).send().await.is_ok();
    if !exists {
        let attrs = props
            .get("AttributeDefinitions")
            .and_then(Value::as_sequence)
            .ok_or("AttributeDefinitions")?
            .iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(str_of(a, "AttributeName")?)
                    .attribute_type(ScalarAttributeType::from(str_of(a, "AttributeType")?))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut req = clients
            .ddb
            .create_table()
            .table_name(name)
            .set_attribute_definitions(Some(attrs))
            .set_key_schema(Some(key_schema(props.get("KeySchema").ok_or("KeySchema")?)?))
            .billing_mode(BillingMode::PayPerRequest);
        for gsi in props.get("GlobalSecondaryIndexes").and_then(Value::as_sequence).into_iter().flatten() {
            let projection = gsi.get("Projection").and_then(|p| p.get("ProjectionType")).and_then(Value::as_str).unwrap_or("ALL");
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(str_of(gsi, "IndexName")?)
                    .set_key_schema(Some(key_schema(gsi.get("KeySchema").ok_or("GSI KeySchema")?)?))
                    .projection(Projection::builder().projection_type(ProjectionType::from(projection)).build())
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        if let Some(view) = props.get("StreamSpecification").and_then(|s| s.get("StreamViewType")).and_then(Value::as_str) {
            req = req.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(view))
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        if let Err(e) = req.send().await {
            // Another process may have created it meanwhile; describe decides.
            tracing::debug!(error = ?e, "CreateTable");
        }
    }
    let mut described = None;
    for _ in 0..100 {
        let out = clients.ddb.describe_table().table_name(name).send().await.map_err(err("DescribeTable"))?;
        let table = out.table.ok_or("DescribeTable: no table")?;
        if table.table_status == Some(TableStatus::Active) {
            described = Some(table);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let table = described.ok_or_else(|| format!("table {name} did not become ACTIVE"))?;
    if let Some(ttl) = props.get("TimeToLiveSpecification").and_then(|t| t.get("AttributeName")).and_then(Value::as_str) {
        let current = clients.ddb.describe_time_to_live().table_name(name).send().await.map_err(err("DescribeTimeToLive"))?;
        let enabled = current.time_to_live_description.and_then(|d| d.attribute_name).as_deref() == Some(ttl);
        if !enabled {
            clients
                .ddb
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder().attribute_name(ttl).enabled(true).build().map_err(|e| e.to_string())?,
                )
                .send()
                .await
                .map_err(err("UpdateTimeToLive"))?;
        }
    }
    Ok((table.table_arn.unwrap_or_default(), table.latest_stream_arn))
}

async fn create_queue(clients: &Clients, name: &str, props: &Value, visibility_override: Option<i64>) -> Result<QueueInfo, String> {
    let mut attrs: HashMap<QueueAttributeName, String> = HashMap::new();
    let num = |k: &str| props.get(k).and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
    if let Some(v) = visibility_override.or_else(|| num("VisibilityTimeout")) {
        attrs.insert(QueueAttributeName::VisibilityTimeout, v.to_string());
    }
    if let Some(v) = num("MessageRetentionPeriod") {
        attrs.insert(QueueAttributeName::MessageRetentionPeriod, v.to_string());
    }
    if let Some(v) = num("DelaySeconds") {
        attrs.insert(QueueAttributeName::DelaySeconds, v.to_string());
    }
    if let Some(rp) = props.get("RedrivePolicy") {
        let json = serde_json::json!({
            "deadLetterTargetArn": str_of(rp, "deadLetterTargetArn")?,
            "maxReceiveCount": rp.get("maxReceiveCount").and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))).unwrap_or(5),
        });
        attrs.insert(QueueAttributeName::RedrivePolicy, json.to_string());
    }
    let url = match clients.sqs.create_queue().queue_name(name).set_attributes(Some(attrs.clone())).send().await {
        Ok(out) => out.queue_url.unwrap_or_default(),
        Err(_) => {
            // Exists with other attributes: bring it in line with the template.
            let url = clients.sqs.get_queue_url().queue_name(name).send().await.map_err(err("GetQueueUrl"))?.queue_url.unwrap_or_default();
            clients
                .sqs
                .set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(attrs))
                .send()
                .await
                .map_err(err("SetQueueAttributes"))?;
            url
        }
    };
    let arn = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(err("GetQueueAttributes"))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .unwrap_or_default();
    Ok(QueueInfo { url, arn })
}

fn yaml_to_json(v: &Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

async fn put_rule(clients: &Clients, name: &str, props: &Value) -> Result<(), String> {
    let bus = str_of(props, "EventBusName")?;
    let pattern = props.get("EventPattern").ok_or("EventPattern")?;
    let pattern = match pattern {
        Value::String(s) => s.clone(),
        other => yaml_to_json(other).to_string(),
    };
    clients.events.put_rule().name(name).event_bus_name(bus).event_pattern(pattern).send().await.map_err(err("PutRule"))?;
    let mut targets = Vec::new();
    for t in props.get("Targets").and_then(Value::as_sequence).into_iter().flatten() {
        targets.push(
            aws_sdk_eventbridge::types::Target::builder().id(str_of(t, "Id")?).arn(str_of(t, "Arn")?).build().map_err(|e| e.to_string())?,
        );
    }
    if !targets.is_empty() {
        clients.events.put_targets().rule(name).event_bus_name(bus).set_targets(Some(targets)).send().await.map_err(err("PutTargets"))?;
    }
    Ok(())
}

/// Stores the local value of every secret the functions reference
/// (`SECRET_REF_{NAME}` = `{secret}` or `{secret}#{json key}`): a JSON
/// secret gets one key per variable, a plain one the value itself.
pub async fn store_secrets(clients: &Clients, env: &crm_kernel::Env, values: &HashMap<String, String>) -> Result<(), String> {
    let mut documents: BTreeMap<String, serde_json::Map<String, serde_json::Value>> = BTreeMap::new();
    let mut plain: BTreeMap<String, String> = BTreeMap::new();
    for r in crm_secrets::references(env) {
        let value = values.get(&r.name).cloned().ok_or_else(|| format!("{} is a secret with no local value", r.name))?;
        match r.json_key {
            Some(key) => {
                documents.entry(r.secret_id).or_default().insert(key, serde_json::Value::String(value));
            }
            None => {
                plain.insert(r.secret_id, value);
            }
        }
    }
    let all = documents.into_iter().map(|(id, doc)| (id, serde_json::Value::Object(doc).to_string())).chain(plain);
    for (id, value) in all {
        clients.secrets.put_secret_value().secret_id(&id).secret_string(value).send().await.map_err(err("PutSecretValue"))?;
    }
    Ok(())
}
