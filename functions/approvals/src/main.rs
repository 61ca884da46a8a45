//! Lambda bootstrap: the approvals HTTP routes.

use approvals::App;
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("approvals");
    let (config, env) = crm_secrets::load().await?;
    let app = App::new(&config, &env)?;
    let app = &app;
    lambda_http::run(lambda_http::service_fn(move |req| async move { Ok::<_, Error>(app.handle(req).await) })).await
}
