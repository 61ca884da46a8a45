//! Lambda bootstrap: the inventory routes (`HANDLER=api`), the reactor on
//! deal outcomes (`inventory_reactor`), the availability projector
//! (`unit_availability`) and the inventory clock (`inventory_clock`:
//! reservation expiries and future prices).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&inventory::FUNCTION).await
}
