//! `devserver [up|provision|openapi|template|routes]` — the local stack's command line.
//!
//! Environment: `CRM_EMULATOR_URL` (default `http://127.0.0.1:4566`),
//! `CRM_PORT` (3000), `CRM_STACK` (name prefix, `crm-local`).

use std::net::SocketAddr;
use std::path::PathBuf;

use devserver::{catalogue, model, openapi, seed, stacks, template::Template, Options};

#[tokio::main]
async fn main() {
    crm_http::telemetry::init("devserver");
    let command = std::env::args().nth(1).unwrap_or_else(|| "up".into());
    let mut opts = Options::new(&std::env::var("CRM_STACK").unwrap_or_else(|_| "crm-local".into()));
    let port: u16 = std::env::var("CRM_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    opts.bind = SocketAddr::from(([127, 0, 0, 1], port));
    opts.state_dir = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.state"));
    opts.seed = true;
    if let Err(e) = run(&command, opts).await {
        eprintln!("\nerror: {e}\n");
        std::process::exit(1);
    }
}

async fn run(command: &str, opts: Options) -> Result<(), String> {
    match command {
        "up" => {
            let running = devserver::start(opts).await?;
            let token = seed::demo_token(&running.url).await?;
            let map = devserver::state::demo_map_view(running.stack.state_dir.as_deref())
                .map(|view| format!("  site plan  {}{view}   (Palm Residences, public viewer)\n", running.url))
                .unwrap_or_default();
            println!(
                "\n  CRM local stack is up\n\n  API        {url}\n  health     {url}/health\n  OpenAPI    {url}/v1/openapi.json\n  stack      {url}/_local/stack\n{map}\n  demo login  {email} / {password}   (sales rep: {rep} / {password}; second tenant: {other} / {password})\n  operator key infra/.state/operator-key   (X-Operator-Key for /v1/ops/*)\n\n  export TOKEN={token}\n  curl -H \"Authorization: Bearer $TOKEN\" {url}/v1/notes\n\n  The token lives 15 minutes; log in again with\n  curl -s {url}/v1/auth/login -H 'content-type: application/json' -d '{{\"email\":\"{email}\",\"password\":\"{password}\"}}'\n\n  Ctrl-C stops it.\n",
                url = running.url,
                map = map,
                email = seed::DEMO_EMAIL,
                other = seed::OTHER_EMAIL,
                rep = seed::REP_EMAIL,
                password = seed::DEMO_PASSWORD,
            );
            tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
            Ok(())
        }
        "provision" => {
            devserver::check_emulator(&opts.emulator).await?;
            let template = Template::load(&opts.template)?;
            let clients = devserver::Clients::local(&opts.emulator).await;
            let p = devserver::provision::provision(&template, &clients, &opts.prefix, &Default::default()).await?;
            for (logical, name) in &p.tables {
                println!("table  {logical:<24} {name}");
            }
            for (logical, q) in &p.queues {
                println!("queue  {logical:<24} {}", q.url);
            }
            Ok(())
        }
        "openapi" => {
            let doc = openapi::document()?;
            println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
            Ok(())
        }
        "template" => {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
            let files = stacks::generate(&root, &catalogue::contexts())?;
            for path in stacks::write(&root, &files)? {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        "routes" => {
            for spec in model::functions(&Template::load(&opts.template)?)? {
                for key in spec.route_keys() {
                    println!("{key:<32} {}", spec.logical_id);
                }
            }
            Ok(())
        }
        other => Err(format!("unknown command {other}; use up, provision, openapi, template or routes")),
    }
}
