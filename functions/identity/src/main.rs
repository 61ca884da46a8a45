//! Lambda bootstrap: `HANDLER=api` (the identity routes) or
//! `HANDLER=invitations` (the hourly invitation-expiry sweep).

use identity::App;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("identity");
    let (config, env) = crm_secrets::load().await?;
    let app = App::new(&config, &env)?;
    let app = &app;
    match std::env::var("HANDLER").as_deref().unwrap_or("api") {
        "api" => lambda_http::run(lambda_http::service_fn(move |req| async move { Ok::<_, Error>(app.handle(req).await) })).await,
        "invitations" => {
            lambda_runtime::run(service_fn(move |e: LambdaEvent<serde_json::Value>| async move {
                Ok::<_, Error>(app.run_invitation_expiry(e.payload).await)
            }))
            .await
        }
        other => Err(format!("unknown HANDLER {other}").into()),
    }
}
