//! Lambda bootstrap: `HANDLER=api` (the notifications routes),
//! `HANDLER=notifications` (the worker: SQS, partial batch failures) or
//! `HANDLER=digest` (the hourly daily-digest sweep).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&notifications::FUNCTION).await
}
