//! The local stack: everything `make dev` runs and the end-to-end tests
//! start in-process.
//!
//! [`start`] checks the emulator, binds the port, provisions what
//! template.yaml declares ([`provision`]), builds every function in-process
//! ([`functions`]), serves the HttpApi ([`gateway`]) and drives the event
//! sources ([`sources`]).

pub mod catalogue;
pub mod fake_mailboxes;
pub mod fake_providers;
pub mod fake_stripe;
pub mod functions;
pub mod gateway;
pub mod local_api;
pub mod model;
pub mod openapi;
pub mod provision;
pub mod seed;
pub mod site_plan;
pub mod sources;
pub mod stacks;
pub mod state;
pub mod template;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use crm_auth::KeySet;
use tokio::task::JoinHandle;

use crate::functions::Functions;
use crate::gateway::{Cors, RouteEntry};
use crate::model::{FunctionSpec, Trigger};
use crate::provision::{ProvisionOptions, Provisioned};
use crate::template::Template;

/// SDK clients pointed at the emulator.
#[derive(Clone, Debug)]
pub struct Clients {
    pub config: aws_config::SdkConfig,
    pub ddb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub s3: aws_sdk_s3::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

impl Clients {
    pub async fn local(endpoint: &str) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "local-stack"))
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
        Self {
            ddb: aws_sdk_dynamodb::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            events: aws_sdk_eventbridge::Client::new(&config),
            scheduler: aws_sdk_scheduler::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            s3,
            config,
        }
    }
}

/// How to run the stack.
#[derive(Debug, Clone)]
pub struct Options {
    pub template: PathBuf,
    /// Prefix of every physical name (`crm-local`, `crm-test-…`).
    pub prefix: String,
    /// The AWS emulator (`http://127.0.0.1:4566`).
    pub emulator: String,
    /// Where to serve the API (port 0 picks a free one).
    pub bind: SocketAddr,
    /// Persistent state (keys, secrets, checkpoints); `None` for tests.
    pub state_dir: Option<PathBuf>,
    pub visibility_timeout: Option<i64>,
    /// The visibility timeout of long-running workers' queues (see `provision::ProvisionOptions`).
    pub long_visibility_timeout: Option<i64>,
    pub poll_interval: Duration,
    /// Seed the demo tenant.
    pub seed: bool,
    /// Function settings that replace what template.yaml gives (tests shorten
    /// the rate-limit window, for one).
    pub env_overrides: Vec<(String, String)>,
    /// Whether the fake providers report every delivery back (`make dev`);
    /// off, they report only for the addresses named at `POST /_local/fake/reports`.
    pub delivery_reports: bool,
}

impl Options {
    /// The project's template, defaults for everything else.
    pub fn new(prefix: &str) -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        Self {
            template: root.join("template.yaml"),
            prefix: prefix.into(),
            emulator: std::env::var("CRM_EMULATOR_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into()),
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            state_dir: None,
            visibility_timeout: None,
            long_visibility_timeout: None,
            poll_interval: Duration::from_millis(250),
            seed: false,
            env_overrides: Vec::new(),
            delivery_reports: true,
        }
    }
}

/// Everything a running stack knows.
pub struct Stack {
    /// Where the API is served.
    pub url: String,
    pub specs: Vec<FunctionSpec>,
    pub routes: Vec<RouteEntry>,
    pub cors: Cors,
    pub functions: Arc<Functions>,
    pub provisioned: Provisioned,
    pub clients: Clients,
    pub keys: KeySet,
    pub endpoint: String,
    pub http: reqwest::Client,
    pub state_dir: Option<PathBuf>,
    pub poll_interval: Duration,
    /// Failures injected into the fake providers.
    pub fake_failures: fake_providers::Failures,
    /// Which deliveries the fake providers report back.
    pub fake_reports: fake_providers::Reports,
    /// Access tokens the fake Google and Microsoft issued.
    pub fake_tokens: fake_mailboxes::Tokens,
    /// The fake Stripe's customers, invoices and idempotency keys.
    pub fake_stripe: fake_stripe::FakeStripe,
}

impl Stack {
    pub fn function_index(&self, logical_id: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.logical_id == logical_id)
    }
}

/// A started stack; dropping it stops the server and the pollers.
pub struct RunningStack {
    pub url: String,
    pub stack: Arc<Stack>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for RunningStack {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Fails fast, with the fix in the message, when the emulator is down.
pub async fn check_emulator(endpoint: &str) -> Result<(), String> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3)).build().map_err(|e| e.to_string())?;
    match client.get(endpoint).send().await {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "cannot reach the AWS emulator at {endpoint} ({e}).\n  Start it with `make emulator` (or `make dev`, which starts it), \
             or point CRM_EMULATOR_URL at a running one."
        )),
    }
}

pub async fn start(opts: Options) -> Result<RunningStack, String> {
    check_emulator(&opts.emulator).await?;
    let listener = tokio::net::TcpListener::bind(opts.bind).await.map_err(|e| {
        format!("cannot listen on {}: {e}.\n  Is another dev server running? Stop it, or set CRM_PORT to another port.", opts.bind)
    })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;

    let template = Template::load(&opts.template)?;
    let specs = model::functions(&template)?;
    if let Some(s) = specs.iter().find(|s| !Functions::supports(s)) {
        return Err(format!(
            "{}: binary {:?} with handler {:?} is not linked into the local stack (infra/devserver/src/functions.rs)",
            s.logical_id, s.binary, s.handler
        ));
    }
    let keys = state::signing_keys(opts.state_dir.as_deref())?;
    let cursor_secret = state::cursor_secret(opts.state_dir.as_deref());

    let clients = Clients::local(&opts.emulator).await;
    let mut parameters = std::collections::HashMap::new();
    parameters.insert("JwtPublicKeys".to_string(), keys.public_keys_json());
    // The signing key set is a secret the deployer creates; locally the stack creates it.
    parameters.insert("JwtSigningKeysSecret".to_string(), format!("{}-jwt-signing-keys", opts.prefix));
    let provisioned = provision::provision(
        &template,
        &clients,
        &opts.prefix,
        &ProvisionOptions {
            parameters,
            visibility_timeout: opts.visibility_timeout,
            long_visibility_timeout: opts.long_visibility_timeout,
        },
    )
    .await?;

    let mut secrets = std::collections::HashMap::from([
        ("CURSOR_SECRET".to_string(), cursor_secret),
        ("OPERATOR_KEY".to_string(), state::operator_key(opts.state_dir.as_deref())),
        ("BREVO_API_KEY".to_string(), fake_providers::BREVO_KEY.to_string()),
        ("INFOBIP_API_KEY".to_string(), fake_providers::INFOBIP_KEY.to_string()),
        ("INFOBIP_WEBHOOK_TOKEN".to_string(), fake_providers::INFOBIP_WEBHOOK_TOKEN.to_string()),
        ("BREVO_WEBHOOK_TOKEN".to_string(), fake_providers::BREVO_WEBHOOK_TOKEN.to_string()),
        ("STRIPE_WEBHOOK_SECRETS".to_string(), fake_providers::STRIPE_WEBHOOK_SECRET.to_string()),
        ("STRIPE_API_KEY".to_string(), fake_stripe::STRIPE_KEY.to_string()),
        ("GOOGLE_CLIENT_SECRET".to_string(), fake_mailboxes::GOOGLE_CLIENT_SECRET.to_string()),
        ("MICROSOFT_CLIENT_SECRET".to_string(), fake_mailboxes::MICROSOFT_CLIENT_SECRET.to_string()),
        ("TOKEN_ENCRYPTION_KEY".to_string(), state::token_encryption_key(opts.state_dir.as_deref())),
        ("JWT_SIGNING_KEYS".to_string(), serde_json::to_string(&keys).map_err(|e| e.to_string())?),
    ]);
    let mut env = functions::environment(&template, &specs, &provisioned.resolver)?;
    // Locally, the provider adapters talk to the fake providers of this server.
    let url = format!("http://{addr}");
    for (k, v) in [
        ("EMAIL_PROVIDER", "brevo".to_string()),
        ("SMS_PROVIDER", "infobip".to_string()),
        ("BREVO_BASE_URL", format!("{url}/_local/fake/brevo")),
        ("INFOBIP_BASE_URL", format!("{url}/_local/fake/infobip")),
        ("STRIPE_BASE_URL", format!("{url}/_local/fake/stripe")),
        ("PUBLIC_API_URL", url.clone()),
        ("GMAIL_BASE_URL", format!("{url}/_local/fake/gmail")),
        ("GOOGLE_TOKEN_URL", format!("{url}/_local/fake/google/token")),
        ("GOOGLE_CLIENT_ID", fake_mailboxes::GOOGLE_CLIENT_ID.to_string()),
        ("GRAPH_BASE_URL", format!("{url}/_local/fake/graph")),
        ("MICROSOFT_TOKEN_URL", format!("{url}/_local/fake/microsoft/token")),
        ("MICROSOFT_CLIENT_ID", fake_mailboxes::MICROSOFT_CLIENT_ID.to_string()),
    ] {
        env.set(k.to_string(), v);
    }
    for (k, v) in &opts.env_overrides {
        // An override of a secret goes into Secrets Manager, like any secret.
        match secrets.get_mut(k) {
            Some(value) => *value = v.clone(),
            None => env.set(k.clone(), v.clone()),
        }
    }
    // The functions' secrets live in the emulator's Secrets Manager; each
    // function reads them at start-up, as it does when deployed.
    provision::store_secrets(&clients, &env, &secrets).await?;
    let env = crm_secrets::resolve(&clients.config, env).await?;
    let functions = Arc::new(Functions::new(&clients.config, &env)?);

    let cors_config = template
        .of_type("AWS::ApiGatewayV2::Api")
        .first()
        .and_then(|api| api.properties.get("CorsConfiguration").cloned())
        .map(|c| provisioned.resolver.resolve(&c))
        .transpose()?
        .unwrap_or(serde_yaml::Value::Null);

    let stack = Arc::new(Stack {
        url: format!("http://{addr}"),
        routes: gateway::routes(&specs),
        specs,
        cors: Cors::from_template(&cors_config),
        functions,
        provisioned,
        clients,
        keys,
        endpoint: opts.emulator.clone(),
        http: reqwest::Client::new(),
        state_dir: opts.state_dir.clone(),
        poll_interval: opts.poll_interval,
        fake_failures: Default::default(),
        fake_reports: fake_providers::Reports::new(opts.delivery_reports),
        fake_tokens: Default::default(),
        fake_stripe: Default::default(),
    });

    let mut tasks = Vec::new();
    let app = axum::Router::new().fallback(gateway::serve).with_state(stack.clone());
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "server stopped");
        }
    }));
    for (i, spec) in stack.specs.iter().enumerate() {
        for trigger in &spec.triggers {
            match trigger {
                Trigger::Stream { .. } => tasks.push(tokio::spawn(sources::run_stream(stack.clone(), i))),
                Trigger::Sqs { queue, batch_size } => {
                    let arn = stack.provisioned.resolver.string(queue)?;
                    let (_, q) =
                        stack.provisioned.queue_by_arn(&arn).ok_or_else(|| format!("{}: queue {arn} not provisioned", spec.logical_id))?;
                    tasks.push(tokio::spawn(sources::run_queue(stack.clone(), i, q.url.clone(), q.arn.clone(), *batch_size)));
                }
                Trigger::Schedule { expression } => tasks.push(tokio::spawn(sources::run_schedule(stack.clone(), i, expression.clone()))),
                Trigger::Http { .. } => {}
            }
        }
    }
    for group in &stack.provisioned.schedule_groups {
        tasks.push(tokio::spawn(sources::run_scheduler(stack.clone(), group.clone())));
    }
    let running = RunningStack { url: format!("http://{addr}"), stack, tasks };
    if opts.seed {
        seed::demo(&running).await?;
    }
    Ok(running)
}
