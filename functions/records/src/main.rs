//! Lambda bootstrap: `HANDLER=api` (default) serves the records routes,
//! `HANDLER=jobs` runs imports and exports from the jobs queue.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&records::FUNCTION).await
}
