//! Lambda bootstrap: the approvals HTTP routes.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&approvals::FUNCTION).await
}
