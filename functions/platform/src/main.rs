//! Lambda bootstrap: `HANDLER=api` (default) or `HANDLER=queue_monitor`
//! (scheduled).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&platform::FUNCTION).await
}
