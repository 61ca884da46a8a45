//! Lambda bootstrap: `HANDLER=api` (default) or `HANDLER=queue_monitor`
//! (scheduled).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use platform::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("platform");
    let (config, env) = crm_secrets::load().await?;
    let app = App::new(&config, &env)?;
    let app = &app;
    match std::env::var("HANDLER").as_deref().unwrap_or("api") {
        "api" => lambda_http::run(lambda_http::service_fn(move |req| async move { Ok::<_, Error>(app.handle(req).await) })).await,
        "queue_monitor" => {
            lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
                Ok::<_, Error>(platform::queues::monitor(app).await)
            }))
            .await
        }
        other => Err(format!("unknown HANDLER {other}").into()),
    }
}
