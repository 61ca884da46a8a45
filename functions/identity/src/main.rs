//! Lambda bootstrap: `HANDLER=api` (the identity routes) or
//! `HANDLER=invitations` (the hourly invitation-expiry sweep).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&identity::FUNCTION).await
}
