//! Lambda bootstrap of the authorizer.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&authorizer::FUNCTION).await
}
