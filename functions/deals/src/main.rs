//! Lambda bootstrap: the deals and pipelines routes.

use deals::App;
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("deals");
    let (config, env) = crm_secrets::load().await?;
    let app = App::new(&config, &env)?;
    let app = &app;
    lambda_http::run(lambda_http::service_fn(move |req| async move { Ok::<_, Error>(app.handle(req).await) })).await
}
