//! Lambda bootstrap of the notifications worker (SQS, partial batch failures).

use crm_events::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use notifications::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("notifications");
    let app = App::new(&aws_config::load_from_env().await, &crm_kernel::Env::process())?;
    let app = &app;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move { Ok::<_, Error>(app.handle_batch(e.payload).await) })).await
}
