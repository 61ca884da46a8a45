//! Lambda bootstrap: `HANDLER=api` (the identity routes) or
//! `HANDLER=invitations` (the hourly invitation-expiry sweep) or
//! `HANDLER=audit-export` (the audit export worker).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&identity::FUNCTION).await
}
