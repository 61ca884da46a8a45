//! Lambda bootstrap of the outbox publisher (DynamoDB stream source with
//! `ReportBatchItemFailures`).

use crm_events::stream::StreamEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use outbox::Publisher;

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("outbox_publisher");
    let (config, env) = crm_secrets::load().await?;
    let publisher = Publisher::new(&config, &env)?;
    let publisher = &publisher;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<StreamEvent>| async move { Ok::<_, Error>(publisher.handle(event.payload).await) },
    ))
    .await
}
