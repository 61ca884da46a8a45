//! Lambda bootstrap: the deals and pipelines routes.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&deals::FUNCTION).await
}
