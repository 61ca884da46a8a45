//! Lambda bootstrap: `HANDLER=api` (default) serves the HTTP routes,
//! `HANDLER=activity_feed` runs the feed projector on its SQS queue,
//! `HANDLER=reminder` fires a task reminder (EventBridge Scheduler input).

use activities::App;
use crm_events::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("activities");
    let (config, env) = crm_secrets::load().await?;
    let app = App::new(&config, &env)?;
    let app = &app;
    match std::env::var("HANDLER").as_deref().unwrap_or("api") {
        "api" => lambda_http::run(lambda_http::service_fn(move |req| async move { Ok::<_, Error>(app.handle(req).await) })).await,
        "activity_feed" => {
            lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
                Ok::<_, Error>(app.handle_feed_batch(e.payload).await)
            }))
            .await
        }
        "reminder" => {
            lambda_runtime::run(service_fn(move |e: LambdaEvent<activities::reminder::Fire>| async move {
                app.handle_reminder(e.payload).await.map_err(|e| Error::from(e.to_string()))
            }))
            .await
        }
        other => Err(format!("unknown HANDLER {other}").into()),
    }
}
