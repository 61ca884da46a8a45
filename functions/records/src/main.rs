//! Lambda bootstrap: `HANDLER=api` (default) serves the records routes,
//! `HANDLER=jobs` runs imports and exports from the jobs queue.

use crm_events::SqsEvent;
use lambda_http::Error;
use lambda_runtime::{service_fn, LambdaEvent};
use records::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("records");
    let (config, env) = crm_secrets::load().await?;
    let app = App::new(&config, &env)?;
    let app = &app;
    match std::env::var("HANDLER").as_deref().unwrap_or("api") {
        "api" => lambda_http::run(lambda_http::service_fn(move |req| async move { Ok::<_, Error>(app.handle(req).await) })).await,
        "jobs" => {
            lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
                Ok::<_, Error>(app.handle_jobs_batch(e.payload).await)
            }))
            .await
        }
        other => Err(format!("unknown HANDLER {other}").into()),
    }
}
