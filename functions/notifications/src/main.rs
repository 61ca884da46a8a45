//! Lambda bootstrap: `HANDLER=api` (the notifications routes),
//! `HANDLER=notifications` (the worker: SQS, partial batch failures) or
//! `HANDLER=digest` (the hourly daily-digest sweep).

use crm_events::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use notifications::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("notifications");
    let (config, env) = crm_secrets::load().await?;
    let app = App::new(&config, &env)?;
    let app = &app;
    match std::env::var("HANDLER").as_deref().unwrap_or("api") {
        "api" => lambda_http::run(lambda_http::service_fn(move |req| async move { Ok::<_, Error>(app.handle(req).await) })).await,
        "notifications" => {
            lambda_runtime::run(service_fn(
                move |e: LambdaEvent<SqsEvent>| async move { Ok::<_, Error>(app.handle_batch(e.payload).await) },
            ))
            .await
        }
        "digest" => {
            lambda_runtime::run(service_fn(move |e: LambdaEvent<serde_json::Value>| async move {
                Ok::<_, Error>(app.run_digest(e.payload).await)
            }))
            .await
        }
        other => Err(format!("unknown HANDLER {other}").into()),
    }
}
