//! Lambda bootstrap of the outbox publisher (DynamoDB stream source with
//! `ReportBatchItemFailures`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&outbox::FUNCTION).await
}
