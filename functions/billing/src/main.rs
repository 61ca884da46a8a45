//! Lambda bootstrap: the billing routes, the metering and invoicing workers, and their schedules.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&billing::FUNCTION).await
}
