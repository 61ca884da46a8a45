//! Lambda bootstrap: the maps routes (`HANDLER=api`) and the units read
//! model's worker (`map_units`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&maps::FUNCTION).await
}
